#!/usr/bin/env bash
# The Slurm recipe for real on a one-node Slurm cluster on this machine (Debian's slurm-wlm and
# munge; not part of CI, which runs tests/slurm/run.sh with stubs instead). Starts munged,
# slurmctld and slurmd with a configuration in a scratch folder, submits simulate.sbatch as 2
# ranks x 1 thread, sends it Slurm's warning (`scancel --signal=USR1 --batch`, as
# `--signal=B:USR1@300` would before the wall time), waits until the job has checkpointed,
# been requeued and resumed, and compares its results with an uninterrupted run.
#
#   apt-get install -y --no-install-recommends slurm-wlm munge    (as root)
#   examples/slurm/local-cluster.sh [KIMSIM] [REPLICATIONS]       (as root; default build/kimsim, 400000)
#
# Leaves the daemons running (their PIDs in $work/*.pid; stop them with `scontrol shutdown` and
# by killing munged's PID). Tried on Debian 12 (Slurm 22.05.8, Open MPI 4.1.4 with PMIx).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
kimsim=$(realpath "${1:-$root/build/kimsim}")
n=${2:-400000}
work=${KIMSIM_SLURM_WORK:-/tmp/kimsim-slurm}
scenario=$root/scenarios/kim-nrw-2021.yaml
host=$(hostname -s)
mkdir -p "$work"/{state,spool,log,job}
cat >"$work/slurm.conf" <<CONF
ClusterName=kimsim-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobRequeue=1
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
[ -f /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chmod 400 /etc/munge/munge.key; }
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
pgrep -x munged >/dev/null || munged --force
pgrep -x slurmctld >/dev/null || slurmctld -f "$SLURM_CONF"
pgrep -x slurmd >/dev/null || slurmd -f "$SLURM_CONF"
for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo

cd "$work/job"
rm -rf mc mc.checkpoint ref kimsim-simulate-*.out
"$kimsim" simulate "$scenario" -n "$n" --seed 5 --threads "$(nproc)" --quiet --out ref
jid=$(sbatch --parsable --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=30 --export=ALL,KIMSIM="$kimsim" \
  "$root/examples/slurm/simulate.sbatch" "$scenario" "$work/job/mc" "$n" --seed 5)
echo "job $jid submitted"
until squeue -h -j "$jid" -o %T | grep -q RUNNING; do sleep 1; done
sleep 5
scancel --signal=USR1 --batch "$jid"  # what --signal=B:USR1@300 sends 300 s before the wall time
# Requeued (Slurm holds a requeued job back for a while: BeginTime), then resumed to its end.
until [ -d mc ] && ! squeue -h -j "$jid" | grep -q .; do sleep 5; done
cat "kimsim-simulate-$jid.out"
for f in simulation.csv summary.json report.html; do cmp "ref/$f" "mc/$f"; done
[ ! -e mc.checkpoint ]
echo "local Slurm: checkpointed on USR1, requeued, resumed; the results equal an uninterrupted run"
