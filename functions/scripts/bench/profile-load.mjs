// Profiling aid (not part of the bench): the load scenario for one system, e.g.
//   bash scripts/with-emulators.sh bench "node --cpu-prof --cpu-prof-dir=/tmp/prof scripts/bench/profile-load.mjs ours"
process.env.METADATA_SERVER_DETECTION ??= "none";
const { startFakeAnthropic } = await import("../../.runtime/devtools/fake-anthropic.js");
const { startFakeTelegram } = await import("../../.runtime/devtools/fake-telegram.js");
const S = await import("./scenarios.mjs");
const { baselineSystem, ourSystem } = await import("./systems.mjs");
const which = process.argv[2] ?? "ours";
const [telegram, anthropic] = await Promise.all([startFakeTelegram(), startFakeAnthropic({ delayMs: 50 })]);
const fakes = { telegram, anthropic };
const make =
  which === "ours"
    ? (prefix) => ourSystem({ fakes, prefix })
    : async (prefix) => baselineSystem({ fakes, prefix });
await S.load(make, 80, 2); // warm-up
for (let i = 0; i < 3; i++) {
  telegram.reset();
  anthropic.reset();
  const r = await S.load(make, 80, 5);
  console.log(`${which}: ${r.turnsPerSec.toFixed(1)} turns/s, ${r.cpuMsPerTurn.toFixed(2)} ms CPU/turn`);
}
await Promise.all([telegram.close(), anthropic.close()]);
process.exit(0);
