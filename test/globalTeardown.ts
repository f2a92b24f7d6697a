// Stops every process the sandbox started (the reaper in procs.ts covers crashes).
export default async function globalTeardown(): Promise<void> {
  const sandbox = globalThis.__capsicumSandbox;
  globalThis.__capsicumSandbox = undefined;
  await sandbox?.stop();
}
