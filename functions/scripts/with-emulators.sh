#!/usr/bin/env bash
# Runs a command inside `firebase emulators:exec`, once per run, on the project's
# own toolchain: Node 22 and firebase-tools 14 from node_modules/.bin.
#   with-emulators.sh test  "<cmd>"   firestore + functions, project demo-test
#   with-emulators.sh dev   "<cmd>"   firestore + functions, project demo-telegram-agent,
#                                     imports emulator-data/ (EXPORT=1 exports on exit)
#   with-emulators.sh bench "<cmd>"   firestore only
#   with-emulators.sh polling "<cmd>" firestore only, project demo-telegram-agent, imports emulator-data/
#   with-emulators.sh seed  "<cmd>"   firestore only, project demo-telegram-agent, exports to
#                                     emulator-data/ on exit (starts empty: the export is the seed)
set -euo pipefail
mode="$1"; cmd="$2"

# The emulators use fixed ports (firebase.json): one run at a time on a machine.
# A second run waits for the first instead of failing on a busy port.
if [ -z "${TG_AGENT_EMULATOR_LOCKED:-}" ] && command -v flock > /dev/null; then
  export TG_AGENT_EMULATOR_LOCKED=1
  exec flock "${XDG_RUNTIME_DIR:-/tmp}/tg-agent-emulators.lock" bash "$0" "$@"
fi

functions_dir="$(cd "$(dirname "$0")/.." && pwd)"
repo_dir="$(cd "$functions_dir/.." && pwd)"
# The CLI finds firebase.json by walking up; commands run from functions/.
cd "$functions_dir"

# Node 22 and firebase-tools 14 from the project, whatever the system has.
export PATH="$functions_dir/node_modules/.bin:$PATH"

launcher="$(bash "$functions_dir/scripts/prepare-emulator.sh")"
if [ -n "$launcher" ]; then export FIRESTORE_EMULATOR_BINARY_PATH="$launcher"; fi

# Each emulator worker leaves a socket file in TMPDIR: give the run its own.
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/tg-agent-${mode}.XXXXXX")"
export TMPDIR="$run_tmp"
# The functions emulator leaves its worker processes running after emulators:exec
# returns (~160 MB each, a dozen or more per run). Only this run's children carry its
# private TMPDIR in their environment: end those, then remove the directory.
cleanup() {
  for environ in /proc/[0-9]*/environ; do
    if tr '\0' '\n' < "$environ" 2>/dev/null | grep -qx "TMPDIR=$run_tmp"; then
      pid="${environ#/proc/}"; kill "${pid%/environ}" 2>/dev/null || true
    fi
  done
  rm -rf "$run_tmp"
}
trap cleanup EXIT

# The functions emulator reads secrets only from functions/.secret.local. Fill in
# any missing key with a local-only value; never overwrite a developer's value.
node "$functions_dir/scripts/ensure-local-secrets.mjs"

# No telemetry prompts or update checks in unattended runs.
export FIREBASE_CLI_DISABLE_UPDATE_CHECK=1
export CI="${CI:-true}"

case "$mode" in
  test)
    firebase emulators:exec --project demo-test --only firestore,functions "$cmd" ;;
  dev)
    extra=()
    if [ "${EXPORT:-}" = "1" ]; then extra+=(--export-on-exit="$repo_dir/emulator-data"); fi
    import=()
    if [ -f "$repo_dir/emulator-data/firebase-export-metadata.json" ]; then import=(--import="$repo_dir/emulator-data"); fi
    firebase emulators:exec --project demo-telegram-agent --only firestore,functions \
      "${import[@]}" "${extra[@]}" "$cmd" ;;
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
