// `npm run bench [-- --quick] [-- --model-delay MS]`: one run, against the
// Firestore emulator, of this project AND the grammY-session baseline (grammY
// session() + @grammyjs/storage-firestore, "the usual way"), driven by the same
// updates through the same loopback Bot API and Messages API fakes (real grammY
// and Anthropic SDK clients). Prints every figure with its budget and PASS/MISS
// and writes bench/results.json. Nothing is hard-coded: every verdict is computed
// from what this run measured.
//
// Started outside the emulator it re-runs itself inside one
// (scripts/with-emulators.sh bench: Firestore only, project demo-bench).
// Needs `npm run build && npm run build:devtools` first (it imports ../lib and ../.runtime/devtools).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const functionsDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: { quick: { type: "boolean", default: false }, "model-delay": { type: "string", default: "50" } },
});

if (!process.env.FIRESTORE_EMULATOR_HOST) {
  const quote = (s) => `'${String(s).replaceAll("'", `'\\''`)}'`;
  const cmd = ["node", "scripts/bench.mjs", ...process.argv.slice(2)].map(quote).join(" ");
  const run = spawnSync("bash", [join(functionsDir, "scripts/with-emulators.sh"), "bench", cmd], {
    cwd: functionsDir,
    stdio: "inherit",
  });
  process.exit(run.status ?? 1);
}

// The emulator needs no credentials: skip the GCE metadata probe the Firestore client
// otherwise makes on its first call (same for both systems).
process.env.METADATA_SERVER_DETECTION ??= "none";
const { startFakeAnthropic } = await import("../.runtime/devtools/fake-anthropic.js");
const { startFakeTelegram } = await import("../.runtime/devtools/fake-telegram.js");
const { coldStart } = await import("./bench/cold-start.mjs");
const caching = await import("./bench/caching.mjs");
const media = await import("./bench/media.mjs");
const streaming = await import("./bench/streaming.mjs");
const { buildRows, NOTES } = await import("./bench/figures.mjs");
const { formatTable } = await import("./bench/report.mjs");
const S = await import("./bench/scenarios.mjs");
const { baselineSystem, emulatorClient, ourSystem } = await import("./bench/systems.mjs");

const modelDelayMs = Number(args["model-delay"]);
if (!Number.isFinite(modelDelayMs) || modelDelayMs < 0) throw new Error("--model-delay takes milliseconds");
const quick = args.quick;
const size = quick
  ? {
      warmUp: 2,
      warm: 10,
      burst: 20,
      each: 10,
      redelivered: 3,
      chats: 80,
      perChat: 2,
      loadWarmRounds: 0,
      loadRounds: 1,
      l1: 20_000,
      read: 50,
      tx: 20,
      cold: 3,
    }
  : {
      warmUp: 5,
      warm: 30,
      burst: 20,
      each: 10,
      redelivered: 5,
      chats: 80,
      perChat: 5,
      loadWarmRounds: 1,
      loadRounds: 3,
      l1: 100_000,
      read: 200,
      tx: 50,
      cold: 5,
    };

const [telegram, anthropic] = await Promise.all([
  startFakeTelegram(),
  startFakeAnthropic({ delayMs: modelDelayMs }),
]);
const fakes = { telegram, anthropic };
const systems = {
  ours: (prefix, db) => ourSystem({ fakes, prefix, db }),
  baseline: async (prefix, db) => baselineSystem({ fakes, prefix, db }),
};
const both = async (label, run) => {
  const out = {};
  for (const name of ["baseline", "ours"]) {
    telegram.reset();
    anthropic.reset();
    const t0 = performance.now();
    out[name] = await run(systems[name], name);
    process.stderr.write(`  ${label} ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  return out;
};

const started = performance.now();
process.stderr.write(
  `bench: ${quick ? "quick" : "full"} run, model delay ${modelDelayMs} ms, project ${process.env.GCLOUD_PROJECT}\n`,
);
const results = { cold: await coldStart({ functionsDir, runs: size.cold }) };
process.stderr.write("  cold start done\n");
await both("warm-up", (make) => S.warmUp(make, size.warmUp));
results.warm = await both("warm turns", (make) => S.warmTurns(make, fakes, size.warm));
results.txMs = await S.transactionRoundTrip(emulatorClient(), size.tx);
results.burst = await both("burst", (make) => S.burst(make, fakes, size.burst));
results.two = await both("two instances", (make) => S.twoInstances(make, fakes, size.each, size.redelivered));
// Load is the noisiest figure: a discarded round each (the emulator's JVM is still
// warming up after the small scenarios), then several rounds, alternating which
// system goes first.
for (let i = 0; i < size.loadWarmRounds; i++) {
  for (const name of ["baseline", "ours"]) {
    const r = await S.load(systems[name], size.chats, size.perChat);
    process.stderr.write(`  load warm-up ${name}: ${r.turnsPerSec.toFixed(1)} turns/s (not counted)\n`);
  }
}
const rounds = { baseline: [], ours: [] };
for (let i = 0; i < size.loadRounds; i++) {
  for (const name of i % 2 === 0 ? ["baseline", "ours"] : ["ours", "baseline"]) {
    telegram.reset();
    anthropic.reset();
    const r = await S.load(systems[name], size.chats, size.perChat);
    rounds[name].push(r);
    process.stderr.write(`  load round ${i + 1} ${name}: ${r.turnsPerSec.toFixed(1)} turns/s\n`);
  }
}
results.load = { baseline: S.combineLoad(rounds.baseline), ours: S.combineLoad(rounds.ours) };
results.l1 = await S.l1Latency(systems.ours, size.l1);
results.baselineRead = await S.baselineReadLatency(systems.baseline, size.read);
telegram.reset();
anthropic.reset();
results.media = await media.mediaBench({ make: systems.ours, fakes, chats: quick ? 5 : 20 });
process.stderr.write("  media done\n");
await Promise.all([telegram.close(), anthropic.close()]);
results.streaming = await streaming.streamingBench(); // its own fakes, with a draft rate limit
process.stderr.write("  streaming done\n");
results.caching = await caching.cachingBench(); // its own fake, in cache-simulation mode
process.stderr.write("  prompt caching done\n");

const rows = [
  ...buildRows(results, size),
  ...caching.cachingRows(results.caching),
  ...media.mediaRows(results.media),
  ...streaming.streamingTableRows(results.streaming),
];
const notes = [
  ...NOTES(results, size),
  ...caching.cachingNotes(results.caching),
  ...media.mediaNotes(results.media),
  ...streaming.streamingNotes(results.streaming),
];
const runSeconds = (performance.now() - started) / 1000;
const header = `Benchmark (${quick ? "quick" : "full"}): Firestore emulator, model fake delay ${modelDelayMs} ms, Node ${process.version}, ${runSeconds.toFixed(0)} s`;
console.log(`\n${header}\n\n${formatTable(rows)}\n\nNotes:\n${notes.map((n) => `- ${n}`).join("\n")}\n`);

const failures = Object.fromEntries(
  ["warm", "burst", "two", "load"].map((k) => [
    k,
    { ours: results[k].ours.failures, baseline: results[k].baseline.failures },
  ]),
);
const outDir = join(functionsDir, "bench");
mkdirSync(outDir, { recursive: true });
const file = join(outDir, "results.json");
writeFileSync(
  file,
  `${JSON.stringify(
    {
      generatedAt: new Date().toISOString(),
      mode: quick ? "quick" : "full",
      modelDelayMs,
      node: process.version,
      runSeconds,
      sizes: size,
      rows,
      notes,
      failures,
      raw: results,
    },
    (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
    2,
  )}\n`,
);
console.log(`Results written to ${file}`);
const failed = Object.values(failures).some((f) => f.ours > 0 || f.baseline > 0);
if (failed) console.log(`Some requests failed during the run: ${JSON.stringify(failures)}`);
process.exit(0);
