// Starts the sandbox once per jest run (integration and e2e share it) and exports its coordinates to the
// test workers through the environment. CAPSICUM_HARNESS_ONLY=moto|kube starts just one half.
import { startSandbox, Sandbox } from "../sandbox/sandbox";

declare global { var __capsicumSandbox: Sandbox | undefined } // eslint-disable-line no-var

export default async function globalSetup(): Promise<void> {
  if (globalThis.__capsicumSandbox) return;
  const only = process.env.CAPSICUM_HARNESS_ONLY;
  const sandbox = await startSandbox({ kube: only !== "moto", moto: only !== "kube" });
  globalThis.__capsicumSandbox = sandbox;
  Object.assign(process.env, sandbox.env);
}
