// Run by scripts/with-emulators.sh before the emulators start: makes sure
// functions/.secret.local defines every secret (see local-secrets.mjs).
import { ensureLocalSecrets } from "./local-secrets.mjs";

ensureLocalSecrets();
