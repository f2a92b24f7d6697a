// The Node runtime settings of the module's containers (both Deployments; Pepr's controller entrypoint forks the
// module with its environment, so both processes of a pod get them). Used by scripts/build-dist.ts for dist/ and
// by `npm run bench -- scale`, so the bench measures the process users run.
//
// Measured (README "Benchmarks", engine at 1,000 / 5,000 pods and the module bundle at load): V8's default young
// generation (16 MiB semi-spaces) stays resident once a solve has filled it, and glibc keeps freed parser and
// JSON buffers mapped; with 2 MiB semi-spaces and a 64 KiB trim threshold the module loads at ~120 MB instead of
// ~187 MB and the engine peaks at 168 instead of 216 MB at 5,000 pods, at the same solve and per-batch CPU time.
export const MODULE_RUNTIME_ENV: ReadonlyArray<{ name: string; value: string }> = [
  { name: "NODE_OPTIONS", value: "--max-semi-space-size=2" },
  { name: "MALLOC_TRIM_THRESHOLD_", value: "65536" },
];
