// `npm start`: the local sandbox as a demo. Starts the real control plane + moto, the sandbox node agent
// (stands in for EC2 instances booting and kubelets registering), and the capsicum module via `pepr dev`,
// applies the CRDs, then waits. Ctrl-C stops everything it started.
//   npm start -- --no-module    only the control plane + moto (+ node agent)
//   npm start -- --argocd       also a real Argo CD (repo-server, application-controller, redis) for examples/gitops
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startSandbox } from "./sandbox";
import { startModule, RunningModule } from "./module";
import { NodeAgent } from "./nodeAgent";
import { ArgoCD, startArgoCD } from "./argocd";

async function main(): Promise<void> {
  const withModule = !process.argv.includes("--no-module");
  const sandbox = await startSandbox();
  Object.assign(process.env, sandbox.env);
  const cp = sandbox.controlPlane!;
  const crds = join(__dirname, "..", "crds");
  if (existsSync(crds) && readdirSync(crds).some(f => f.endsWith(".yaml"))) cp.kubectlRun(["apply", "-f", crds]);
  const agent = new NodeAgent({ clusterName: sandbox.env.CLUSTER_NAME, apiServerEndpoint: cp.server, kubeconfig: cp.kubeconfig });
  agent.start();
  let mod: RunningModule | undefined;
  if (withModule) {
    console.log("[sandbox] starting the capsicum module (pepr dev)…");
    mod = await startModule(sandbox.env);
    console.log(`[sandbox] module logs: ${mod.logFile}`);
  }
  let argo: ArgoCD | undefined;
  if (process.argv.includes("--argocd")) {
    console.log("[sandbox] starting Argo CD (first run builds it: ~6 min)…");
    argo = await startArgoCD({ kubeconfig: cp.kubeconfig, kubectl: cp.kubectlRun });
    console.log(`
Argo CD ${/argocd-([^/]+)\/bin/.exec(argo.bin)?.[1] ?? ""} is up (no argocd-server/UI: drive Applications with kubectl, see README "GitOps with Argo CD").
  application-controller metrics ${argo.controllerMetrics}, repo-server ${argo.repoServer}, redis ${argo.redis}
  logs: ${argo.dir}/{application-controller,repo-server,redis}.log
  ${cp.kubectl} apply -f examples/gitops/root.yaml   # after pointing repoURL at your repo (file:///path works)
  ${cp.kubectl} get applications -n argocd`);
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
    await argo?.stop();
    await mod?.stop();
    await agent.stop();
    await sandbox.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch(err => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
