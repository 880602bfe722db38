// Figure 6, cold start: time to import the function module (lib/index.js) vs
// firebase-functions alone (v2/https + params), each in a fresh Node process, and
// which heavy SDKs each import loads (recorded by a resolve hook preload).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { median } from "./report.mjs";

const run = promisify(execFile);

/** Heavy SDKs the function does not need until its first request. */
export const HEAVY = [
  "grammy",
  "@anthropic-ai/sdk",
  "@google-cloud/firestore",
  "firebase-admin",
  "google-gax",
  "@grpc/grpc-js",
];

function importCode(specifiers) {
  const imports = specifiers.map((s) => `import(${JSON.stringify(s)})`).join(", ");
  return `const t = performance.now(); await Promise.all([${imports}]); process.stdout.write(JSON.stringify({ ms: performance.now() - t }));`;
}

async function child(cwd, code, preload) {
  const args = [...(preload ? ["--import", preload] : []), "--input-type=module", "-e", code];
  const { stdout, stderr } = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  const loaded = /LOADED (.*)/.exec(stderr)?.[1];
  return { ms: JSON.parse(stdout).ms, loaded: loaded ? JSON.parse(loaded) : null };
}

/** Heavy SDK name → the distinct entry points loaded (e.g. firebase-admin: app, auth). */
function heavyLoaded(urls) {
  const out = {};
  for (const url of urls) {
    for (const name of HEAVY) {
      const marker = `/node_modules/${name}/`;
      const at = url.indexOf(marker);
      if (at < 0) continue;
      const rest = url.slice(at + marker.length).replace(/^(lib|build|out|dist)\/(esm\/)?/, "");
      const part = rest.includes("/") ? rest.split("/")[0] : rest.replace(/\.(m|c)?js$/, "");
      out[name] ??= new Set();
      if (part !== "package.json" && part !== "utils") out[name].add(part);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

export async function coldStart({ functionsDir, runs }) {
  const moduleCode = importCode([pathToFileURL(join(functionsDir, "lib/index.js")).href]);
  const ffCode = importCode(["firebase-functions/v2/https", "firebase-functions/params"]);
  // "The usual way": a module that imports its SDKs at the top.
  const usualCode = importCode([
    "firebase-functions/v2/https",
    "firebase-functions/params",
    "grammy",
    "@grammyjs/storage-firestore",
    "@google-cloud/firestore",
    "@anthropic-ai/sdk",
  ]);
  const times = { module: [], firebaseFunctions: [], usual: [] };
  // One discarded run each (file cache), then alternate so drift hits all alike.
  for (const code of [moduleCode, ffCode, usualCode]) await child(functionsDir, code);
  for (let i = 0; i < runs; i++) {
    times.module.push((await child(functionsDir, moduleCode)).ms);
    times.firebaseFunctions.push((await child(functionsDir, ffCode)).ms);
    times.usual.push((await child(functionsDir, usualCode)).ms);
  }
  const preload = pathToFileURL(join(functionsDir, "scripts/bench/record-loads.mjs")).href;
  const moduleLoads = heavyLoaded((await child(functionsDir, moduleCode, preload)).loaded ?? []);
  const ffLoads = heavyLoaded((await child(functionsDir, ffCode, preload)).loaded ?? []);
  const usualLoads = heavyLoaded((await child(functionsDir, usualCode, preload)).loaded ?? []);
  const added = {};
  for (const [name, parts] of Object.entries(moduleLoads)) {
    const extra = parts.filter((p) => !(ffLoads[name] ?? []).includes(p));
    if (!ffLoads[name] || extra.length > 0) added[name] = ffLoads[name] ? extra : parts;
  }
  return {
    runs,
    moduleMs: times.module,
    firebaseFunctionsMs: times.firebaseFunctions,
    moduleMedianMs: median(times.module),
    firebaseFunctionsMedianMs: median(times.firebaseFunctions),
    ratio: median(times.module) / median(times.firebaseFunctions),
    usualMs: times.usual,
    usualMedianMs: median(times.usual),
    usualRatio: median(times.usual) / median(times.firebaseFunctions),
    heavyLoadedByUsual: usualLoads,
    heavyLoadedByModule: moduleLoads,
    heavyLoadedByFirebaseFunctions: ffLoads,
    heavyAddedByModule: added,
  };
}
