#!/usr/bin/env bash
# Prints the FIRESTORE_EMULATOR_BINARY_PATH to use, or nothing when the CLI's own
# download path should be used.
#
# Why: firebase-tools downloads the Firestore emulator jar on first use. Machines
# without access to that download (CI here) have the gcloud SDK's copy, which has
# no Main-Class; a tiny launcher jar whose manifest points at it makes it runnable.
# On a normal developer machine (jar already cached, or download works) we leave
# the standard path alone.
set -euo pipefail

cache_dir="${HOME}/.cache/firebase/emulators"
gcloud_jar="/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
here="$(cd "$(dirname "$0")/.." && pwd)"
out_dir="${here}/.runtime"

# Already downloaded by the CLI: nothing to do.
if compgen -G "${cache_dir}/cloud-firestore-emulator-v*.jar" > /dev/null; then
  exit 0
fi
# No local copy to fall back on: the CLI's download is the only way.
[ -f "$gcloud_jar" ] || exit 0
# Download host reachable (any HTTP answer): let the CLI fetch its own jar.
if [ "${FORCE_FIRESTORE_LAUNCHER:-}" != "1" ] && \
   curl -sI --max-time 3 https://storage.googleapis.com/ > /dev/null 2>&1; then
  exit 0
fi
launcher="${out_dir}/firestore-launcher.jar"
if [ ! -f "$launcher" ]; then
  mkdir -p "${out_dir}/launcher"
  cat > "${out_dir}/launcher/manifest.txt" <<MANIFEST
Main-Class: com.google.cloud.datastore.emulator.firestore.CloudFirestore
Class-Path: file:${gcloud_jar}
MANIFEST
  (cd "${out_dir}/launcher" && jar cfm "$launcher" manifest.txt)
fi
echo "$launcher"
