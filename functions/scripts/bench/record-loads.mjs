// Preload for the cold-start figure (node --import): records the URL of every
// module resolved in this process (ESM imports and CommonJS requires, via the
// synchronous module.registerHooks of Node 22.15+) and prints them as one JSON
// line on stderr at exit.
import { registerHooks } from "node:module";

const urls = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    urls.add(result.url);
    return result;
  },
});
process.on("exit", () => {
  process.stderr.write(`LOADED ${JSON.stringify([...urls])}\n`);
});
