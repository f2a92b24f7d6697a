// Where integration tests find moto: the endpoint the jest globalSetup exported (AWS_ENDPOINT_URL, cluster
// name in CAPSICUM_CLUSTER_NAME or CLUSTER_NAME), or a private moto started for this test file.
import { startMoto, awsEnv, type Faults } from "../../../sandbox/moto";

export interface TestMoto {
  endpoint: string;
  region: string;
  clusterName: string;
  injectInsufficientCapacity(faults: Array<{ instanceType?: string; zone?: string; capacityType?: string }>): Promise<void>;
  clearFaults(): Promise<void>;
  injectFaults(faults: Faults): Promise<void>;
  stop(): Promise<void>;
}

export async function motoForTests(fallbackClusterName = "capsicum-it"): Promise<TestMoto> {
  const shared = process.env.AWS_ENDPOINT_URL;
  if (shared) {
    const clusterName = process.env.CAPSICUM_CLUSTER_NAME ?? process.env.CLUSTER_NAME ?? fallbackClusterName;
    const faultsUrl = `${shared.replace(/\/$/, "")}/_capsicum/faults`;
    const call = async (method: string, body?: unknown) => {
      const res = await fetch(faultsUrl, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!res.ok) throw new Error(`moto fault endpoint ${res.status}: ${await res.text()}`);
    };
    return {
      endpoint: shared, region: process.env.AWS_REGION ?? "us-east-1", clusterName,
      injectInsufficientCapacity: f => call("POST", { insufficientCapacity: f }),
      clearFaults: () => call("DELETE"),
      injectFaults: f => call("POST", f),
      stop: async () => undefined,
    };
  }
  const m = await startMoto({ clusterName: fallbackClusterName });
  // The SDK's default credential chain needs something; the endpoint is passed explicitly by each test.
  for (const [k, v] of Object.entries(awsEnv(m.endpoint))) if (k !== "AWS_ENDPOINT_URL" && !process.env[k]) process.env[k] = v;
  return { endpoint: m.endpoint, region: m.region, clusterName: fallbackClusterName, injectInsufficientCapacity: m.injectInsufficientCapacity, clearFaults: m.clearFaults, injectFaults: m.injectFaults, stop: m.stop };
}
