// The sandbox = the real local control plane + moto as EC2/SQS/SSM/IAM, seeded like the EKS cluster of the
// Karpenter getting-started guide. Used by jest's globalSetup and by `npm start`.
import { ensureBinaries } from "./binaries";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startControlPlane, ControlPlane, ControlPlaneOptions, SERVICE_CIDR } from "./controlplane";
import { startMoto, sandboxRegion } from "./moto";

export const SANDBOX_CLUSTER_NAME = "capsicum-sandbox";

export interface Sandbox {
  controlPlane?: ControlPlane;
  moto?: Awaited<ReturnType<typeof startMoto>>;
  /** Environment a process needs to talk to this sandbox (KUBECONFIG, AWS_* and capsicum settings). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The Kubernetes minor the control plane runs (scripts/cluster/versions.env K8S_VERSION), e.g. "1.34". */
export function kubernetesMinor(): string {
  const env = readFileSync(join(__dirname, "..", "scripts", "cluster", "versions.env"), "utf8");
  const v = /^K8S_VERSION=(\d+\.\d+)/m.exec(env)?.[1];
  if (!v) throw new Error("capsicum: K8S_VERSION missing from scripts/cluster/versions.env");
  return v;
}

export async function startSandbox(
  opts: { kube?: boolean; moto?: boolean; controlPlane?: ControlPlaneOptions } = {},
): Promise<Sandbox> {
  const wantKube = opts.kube ?? true, wantMoto = opts.moto ?? true;
  const t0 = Date.now();
  const { region, zones } = sandboxRegion();
  const bins = ensureBinaries();
  const [controlPlane, moto] = await Promise.all([
    wantKube ? startControlPlane(bins, opts.controlPlane) : Promise.resolve(undefined),
    wantMoto ? startMoto({ clusterName: SANDBOX_CLUSTER_NAME, region, zones }) : Promise.resolve(undefined),
  ]);
  if (controlPlane && moto) {
    // The EKS cluster as eks:DescribeCluster reports it: this apiserver's endpoint, CA, version and service CIDR.
    await moto.seedEksCluster({
      endpoint: controlPlane.server,
      certificateAuthority: readFileSync(controlPlane.caFile).toString("base64"),
      version: kubernetesMinor(),
      serviceIpv4Cidr: SERVICE_CIDR,
    });
  }
  const env: Record<string, string> = { CLUSTER_NAME: SANDBOX_CLUSTER_NAME, INTERRUPTION_QUEUE: SANDBOX_CLUSTER_NAME };
  if (controlPlane) {
    env.KUBECONFIG = controlPlane.kubeconfig;
    env.CLUSTER_ENDPOINT = controlPlane.server;
    // The one apiserver a sandbox node can reach (the node agent's view; independent of capsicum's settings).
    env.SANDBOX_APISERVER = controlPlane.server;
    env.KUBECTL = controlPlane.kubectl;
    // Where a host process serving a Service registers its ports (sandbox/artefact.ts webhookRoute "service").
    env.SANDBOX_SERVICE_ROUTES = controlPlane.serviceRoutes;
  }
  if (moto) {
    env.AWS_ENDPOINT_URL = moto.endpoint;
    env.AWS_REGION = moto.region;
    env.SANDBOX_REGION = moto.region;
    // The zones that have a subnet (tests compare against these, never against a hard-coded region).
    env.SANDBOX_ZONE_LIST = moto.seed.zones.join(",");
    env.AWS_ACCESS_KEY_ID = "testing";
    env.AWS_SECRET_ACCESS_KEY = "testing";
  }
  console.log(`[harness] sandbox up in ${((Date.now() - t0) / 1000).toFixed(1)}s` +
    (moto ? ` in ${moto.region} (${moto.seed.zones.join(", ")})` : "") +
    (controlPlane ? ` (control plane: ${JSON.stringify(controlPlane.timings)} ms)` : ""));
  return {
    controlPlane, moto, env,
    stop: async () => { await Promise.all([controlPlane?.stop(), moto?.stop()]); },
  };
}
