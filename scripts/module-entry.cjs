// The container entry of dist/'s pods (shipped beside the module in its Secret, mounted at /app/load). It does
// what Pepr 1.1.4's controller.js does before it forks the module: check the unpacked code's sha256 against the
// Deployment's argument, then write it to /app/module-<hash>.js. It then loads the module in this same process
// instead of forking it: Pepr's entrypoint stays resident only to wait for its child (~100 MB RSS per pod for
// kubernetes-fluent-client it no longer uses; README "Benchmarks"). The PeprStore CRD, which controller.js also
// applies, ships in capsicum.yaml. `npx pepr deploy` keeps Pepr's own entrypoint.
"use strict";
const { createHash, timingSafeEqual } = require("node:crypto");
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const { gunzipSync } = require("node:zlib");

function fail(msg) {
  // One JSON line, as Pepr's logger writes, so log pipelines read it like the module's own.
  process.stderr.write(JSON.stringify({ level: 50, time: Date.now(), msg }) + "\n");
  process.exit(1);
}

const hash = process.argv[2] ?? "";
if (!/^[a-f0-9]{64}$/.test(hash)) fail(`Invalid hash. Expected a valid SHA-256 hash, got ${hash}`);
let code;
try {
  code = gunzipSync(readFileSync(join(__dirname, `module-${hash}.js.gz`)));
} catch (e) {
  fail(`cannot read the module module-${hash}.js.gz beside ${__filename}: ${e.message}`);
}
const actual = createHash("sha256").update(code).digest();
if (!timingSafeEqual(Buffer.from(hash, "hex"), actual))
  fail(`File hash does not match, expected ${hash} but got ${actual.toString("hex")}`);
const file = join(__dirname, "..", `module-${hash}.js`);
writeFileSync(file, code);
require(file);
