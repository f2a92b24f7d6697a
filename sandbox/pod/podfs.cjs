// Preloaded (node -r) into every process the sandbox runs as a pod: maps the container image's absolute paths
// (/app/..., where Pepr's controller entrypoint reads /app/load/module-<hash>.js.gz and writes
// /app/module-<hash>.js) onto this pod's directory (POD_ROOT), as the container's mount namespace would.
// Nothing else about the process differs. Forked children inherit it through execArgv.
"use strict";
const fs = require("fs");
const cp = require("child_process");
const path = require("path");
const root = process.env.POD_ROOT;
if (root) {
  const map = (p) => (typeof p === "string" && (p === "/app" || p.startsWith("/app/")) ? path.join(root, p) : p);
  for (const fn of ["existsSync", "readFileSync", "writeFileSync", "mkdirSync", "statSync", "readdirSync", "rmSync", "openSync", "accessSync"]) {
    const orig = fs[fn];
    fs[fn] = function (p, ...rest) { return orig.call(this, map(p), ...rest); };
  }
  for (const fn of ["readFile", "writeFile", "mkdir", "stat", "access"]) {
    const orig = fs.promises[fn];
    fs.promises[fn] = function (p, ...rest) { return orig.call(this, map(p), ...rest); };
  }
  const fork = cp.fork;
  cp.fork = function (modulePath, ...rest) { return fork.call(this, map(modulePath), ...rest); };
}
