#!/usr/bin/env bash
# The Slurm recipes of examples/slurm/ without a cluster: sbatch replaced by bash, the SLURM_*
# variables set here, srun and scontrol stubbed (srun runs the step, under MPIEXEC with its
# --ntasks where one is given; scontrol records the requeue).
#   1. simulate.sbatch: Slurm's warning (USR1 to the batch shell) is forwarded to the step, which
#      writes its checkpoint and exits 75; the script requeues; run again (as the requeued job),
#      it resumes and writes the bytes of an uninterrupted run.
#   2. sweep-array.sbatch / sweep-merge.sbatch / submit-sweep.sh with a stub kimsim: each task
#      runs its slice K/N with a checkpoint, requeues on 75, resumes when requeued; the merge
#      takes the N slices; the submit script chains them with afterok.
# Usage: run.sh KIMSIM ROOT [MPIEXEC]
set -u
test=slurm
. "$(dirname "$0")/../lib/harness.sh"
scenario=$root/scenarios/kim-nrw-2021.yaml
mkdir -p "$tmp/bin"
# srun: the step's command, with --ntasks ranks under MPIEXEC where given (exec: the signal that
# the batch shell forwards reaches the launcher, which passes it on, as srun does).
cat >"$tmp/bin/srun" <<STUB
#!/usr/bin/env bash
ntasks=1
while [ \$# -gt 0 ]; do
  case \$1 in
    --ntasks=*) ntasks=\${1#--ntasks=}; shift ;;
    --*=*) shift ;;
    *) break ;;
  esac
done
echo "srun \$ntasks \$*" >>"$tmp/srun.log"
if [ -n "$mpiexec" ] && [ "\$ntasks" -gt 1 ]; then exec "$mpiexec" -n "\$ntasks" "\$@"; fi
exec "\$@"
STUB
cat >"$tmp/bin/scontrol" <<STUB
#!/usr/bin/env bash
echo "scontrol \$*" >>"$tmp/scontrol.log"
STUB
cat >"$tmp/bin/sbatch" <<STUB
#!/usr/bin/env bash
echo "sbatch \$*" >>"$tmp/sbatch.log"
echo "\$((1000 + \$(wc -l <"$tmp/sbatch.log")))"
STUB
chmod +x "$tmp/bin/"*
export PATH=$tmp/bin:$PATH

. "$root/tests/lib/ready.sh"

# 1. simulate.sbatch. The warning must find the step running: n sized so that the step lasts
# seconds, not tenths (at 40,000 replications a faster build finished before the warning came).
n=400000
"$kimsim" simulate "$scenario" -n $n --seed 11 --threads 2 --quiet --out "$tmp/ref" || problem "the uninterrupted run failed"
ranks=1
[ -n "$mpiexec" ] && ranks=2
export SLURM_JOB_ID=4242 SLURM_NTASKS=$ranks SLURM_CPUS_PER_TASK=1 KIMSIM=$kimsim
job() { bash "$root/examples/slurm/simulate.sbatch" "$scenario" "$tmp/mc" $n --seed 11 >>"$tmp/job.log" 2>&1; }
bash "$root/examples/slurm/simulate.sbatch" "$scenario" "$tmp/mc" $n --seed 11 >>"$tmp/job.log" 2>&1 &
batch=$!
# Slurm's warning goes to the batch shell once the step runs.
ready $batch "$ranks" || problem "simulate.sbatch: kimsim did not start"
sleep 0.3
kill -USR1 $batch
wait $batch
code=$?
[ "$code" = 75 ] || problem "simulate.sbatch: exit $code after USR1, expected 75: $(cat "$tmp/job.log")"
grep -q "^scontrol requeue 4242\$" "$tmp/scontrol.log" 2>/dev/null || problem "simulate.sbatch: the job was not requeued"
[ -s "$tmp/mc.checkpoint" ] || problem "simulate.sbatch: no checkpoint"
grep -q "^srun $ranks $kimsim simulate .* --threads 1 .*--checkpoint $tmp/mc.checkpoint" "$tmp/srun.log" ||
  problem "simulate.sbatch: the step is not $ranks ranks x 1 thread with the checkpoint: $(cat "$tmp/srun.log")"
SLURM_RESTART_COUNT=1 job  # the requeued job
code=$?
[ "$code" = 0 ] || problem "simulate.sbatch, requeued: exit $code: $(cat "$tmp/job.log")"
tail -1 "$tmp/srun.log" | grep -q -- "--resume" || problem "simulate.sbatch, requeued: it did not resume"
for f in simulation.csv summary.json report.html; do
  cmp -s "$tmp/ref/$f" "$tmp/mc/$f" || problem "simulate.sbatch: $f differs from the uninterrupted run"
done
[ ! -e "$tmp/mc.checkpoint" ] || problem "simulate.sbatch: the checkpoint is left after the results"

# 2. The sweep as a job array, with a kimsim stub that stops with 75 on its first run of a slice.
cat >"$tmp/bin/kimsim-stub" <<STUB
#!/usr/bin/env bash
echo "kimsim \$*" >>"$tmp/kimsim.log"
out= ckpt= resume=0 merge=0
while [ \$# -gt 0 ]; do
  case \$1 in
    --out) out=\$2; shift 2 ;;
    --checkpoint) ckpt=\$2; shift 2 ;;
    --resume) resume=1; shift ;;
    --merge) merge=1; shift ;;
    *) shift ;;
  esac
done
if [ \$merge = 1 ]; then mkdir -p "\$out"; exit 0; fi
if [ \$resume = 0 ]; then echo "KIMSIM-CHECKPOINT 1" >"\$ckpt"; exit 75; fi
mkdir -p "\$out" && rm -f "\$ckpt"
STUB
chmod +x "$tmp/bin/kimsim-stub"
export KIMSIM=$tmp/bin/kimsim-stub SLURM_ARRAY_JOB_ID=77 SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=4
: >"$tmp/scontrol.log"
for k in 1 2 3; do
  SLURM_ARRAY_TASK_ID=$k bash "$root/examples/slurm/sweep-array.sbatch" sweep.yaml "$tmp/sw" >>"$tmp/array.log" 2>&1
  code=$?
  [ "$code" = 75 ] || problem "sweep-array.sbatch, task $k: exit $code, expected 75"
  grep -q "^scontrol requeue 77_$k\$" "$tmp/scontrol.log" || problem "sweep-array.sbatch, task $k: not requeued"
  SLURM_ARRAY_TASK_ID=$k SLURM_RESTART_COUNT=1 bash "$root/examples/slurm/sweep-array.sbatch" sweep.yaml "$tmp/sw" >>"$tmp/array.log" 2>&1 ||
    problem "sweep-array.sbatch, task $k requeued: failed"
  grep -q -x "kimsim sweep sweep.yaml --slice $k/3 --threads 4 --quiet --out $tmp/sw/slice-$k --checkpoint $tmp/sw/slice-$k.checkpoint --resume" \
    "$tmp/kimsim.log" || problem "sweep-array.sbatch, task $k: not the slice $k/3 resumed: $(cat "$tmp/kimsim.log")"
done
bash "$root/examples/slurm/sweep-merge.sbatch" "$tmp/sw" 3 || problem "sweep-merge.sbatch failed"
grep -q -x "kimsim sweep --merge $tmp/sw/slice-1 $tmp/sw/slice-2 $tmp/sw/slice-3 --out $tmp/sw/merged" "$tmp/kimsim.log" ||
  problem "sweep-merge.sbatch: not the merge of the 3 slices: $(tail -1 "$tmp/kimsim.log")"
bash "$root/examples/slurm/sweep-merge.sbatch" "$tmp/sw" 4 2>/dev/null && problem "sweep-merge.sbatch: merged with a slice missing"
bash "$root/examples/slurm/submit-sweep.sh" sweep.yaml "$tmp/sw" 3 >/dev/null || problem "submit-sweep.sh failed"
grep -q -x "sbatch --parsable --array=1-3 $root/examples/slurm/sweep-array.sbatch sweep.yaml $tmp/sw" "$tmp/sbatch.log" &&
  grep -q -x "sbatch --parsable --dependency=afterok:1001 $root/examples/slurm/sweep-merge.sbatch $tmp/sw 3" "$tmp/sbatch.log" ||
  problem "submit-sweep.sh: not the array and then the merge after it: $(cat "$tmp/sbatch.log")"
[ $fail = 0 ] && echo "slurm: simulate.sbatch checkpointed on USR1, requeued and resumed to the same bytes ($ranks ranks); the sweep array's slices, requeues and merge as intended"
exit $fail
