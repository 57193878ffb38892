#!/usr/bin/env bash
# Checkpoint and resume of kimsim simulate and kimsim sweep: interrupted at random moments — SIGTERM and SIGUSR1
# (a checkpoint, exit 75), SIGKILL (nothing but the last periodic checkpoint, --checkpoint-every
# 100ms) — and resumed, every run ends with the bytes of an uninterrupted one (all files; the
# manifest but its time and command line), and its checkpoint removed. Also under MPI with 2
# ranks (a signal to the launcher, which forwards it, and to one rank alone) where MPIEXEC is given.
# And a finished run whose output folder is taken meanwhile keeps its work as the checkpoint, and
# of two runs given the same --checkpoint the second to write stops instead of taking the file.
# The moments are drawn from a fixed seed (printed; KIMSIM_CHECKPOINT_SEED sets another).
# Usage: run.sh KIMSIM ROOT [MPIEXEC]
set -u
test=checkpoint
. "$(dirname "$0")/../lib/harness.sh"
scenario=$root/scenarios/kim-nrw-2021.yaml
n=${KIMSIM_CHECKPOINT_REPLICATIONS:-4000}
seed=${KIMSIM_CHECKPOINT_SEED:-20261130}
RANDOM=$seed
echo "checkpoint: $n replications; random moments from seed $seed"

# The manifest without what may differ between runs: its time and command line.
strip_manifest() { grep -v -E '"(time_utc|command_line)"' "$1"; }
same_as_reference() {  # same_as_reference DIR WHAT
  local f
  for f in "${files[@]}"; do
    cmp -s "$tmp/ref/$f" "$1/$f" || problem "$2: $f differs from the uninterrupted run"
  done
  cmp -s <(strip_manifest "$tmp/ref/manifest.json") <(strip_manifest "$1/manifest.json") ||
    problem "$2: manifest.json differs from the uninterrupted run beyond time and command line"
}

. "$root/tests/lib/ready.sh"

# The job under test: its command after `kimsim` (without --threads, --out and the checkpoint
# options), the files it writes but the manifest, and its uninterrupted run in $tmp/ref.
job=(simulate "$scenario" -n "$n" --seed 3)
files=(simulation.csv summary.json report.html)
reference() {
  rm -rf "$tmp/ref"
  start=$(date +%s%N)
  "$kimsim" "${job[@]}" --threads 2 --quiet --out "$tmp/ref" || problem "the uninterrupted run of ${job[0]} failed"
  took_ms=$((($(date +%s%N) - start) / 1000000))
  echo "checkpoint: the uninterrupted ${job[0]} took ${took_ms} ms"
}
reference

# interrupt LAUNCH SIGNAL DELAY_MS WHAT: starts the run in the background, sends SIGNAL after the
# delay (to the launcher, or with LAUNCH=one-rank to the second rank alone), resumes until it
# ends, and compares.
interrupt() {
  local launch=$1 sig=$2 delay=$3 what=$4 out=$tmp/run ck=$tmp/run.ck code rounds=0 pid target
  rm -rf "$out" "$ck"
  local cmd=("$kimsim" "${job[@]}" --threads 2 --quiet --out "$out" --checkpoint "$ck" --checkpoint-every 100ms)
  # (timeout: a launcher that hangs after a rank's death fails the test instead of holding it)
  [ "$launch" = local ] || cmd=(timeout 120 "$mpiexec" -n 2 "$kimsim" "${job[@]}" --threads 1 --quiet --out "$out"
    --checkpoint "$ck" --checkpoint-every 100ms)
  "${cmd[@]}" 2>"$tmp/err" &
  pid=$!
  if [ "$launch" = local ]; then ready $pid 1; else ready $pid 2; fi || problem "$what: kimsim did not start"
  sleep "$(printf '0.%03d' "$delay")"
  target=$pid
  [ "$launch" = local ] || target=$(pgrep -P "$pid" | head -1)  # the launcher under timeout
  if [ "$launch" = one-rank ] && [ ${#READY[@]} -ge 2 ]; then
    target=${READY[1]}
  fi
  kill -s "$sig" "$target" 2>/dev/null
  wait "$pid" 2>/dev/null
  code=$?
  # A launcher signalled while it ends (its ranks have written the results and left) may die of
  # the signal itself: that run is whole, and is compared below as a finished one.
  if [ "$launch" = launcher ] && [ "$code" -gt 128 ] && [ -e "$out/manifest.json" ] && [ ! -e "$ck" ]; then
    echo "checkpoint: $what: the launcher ended by the signal after the results were written"
    code=0
  fi
  case $sig:$code in
    KILL:137 | KILL:0 | TERM:75 | USR1:75 | INT:75 | *:0) ;;
    *) problem "$what: exit $code after SIG$sig: $(cat "$tmp/err")" ;;
  esac
  if [ "$code" = 75 ]; then
    [ -s "$ck" ] || problem "$what: exit 75 without a checkpoint"
    [ ! -e "$out" ] || problem "$what: an interrupted run wrote results"
    grep -q "stopped by SIG$sig after" "$tmp/err" || [ "$launch" = one-rank ] || problem "$what: no word of the stop: $(cat "$tmp/err")"
  fi
  while [ "$code" != 0 ] && [ $rounds -lt 3 ]; do
    rounds=$((rounds + 1))
    if [ -e "$ck" ]; then
      "${cmd[@]}" --resume 2>"$tmp/err"
    else
      "${cmd[@]}" 2>"$tmp/err"
    fi
    code=$?
  done
  [ "$code" = 0 ] || { problem "$what: the resumed run ended with exit $code: $(cat "$tmp/err")"; return; }
  [ ! -e "$ck" ] || problem "$what: the checkpoint is left after the results were written"
  same_as_reference "$out" "$what"
}

signals=(TERM USR1 KILL TERM USR1 KILL INT)
for ((k = 1; k <= 21; k++)); do
  sig=${signals[$((k % ${#signals[@]}))]}
  delay=$((RANDOM % (took_ms > 999 ? 999 : took_ms)))
  interrupt local "$sig" "$delay" "interruption $k (SIG$sig after $delay ms)"
done
echo "checkpoint: 21 interruptions, one process"

if [ -n "$mpiexec" ]; then
  k=0
  # Open MPI's mpiexec forwards SIGUSR1 to the ranks, but answers SIGTERM by ending them: a job
  # script signals its step with USR1 (examples/slurm/); srun forwards SIGTERM as well.
  for how in launcher:USR1 one-rank:TERM launcher:USR1 launcher:KILL one-rank:USR1; do
    k=$((k + 1))
    delay=$((RANDOM % (took_ms > 999 ? 999 : took_ms)))
    interrupt "${how%%:*}" "${how#*:}" "$delay" "2 ranks, interruption $k (SIG${how#*:} to the ${how%%:*} after $delay ms)"
  done
  echo "checkpoint: 5 interruptions, 2 ranks"
fi

# A folder that appears in --out's way while the run computes (another job, a user): the run
# leaves it untouched, keeps its finished work as the checkpoint and says so; once the way is
# clear, --resume writes the results of the uninterrupted run. The folder appears once the run
# computes: after its first periodic checkpoint (100 ms), which comes after the check of --out
# at the start (a folder there before is refused at once, nothing computed); 200,000
# replications leave the run most of its time to go.
# ended_alone OUT WHAT: the run that wrote OUT removed its checkpoint ($ck) and gave the
# uninterrupted run's bytes.
ended_alone() {
  [ ! -e "$ck" ] || problem "$2: the checkpoint is left after the results"
  same_as_reference "$1" "$2"
}
# refused_while_held WHAT EXPECTED [ARGS...]: with the run $pid held (SIGSTOP), another run of the
# job on its checkpoint $ck (ARGS added, results to $out.b) exits 2 and says EXPECTED, naming $pid.
refused_while_held() {
  local what=$1 expected=$2 code
  shift 2
  "$kimsim" "${job[@]}" --threads 1 --quiet --out "$out.b" --checkpoint "$ck" "$@" 2>"$tmp/err.b"
  code=$?
  [ "$code" = 2 ] && grep -q "$expected (process $pid on this machine)" "$tmp/err.b" ||
    problem "$what: exit $code, $(cat "$tmp/err.b")"
}
# release_and_end WHAT: lets the held run $pid go on; it finishes alone, the refused runs wrote nothing.
release_and_end() {
  kill -CONT $pid
  wait $pid || problem "$1: the held run did not finish: $(cat "$tmp/err")"
  [ ! -e "$out.b" ] || problem "$1: a refused run wrote results"
  ended_alone "$out" "$1"
}
# start_and_wait OUT CHECKPOINT THREADS: starts the job in the background (its PID in $pid, its
# standard error in $tmp/err), a checkpoint every 100 ms, and returns once it has written the first
# (or ended).
start_and_wait() {
  "$kimsim" "${job[@]}" --threads "$3" --quiet --out "$1" --checkpoint "$2" --checkpoint-every 100ms 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 6000); do
    [ -s "$2" ] || ! kill -0 $pid 2>/dev/null && break
    sleep 0.01
  done
}

job=(simulate "$scenario" -n 200000 --seed 3)
reference
out=$tmp/inway ck=$tmp/inway.ck
rm -rf "$out" "$ck"
start_and_wait "$out" "$ck" 2
mkdir "$out" && echo "a user's notes" >"$out/notes.txt"
wait $pid
code=$?
if [ "$code" = 0 ]; then
  problem "in the way: the run ended before the folder appeared (it took less than the time to make it): $(cat "$tmp/err")"
else
  grep -q "kept in the checkpoint $ck" "$tmp/err" || problem "in the way: exit $code without word of the kept work: $(cat "$tmp/err")"
  [ "$(cat "$out/notes.txt")" = "a user's notes" ] && [ "$(ls "$out")" = notes.txt ] || problem "in the way: the user's folder was changed"
  [ -s "$ck" ] || problem "in the way: no checkpoint was kept"
  rm -rf "$out"
  # --max-time 1ms: a run with anything left to compute stops after its first chunk (exit 75);
  # the kept checkpoint holds every replication, so this one only writes.
  "$kimsim" "${job[@]}" --threads 2 --quiet --out "$out" --checkpoint "$ck" --max-time 1ms --resume 2>"$tmp/err" ||
    problem "in the way: the resumed run did not write the kept work at once: $(cat "$tmp/err")"
  [ ! -e "$ck" ] || problem "in the way: the checkpoint is left after the results were written"
  same_as_reference "$out" "in the way"
  echo "checkpoint: a folder in --out's way: the finished work kept, resumed to the same bytes"
fi

# Two runs given the same --checkpoint, of the same scenario and seed (the same identity): the
# file is the run's that wrote it first; the other never replaces or removes it (before, the one
# that finished first removed the file, the other run's work in it), but stops and says so — or
# is refused at its start where the file was there already (the next block). The first finishes
# with the uninterrupted run's bytes and removes its own checkpoint.
out=$tmp/twin ck=$tmp/twin.ck
rm -rf "$out.a" "$out.b" "$ck"
"$kimsim" "${job[@]}" --threads 1 --quiet --out "$out.a" --checkpoint "$ck" --checkpoint-every 100ms 2>"$tmp/err.a" &
pa=$!
"$kimsim" "${job[@]}" --threads 1 --quiet --out "$out.b" --checkpoint "$ck" --checkpoint-every 100ms 2>"$tmp/err.b" &
pb=$!
wait $pa
ca=$?
wait $pb
cb=$?
if [ "$ca" = 0 ] && [ "$cb" != 0 ]; then won=a lost=b
elif [ "$cb" = 0 ] && [ "$ca" != 0 ]; then won=b lost=a
else problem "one --checkpoint, two runs: exits $ca and $cb, not one run finished and one stopped: $(cat "$tmp/err.a" "$tmp/err.b")"; won=""
fi
if [ -n "$won" ]; then
  grep -q -e "another run of the same scenario and seed, given the same --checkpoint, wrote it" \
    -e "is the checkpoint of a run still going" "$tmp/err.$lost" ||
    problem "one --checkpoint, two runs: the stopped run does not say why: $(cat "$tmp/err.$lost")"
  [ ! -e "$out.$lost" ] || problem "one --checkpoint, two runs: the stopped run wrote results"
  ended_alone "$out.$won" "one --checkpoint, two runs"
  echo "checkpoint: two runs given one --checkpoint: the second writer stopped, the first finished"
fi

# A run started on the checkpoint of a run still going is refused at its start, with --resume too
# (resumed, it would take the file from under the running one): the checkpoint names its writer.
# The running one is held (SIGSTOP) meanwhile, so that it is still there after the seconds that
# --resume waits for a writer to end.
out=$tmp/live ck=$tmp/live.ck
rm -rf "$out" "$out.b" "$ck"
start_and_wait "$out" "$ck" 1
kill -STOP $pid
refused_while_held "a run still going: another run on its checkpoint" "is the checkpoint of a run still going"
refused_while_held "a run still going: --resume of its checkpoint" "the run that writes it is still going" --resume
# A --resume stopped while it waits for that run to end (a job's time is up): it stops at once as a
# stopped run does (exit 75, before, only after the wait, and with exit 2), and leaves the
# checkpoint as it was.
sum=$(sha256sum <"$ck")
"$kimsim" "${job[@]}" --threads 1 --quiet --out "$out.b" --checkpoint "$ck" --resume 2>"$tmp/err.b" &
rpid=$!
ready $rpid 1 || problem "--resume stopped while waiting: kimsim did not start"
kill -TERM $rpid
wait $rpid
code=$?
[ "$code" = 75 ] && grep -q "stopped by SIGTERM while --resume waited for the run that wrote $ck (process $pid on this machine)" "$tmp/err.b" ||
  problem "--resume stopped while waiting: exit $code, $(cat "$tmp/err.b")"
[ "$(sha256sum <"$ck")" = "$sum" ] || problem "--resume stopped while waiting: the checkpoint changed"
release_and_end "a run still going"
echo "checkpoint: a run on the checkpoint of a run still going refused, with and without --resume; a waiting --resume stopped at once"

# A script that resumes right after its kill, before the stopped run has ended: --resume waits for
# it to end, then continues from its last checkpoint to the same bytes.
out=$tmp/hasty ck=$tmp/hasty.ck
rm -rf "$out" "$ck"
start_and_wait "$out" "$ck" 1
kill -TERM $pid
"$kimsim" "${job[@]}" --threads 1 --quiet --out "$out" --checkpoint "$ck" --resume 2>"$tmp/err.b" ||
  problem "resumed right after the kill: $(cat "$tmp/err.b")"
wait $pid
code=$?
[ "$code" = 75 ] || problem "resumed right after the kill: the stopped run exited $code, not 75: $(cat "$tmp/err")"
ended_alone "$out" "resumed right after the kill"
echo "checkpoint: resumed right after the kill: waited for the stopped run, the same bytes"

# A resumed run takes the checkpoint under its own token at once: a second --resume of the same
# file while it runs is refused (before, the file named the run that had ended until the resumed
# run's first periodic checkpoint, and both were accepted). The resumed run is held meanwhile.
out=$tmp/again ck=$tmp/again.ck
rm -rf "$out" "$out.b" "$ck"
start_and_wait "$out" "$ck" 1
kill -TERM $pid
wait $pid
"$kimsim" "${job[@]}" --threads 1 --quiet --out "$out" --checkpoint "$ck" --resume 2>"$tmp/err" &
pid=$!
for _ in $(seq 6000); do
  head -c 2000 "$ck" | grep -q "\.$pid\." || ! kill -0 $pid 2>/dev/null && break
  sleep 0.01
done
kill -STOP $pid
refused_while_held "a second --resume" "the run that writes it is still going" --resume
release_and_end "a second --resume"
echo "checkpoint: a second --resume of a checkpoint being resumed refused"

# The same for a sweep: 2,000 deterministic points of the baseline (chunks of 16 points), with
# detail.csv; interrupted at 20 moments in one process and 3 under MPI.
cat >"$tmp/sweep.yaml" <<EOF
sweep: interrupted
base: $root/scenarios/kim-nrw-2021.yaml
parameters:
  - {path: budget_eur, range: [45000000, 60000000], steps: 40}
  - {path: "bausteine[B2].rate_per_vza_eur", range: [50000, 61800], steps: 50}
detail: true
EOF
job=(sweep "$tmp/sweep.yaml")
files=(sweep.csv detail.csv summary.json report.html)
reference
for ((k = 1; k <= 20; k++)); do
  sig=${signals[$((k % ${#signals[@]}))]}
  delay=$((RANDOM % (took_ms > 999 ? 999 : took_ms)))
  interrupt local "$sig" "$delay" "sweep, interruption $k (SIG$sig after $delay ms)"
done
echo "checkpoint: 20 interruptions of a sweep, one process"
if [ -n "$mpiexec" ]; then
  k=0
  for how in launcher:USR1 one-rank:TERM launcher:KILL; do
    k=$((k + 1))
    delay=$((RANDOM % (took_ms > 999 ? 999 : took_ms)))
    interrupt "${how%%:*}" "${how#*:}" "$delay" "sweep, 2 ranks, interruption $k (SIG${how#*:} to the ${how%%:*} after $delay ms)"
  done
  echo "checkpoint: 3 interruptions of a sweep, 2 ranks"
fi
[ $fail = 0 ] && echo "checkpoint: every resumed run gave the bytes of the uninterrupted one"
exit $fail
