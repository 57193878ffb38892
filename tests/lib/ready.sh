# Sourced by tests/checkpoint/run.sh and tests/slurm/run.sh (they set $kimsim, the binary under test).
# ready ROOT COUNT: waits (at most 10 s) until COUNT kimsim processes at or below ROOT (three
# levels: timeout, launcher, ranks) catch SIGUSR1 (SigCgt in /proc): their stop handlers are set,
# so that a signal now interrupts the run, not the process start (before main(), a signal ends
# any process). Their PIDs in READY; returns at once where ROOT has ended.
READY=()
ready() {
  local all next p mask ok
  for _ in $(seq 200); do
    kill -0 "$1" 2>/dev/null || return 0
    all=$1 next=$1
    for _ in 1 2 3; do
      next=$(for p in $next; do pgrep -P "$p"; done)
      all="$all $next"
    done
    READY=() ok=1
    for p in $all; do
      [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$kimsim" ] || continue
      mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$p/status" 2>/dev/null)
      if [ -n "$mask" ] && (((0x$mask >> 9) & 1)); then READY+=("$p"); else ok=0; fi
    done
    [ $ok = 1 ] && [ ${#READY[@]} -ge "$2" ] && return 0
    sleep 0.05
  done
  return 1
}
