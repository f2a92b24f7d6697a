// `npm start`: the local sandbox as a demo. Starts the real control plane + moto, the sandbox node agent
// (stands in for EC2 instances booting and kubelets registering), and the capsicum module via `pepr dev`,
// applies the CRDs, then waits. Ctrl-C stops everything it started.
//   npm start -- --no-module    only the control plane + moto (+ node agent)
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startSandbox } from "./sandbox";
import { startModule, RunningModule } from "./module";
import { NodeAgent } from "./nodeAgent";

async function main(): Promise<void> {
  const withModule = !process.argv.includes("--no-module");
  const sandbox = await startSandbox();
  Object.assign(process.env, sandbox.env);
  const cp = sandbox.controlPlane!;
  const crds = join(__dirname, "..", "crds");
  if (existsSync(crds) && readdirSync(crds).some(f => f.endsWith(".yaml"))) cp.kubectlRun(["apply", "-f", crds]);
  const agent = new NodeAgent({ clusterName: sandbox.env.CLUSTER_NAME, kubeconfig: cp.kubeconfig });
  agent.start();
  let mod: RunningModule | undefined;
  if (withModule) {
    console.log("[sandbox] starting the capsicum module (pepr dev)…");
    mod = await startModule(sandbox.env);
    console.log(`[sandbox] module logs: ${mod.logFile}`);
  }
  console.log(`
capsicum sandbox is up.
  export KUBECONFIG=${cp.kubeconfig}
  export AWS_ENDPOINT_URL=${sandbox.env.AWS_ENDPOINT_URL} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  ${cp.kubectl} get nodes,nodepools,nodeclaims
  ${cp.kubectl} apply -f examples/      # NodePool + EC2NodeClass + the inflate Deployment
Press Ctrl-C to stop.`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\n[sandbox] stopping…");
    await mod?.stop();
    await agent.stop();
    await sandbox.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch(err => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
