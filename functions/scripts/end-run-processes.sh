#!/usr/bin/env bash
# Ends every process of one emulator run and checks that none is left:
#   end-run-processes.sh <the run's private TMPDIR>
# with-emulators.sh gives each run its own TMPDIR, so the run's processes are the
# ones whose environment carries it. Why this is needed: `emulators:exec` returns
# with functions-emulator workers still running (~160 MB each): the emulator stops
# a worker with one SIGTERM, and the function's own SIGTERM handler (index.ts:
# finish background work) takes that one without exiting.
# Exit status 1, naming them, when a process survives SIGKILL.
set -uo pipefail
dir="${1:?usage: end-run-processes.sh <run TMPDIR>}"

# Only Linux shows other processes' environments (/proc/<pid>/environ).
[ -r /proc/self/environ ] || exit 0
# Run without the run's TMPDIR ourselves, so this script and its children are not
# among the processes it ends.
if [ "${TMPDIR:-}" = "$dir" ]; then exec env -u TMPDIR bash "$0" "$@"; fi

# One grep over every /proc/<pid>/environ (spawning one per process is slow). It
# reads the files itself: the old `tr '\0' '\n' < file | grep -q` pipeline missed
# processes (under pipefail it fails whenever grep quits before tr has written an
# environment larger than one read: ~7% of big ones), and its failed `<` printed
# "Permission denied" for every kernel thread before 2>/dev/null applied.
run_pids() {
  local file
  while IFS= read -r file; do
    file="${file#/proc/}"
    echo "${file%/environ}"
  done < <(grep -lzxF -- "TMPDIR=$dir" /proc/[0-9]*/environ 2> /dev/null)
}

# True while the process exists and is not a zombie (builtins only: no process per check).
alive() {
  local stat
  { read -r stat < "/proc/$1/stat"; } 2> /dev/null || return 1
  stat="${stat##*) }"
  [ "${stat%% *}" != Z ]
}

# Waits up to $1 tenths of a second for the given processes to end.
wait_gone() {
  local tenths="$1" pid running
  shift
  for ((i = 0; i < tenths; i++)); do
    running=0
    for pid in "$@"; do
      if alive "$pid"; then running=1 && break; fi
    done
    [ "$running" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}

pids="$(run_pids)"
[ -z "$pids" ] && exit 0
# shellcheck disable=SC2086 # one pid per word
kill -TERM $pids 2> /dev/null
# shellcheck disable=SC2086
wait_gone 30 $pids
# Rescan rather than trust the first list: a process may have started another meanwhile.
left="$(run_pids)"
[ -z "$left" ] && exit 0
# shellcheck disable=SC2086
kill -KILL $left 2> /dev/null
# shellcheck disable=SC2086
wait_gone 20 $left
left="$(run_pids)"
[ -z "$left" ] && exit 0
echo "end-run-processes: these processes of the run in $dir did not exit:" >&2
# shellcheck disable=SC2086
ps -o pid=,args= -p "$(echo $left | tr ' ' ',')" >&2 || true
exit 1
