#!/usr/bin/env node
// capsicum CLI entry: load TypeScript sources through tsx, then dispatch.
require("tsx/cjs");
const { main } = require("../src/cli/main.ts");
main(process.argv.slice(2)).then(code => { process.exitCode = code; }, err => { console.error(err instanceof Error ? err.message : err); process.exitCode = 1; });
