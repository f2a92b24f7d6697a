// Jest runs CommonJS; kubernetes-fluent-client 3.x and @kubernetes/client-node 1.x ship ESM only.
// This transformer rewrites ESM files from node_modules to CommonJS with esbuild (already a pepr peer
// dependency) and leaves CommonJS files untouched. Jest caches the output, so only the first run pays.
const { transformSync } = require("esbuild");
const { dirname, join } = require("node:path");
const { existsSync, readFileSync } = require("node:fs");

const typeCache = new Map();
function packageType(file) {
  let dir = dirname(file);
  while (dir !== dirname(dir)) {
    if (typeCache.has(dir)) return typeCache.get(dir);
    const pj = join(dir, "package.json");
    if (existsSync(pj)) {
      let type = "commonjs";
      try { type = JSON.parse(readFileSync(pj, "utf8")).type || "commonjs"; } catch { /* keep default */ }
      typeCache.set(dir, type);
      return type;
    }
    dir = dirname(dir);
  }
  return "commonjs";
}

module.exports = {
  process(src, file) {
    const esm = file.endsWith(".mjs") || (!file.endsWith(".cjs") && packageType(file) === "module");
    if (!esm) return { code: src };
    const out = transformSync(src, { format: "cjs", loader: "js", target: "node20", sourcefile: file, sourcemap: "inline", logLevel: "silent" });
    return { code: out.code };
  },
  getCacheKey(src, file) {
    return require("node:crypto").createHash("sha1").update(src).update(file).update("esm-v1").digest("hex");
  },
};
