#!/usr/bin/env bash
# Runs a command inside `firebase emulators:exec`, once per run, on the project's
# own toolchain: Node 22 and firebase-tools 14 from node_modules/.bin.
#   with-emulators.sh test  "<cmd>"   firestore + functions, project demo-test
#   with-emulators.sh dev   "<cmd>"   firestore + functions, project demo-telegram-agent,
#                                     imports emulator-data/ (EXPORT=1 exports on exit);
#                                     <cmd> (the chat console) gets this terminal, the
#                                     emulators' output goes to .runtime/dev-emulators.log
#   with-emulators.sh bench "<cmd>"   firestore only
#   with-emulators.sh polling "<cmd>" firestore only, project demo-telegram-agent, imports emulator-data/
#   with-emulators.sh seed  "<cmd>"   firestore only, project demo-telegram-agent, exports to
#                                     emulator-data/ on exit (starts empty: the export is the seed)
# Further arguments are appended to <cmd> (`npm run dev -- --logs`).
set -euo pipefail
mode="$1"; cmd="$2"; shift 2
for arg in "$@"; do cmd+=" $(printf '%q' "$arg")"; done

# The emulators use fixed ports (firebase.json): one run at a time on a machine.
# A second run waits for the first instead of failing on a busy port.
if [ -z "${TG_AGENT_EMULATOR_LOCKED:-}" ] && command -v flock > /dev/null; then
  export TG_AGENT_EMULATOR_LOCKED=1
  lock="${XDG_RUNTIME_DIR:-/tmp}/tg-agent-emulators.lock"
  if ! flock -n "$lock" true; then
    echo "Waiting for another emulator run on this machine to finish (they share ports)…" >&2
  fi
  exec flock "$lock" bash "$0" "$mode" "$cmd"
fi

functions_dir="$(cd "$(dirname "$0")/.." && pwd)"
repo_dir="$(cd "$functions_dir/.." && pwd)"
# The CLI finds firebase.json by walking up; commands run from functions/.
cd "$functions_dir"

# Node 22 and firebase-tools 14 from the project, whatever the system has.
export PATH="$functions_dir/node_modules/.bin:$PATH"

launcher="$(bash "$functions_dir/scripts/prepare-emulator.sh")"
if [ -n "$launcher" ]; then export FIRESTORE_EMULATOR_BINARY_PATH="$launcher"; fi

# Each emulator worker leaves a socket file in TMPDIR: give the run its own. Every
# process of the run inherits it, which is how end-run-processes.sh finds the
# functions emulator's workers that outlive emulators:exec.
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/tg-agent-${mode}.XXXXXX")"
export TMPDIR="$run_tmp"
cleanup() {
  local status=$?
  if ! bash "$functions_dir/scripts/end-run-processes.sh" "$run_tmp"; then
    [ "$status" -ne 0 ] || status=1
  fi
  rm -rf "$run_tmp"
  exit "$status"
}
trap cleanup EXIT

# The functions emulator reads secrets only from functions/.secret.local. Fill in
# any missing key with a local-only value; never overwrite a developer's value.
node "$functions_dir/scripts/ensure-local-secrets.mjs"

# No telemetry prompts or update checks in unattended runs.
export FIREBASE_CLI_DISABLE_UPDATE_CHECK=1
# The functions emulator gives a new worker 30 s to start; on a loaded 2-core machine
# (unit, integration and e2e tests at once) a dozen workers starting together take longer.
export FUNCTIONS_DISCOVERY_TIMEOUT="${FUNCTIONS_DISCOVERY_TIMEOUT:-120}"
export CI="${CI:-true}"

# dev: the console runs here, in the foreground on this terminal, instead of as
# emulators:exec's child, so nothing the emulators print lands in the chat.
# emulators:exec runs a stand-in script that reports "ready" through a FIFO once the
# emulators are up and holds them until the console has ended; if the emulators
# stop before that, their exit status arrives through the same FIFO instead.
run_dev() {
  local log="$functions_dir/.runtime/dev-emulators.log"
  mkdir -p "$functions_dir/.runtime"
  mkfifo "$run_tmp/events" "$run_tmp/done"
  # Opened read-write: neither side ever blocks opening, and nothing is lost.
  exec {events}<> "$run_tmp/events" {done}<> "$run_tmp/done"
  local hold
  hold="echo ready > $(printf '%q' "$run_tmp/events"); read -r code < $(printf '%q' "$run_tmp/done"); exit \"\$code\""
  echo "Starting the emulators; their output goes to ${log#"$repo_dir"/}"
  { set +e; "$@" "$hold" > "$log" 2>&1 < /dev/null; echo "exited $?" > "$run_tmp/events"; } &
  local event
  read -r event <&"$events"
  if [ "$event" != ready ]; then
    echo "The emulators stopped before the console started (${event}). Last lines of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
  local console=0
  DEV_LOG_FILE="$log" GCLOUD_PROJECT=demo-telegram-agent bash -c "$cmd" || console=$?
  echo "$console" >&"$done"
  if [ "${EXPORT:-}" = "1" ]; then echo "Exporting the emulator data to emulator-data/…"; fi
  read -r event <&"$events"
  local emulators="${event#exited }"
  if [ "$emulators" != 0 ] && [ "$console" = 0 ]; then
    echo "The emulators ended with status $emulators. Last lines of $log:" >&2
    tail -n 30 "$log" >&2
    return "$emulators"
  fi
  if [ "${EXPORT:-}" = "1" ] && [ "$emulators" = 0 ]; then
    echo "emulator-data/ now holds this session's data; it is tracked by git:" \
      "\`git status ../emulator-data\` shows the change, \`git checkout ../emulator-data\` undoes it."
  fi
  return "$console"
}

case "$mode" in
  test)
    firebase emulators:exec --project demo-test --only firestore,functions,tasks "$cmd" ;;
  dev)
    extra=()
    if [ "${EXPORT:-}" = "1" ]; then extra+=(--export-on-exit="$repo_dir/emulator-data"); fi
    import=()
    if [ -f "$repo_dir/emulator-data/firebase-export-metadata.json" ]; then import=(--import="$repo_dir/emulator-data"); fi
    run_dev firebase emulators:exec --project demo-telegram-agent --only firestore,functions,tasks \
      "${import[@]}" "${extra[@]}" ;;
  bench)
    firebase emulators:exec --project demo-bench --only firestore "$cmd" ;;
  polling)
    # Long polling runs the bot in this process: no functions emulator needed.
    import=()
    if [ -f "$repo_dir/emulator-data/firebase-export-metadata.json" ]; then import=(--import="$repo_dir/emulator-data"); fi
    firebase emulators:exec --project demo-telegram-agent --only firestore "${import[@]}" "$cmd" ;;
  seed)
    # No import: the export holds exactly what the seed script writes.
    firebase emulators:exec --project demo-telegram-agent --only firestore \
      --export-on-exit="$repo_dir/emulator-data" "$cmd" ;;
  *)
    echo "unknown mode: $mode" >&2; exit 2 ;;
esac
