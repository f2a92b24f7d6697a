// `npm start`: the local sandbox as a demo. Starts the real control plane + moto, the sandbox node agent
// (stands in for EC2 instances booting and kubelets registering), and the capsicum module: the built dist/
// artefact under its ServiceAccount (sandbox/artefact.ts), applies the CRDs, then waits. Ctrl-C stops
// everything it started.
//   npm start -- --no-module    only the control plane + moto (+ node agent)
//   npm start -- --argocd       also a real Argo CD (repo-server, application-controller, redis) for examples/gitops
//   npm start -- --quiet        no live timeline (only the startup messages)
// SANDBOX_REGION (default us-east-1) and SANDBOX_ZONES (default 3) choose the emulated region and zone count.
//   npm start -- --dev          the module via `pepr dev` (rebuilds from source, admin credentials)
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startSandbox } from "./sandbox";
import { startDevModule, startModule, RunningModule } from "./module";
import { NodeAgent } from "./nodeAgent";
import { ArgoCD, startArgoCD } from "./argocd";
import { Timeline } from "./timeline";

async function main(): Promise<void> {
  const withModule = !process.argv.includes("--no-module");
  const quiet = process.argv.includes("--quiet");
  const sandbox = await startSandbox();
  Object.assign(process.env, sandbox.env);
  const cp = sandbox.controlPlane!;
  const crds = join(__dirname, "..", "crds");
  if (existsSync(crds) && readdirSync(crds).some(f => f.endsWith(".yaml"))) cp.kubectlRun(["apply", "-f", crds]);
  let timeline: Timeline | undefined;
  const agent = new NodeAgent({
    clusterName: sandbox.env.CLUSTER_NAME,
    apiServerEndpoint: cp.server,
    kubeconfig: cp.kubeconfig,
    logFile: join(cp.dir, "node-agent.log"),
    onLog: l => timeline?.line(`instance ${l.instanceId}: ${l.component}: ${l.message.split("\n")[0]}`),
  });
  agent.start();
  let mod: RunningModule | undefined;
  if (withModule) {
    const dev = process.argv.includes("--dev");
    console.log(`[sandbox] starting the capsicum module (${dev ? "pepr dev" : "dist/capsicum.yaml as pepr-system/pepr-capsicum"})…`);
    mod = await (dev ? startDevModule : startModule)(sandbox.env);
    console.log(`[sandbox] module logs: ${mod.logFile}`);
  }
  let argo: ArgoCD | undefined;
  if (process.argv.includes("--argocd")) {
    console.log("[sandbox] starting Argo CD (first run builds it: ~8 min)…");
    argo = await startArgoCD({ kubeconfig: cp.kubeconfig, kubectl: cp.kubectlRun });
    console.log(`
Argo CD ${/argocd-([^/]+)\/bin/.exec(argo.bin)?.[1] ?? ""} is up (no argocd-server/UI: drive Applications with kubectl, see README "GitOps with Argo CD").
  application-controller metrics ${argo.controllerMetrics}, repo-server ${argo.repoServer}, redis ${argo.redis}
  logs: ${argo.dir}/{application-controller,repo-server,redis}.log
  ${cp.kubectl} apply -f examples/gitops/root.yaml   # after pointing repoURL at your repo (file:///path works)
  ${cp.kubectl} get applications -n argocd`);
  }
  console.log(`
capsicum sandbox is up in ${sandbox.env.AWS_REGION} (zones ${sandbox.moto!.seed.zones.join(", ")}; EKS cluster ${sandbox.env.CLUSTER_NAME}).
  export KUBECONFIG=${cp.kubeconfig}
  export AWS_ENDPOINT_URL=${sandbox.env.AWS_ENDPOINT_URL} AWS_REGION=${sandbox.env.AWS_REGION} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  ${cp.kubectl} get nodes,nodepools,nodeclaims
  ${cp.kubectl} apply -f examples/      # NodePool + EC2NodeClass + the inflate Deployment
Press Ctrl-C to stop.${quiet ? "" : "\nLive timeline (npm start -- --quiet turns it off):"}`);
  if (!quiet) {
    timeline = new Timeline(cp.kubeconfig);
    timeline.start();
  }
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\n[sandbox] stopping…");
    await argo?.stop();
    timeline?.stop();
    await mod?.stop();
    await agent.stop();
    await sandbox.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch(err => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
