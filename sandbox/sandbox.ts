// The sandbox = the real local control plane + moto as EC2/SQS/SSM/IAM, seeded like the EKS cluster of the
// Karpenter getting-started guide. Used by jest's globalSetup and by `npm start`.
import { ensureBinaries } from "./binaries";
import { startControlPlane, ControlPlane } from "./controlplane";
import { startMoto } from "./moto";

export const SANDBOX_CLUSTER_NAME = "capsicum-sandbox";

export interface Sandbox {
  controlPlane?: ControlPlane;
  moto?: Awaited<ReturnType<typeof startMoto>>;
  /** Environment a process needs to talk to this sandbox (KUBECONFIG, AWS_* and capsicum settings). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startSandbox(opts: { kube?: boolean; moto?: boolean } = {}): Promise<Sandbox> {
  const wantKube = opts.kube ?? true, wantMoto = opts.moto ?? true;
  const t0 = Date.now();
  const bins = ensureBinaries();
  const [controlPlane, moto] = await Promise.all([
    wantKube ? startControlPlane(bins) : Promise.resolve(undefined),
    wantMoto ? startMoto({ clusterName: SANDBOX_CLUSTER_NAME }) : Promise.resolve(undefined),
  ]);
  const env: Record<string, string> = { CLUSTER_NAME: SANDBOX_CLUSTER_NAME, INTERRUPTION_QUEUE: SANDBOX_CLUSTER_NAME };
  if (controlPlane) {
    env.KUBECONFIG = controlPlane.kubeconfig;
    env.CLUSTER_ENDPOINT = controlPlane.server;
    env.KUBECTL = controlPlane.kubectl;
  }
  if (moto) {
    env.AWS_ENDPOINT_URL = moto.endpoint;
    env.AWS_REGION = moto.region;
    env.AWS_ACCESS_KEY_ID = "testing";
    env.AWS_SECRET_ACCESS_KEY = "testing";
  }
  console.log(`[harness] sandbox up in ${((Date.now() - t0) / 1000).toFixed(1)}s` +
    (controlPlane ? ` (control plane: ${JSON.stringify(controlPlane.timings)} ms)` : ""));
  return {
    controlPlane, moto, env,
    stop: async () => { await Promise.all([controlPlane?.stop(), moto?.stop()]); },
  };
}
