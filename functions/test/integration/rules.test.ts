import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
  type RulesTestContext,
  type RulesTestEnvironment,
} from "@firebase/rules-unit-testing";
import { setLogLevel } from "firebase/firestore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COLLECTIONS } from "../../src/state/firestore.js";
import { requireEmulator } from "../support/firestore.js";

// firestore.rules must deny every client request: only the Admin SDK (which bypasses
// rules) may touch the bot's data. These tests load the real rules file into the
// emulator and try every kind of access a client SDK can make.

const RULES = readFileSync(fileURLToPath(new URL("../../../firestore.rules", import.meta.url)), "utf8");
// rules-unit-testing installs rules per project: separate ids keep these rules (and the
// permissive control rules below) away from the demo-test project the other tests use.
const PROJECT = "demo-rules-test";
const CONTROL_PROJECT = "demo-rules-control";

// Every denied write is otherwise logged by the client SDK as an error: expected here.
setLogLevel("silent");

const OWNER = "123";
// Every collection the bot writes, one it does not (prefixed names like "staging_sessions"
// land here too), and a subcollection, which only the recursive wildcard covers.
const COLLECTION_PATHS = [
  ...COLLECTIONS,
  `other_${randomUUID().slice(0, 8)}`,
  `sessions/${OWNER}/private`,
] as const;
const SEED = { seeded: true, history: [{ role: "user", text: "hi" }] };

type Db = ReturnType<RulesTestContext["firestore"]>;
/** The five operations a client could attempt; reads target the seeded document. */
const OPERATIONS: Record<string, (db: Db, collection: string) => Promise<unknown>> = {
  get: (db, c) => db.doc(`${c}/${OWNER}`).get(),
  list: (db, c) => db.collection(c).get(),
  create: (db, c) => db.doc(`${c}/new-${randomUUID()}`).set({ created: true }),
  update: (db, c) => db.doc(`${c}/${OWNER}`).update({ seeded: false }),
  delete: (db, c) => db.doc(`${c}/${OWNER}`).delete(),
};

/** host/port of the emulator that `firebase emulators:exec` started. */
function emulatorAddress(): { host: string; port: number } {
  requireEmulator();
  const hostPort = process.env.FIRESTORE_EMULATOR_HOST!;
  const split = hostPort.lastIndexOf(":");
  return { host: hostPort.slice(0, split), port: Number(hostPort.slice(split + 1)) };
}

async function environment(projectId: string, rules: string): Promise<RulesTestEnvironment> {
  return initializeTestEnvironment({ projectId, firestore: { rules, ...emulatorAddress() } });
}

async function seed(env: RulesTestEnvironment): Promise<void> {
  await env.withSecurityRulesDisabled(async (ctx) => {
    await Promise.all(COLLECTION_PATHS.map((c) => ctx.firestore().doc(`${c}/${OWNER}`).set(SEED)));
  });
}

describe("firestore.rules: clients get no access", () => {
  let env: RulesTestEnvironment;

  beforeAll(async () => {
    env = await environment(PROJECT, RULES);
    await env.clearFirestore();
    await seed(env);
  });

  afterAll(async () => {
    await env?.clearFirestore();
    await env?.cleanup();
  });

  const clients: [string, () => RulesTestContext][] = [
    ["unauthenticated", () => env.unauthenticatedContext()],
    // Owning the document id (user 123 → sessions/123) grants nothing.
    [`authenticated as uid ${OWNER}`, () => env.authenticatedContext(OWNER)],
    // Nor does a custom claim: there is no client-side admin.
    ["authenticated with an admin claim", () => env.authenticatedContext("ops", { admin: true })],
  ];

  describe.each(COLLECTION_PATHS)("%s", (collection) => {
    describe.each(clients)("%s client", (_name, client) => {
      it.each(Object.keys(OPERATIONS))("is denied %s", async (op) => {
        await assertFails(OPERATIONS[op]!(client().firestore(), collection));
      });
    });
  });

  it("the Admin path (rules disabled) still reads and writes, and denied writes changed nothing", async () => {
    await env.withSecurityRulesDisabled(async (ctx) => {
      for (const collection of COLLECTION_PATHS) {
        const snap = await assertSucceeds(ctx.firestore().doc(`${collection}/${OWNER}`).get());
        // Still the seeded data: no update or delete above got through.
        expect(snap.data(), collection).toEqual(SEED);
        const list = await assertSucceeds(ctx.firestore().collection(collection).get());
        // Nor did any create.
        expect(
          list.docs.map((d) => d.id),
          collection,
        ).toEqual([OWNER]);
      }
      await assertSucceeds(ctx.firestore().doc(`sessions/admin-${randomUUID()}`).set({ ok: true }));
    });
  });
});

// Control: the same operations under open rules succeed, so the denials above come
// from firestore.rules and not from the harness (a wrong path, an unreachable emulator).
describe("control: the same requests under open rules", () => {
  let env: RulesTestEnvironment;
  const open = `rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /{document=**} { allow read, write: if true; }
  }
}`;

  beforeAll(async () => {
    env = await environment(CONTROL_PROJECT, open);
    await env.clearFirestore();
  });

  afterAll(async () => {
    await env?.clearFirestore();
    await env?.cleanup();
  });

  it.each(Object.keys(OPERATIONS))("%s succeeds, so assertFails would catch an open rule", async (op) => {
    await seed(env); // each operation starts from the seeded document
    const db = env.unauthenticatedContext().firestore();
    for (const collection of COLLECTION_PATHS) {
      await assertSucceeds(OPERATIONS[op]!(db, collection));
      await expect(assertFails(OPERATIONS[op]!(db, collection))).rejects.toThrow(/Expected request to fail/);
    }
  });
});
