#!/usr/bin/env bash
# Prints the marker file a kimsim run leaves in its temporary folder, as a killed run on this
# machine would have left it: marker.sh partial|previous PID TOKEN [FILE...]
set -eu
tag=$1 pid=$2 token=$3
shift 3
printf 'kimsim %s %s %s\nhost %s %s\n' "$tag" "$pid" "$token" "$(cat /proc/sys/kernel/random/boot_id)" "$(stat -L -c %i /proc/self/ns/pid)"
for f in "$@"; do printf 'file %s\n' "$f"; done
