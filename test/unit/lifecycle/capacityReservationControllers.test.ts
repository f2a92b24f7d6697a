// Modelled on Karpenter AWS's pkg/controllers/capacityreservation/capacitytype and /expiration suites: a reserved
// NodeClaim whose instance EC2 now reports as on-demand (its ODCR ended) is demoted with its registered Node;
// NodeClaims in a capacity block within 40 minutes of its end are deleted; on-demand is never promoted.
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { ClusterState } from "../../../src/kube/clusterState";
import { KubeObject, Kinds } from "../../../src/kube/client";
import { silentLogger } from "../../../src/log";
import { capacityBlockExpiration, capacityTypeSync } from "../../../src/controllers/capacityReservation";
import type { CloudInstance } from "../../../src/cloudprovider/types";
import type { EngineDeps } from "../../../src/kube/deps";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const RES = {
  "karpenter.sh/capacity-type": "reserved",
  "karpenter.k8s.aws/capacity-reservation-id": "cr-1",
  "karpenter.k8s.aws/capacity-reservation-type": "default",
  "karpenter.k8s.aws/capacity-reservation-interruptible": "false",
};

const claim = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: "karpenter.sh/v1",
  kind: "NodeClaim",
  metadata: { name, labels: { "karpenter.sh/nodepool": "default", ...labels } },
  spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
  status: { providerID: `aws:///us-east-1a/i-${name}` },
});
const node = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: `node-${name}`, labels: { "karpenter.sh/registered": "true", ...labels } },
  spec: { providerID: `aws:///us-east-1a/i-${name}` },
});
const inst = (name: string, capacityType: string): CloudInstance => ({
  providerID: `aws:///us-east-1a/i-${name}`, instanceID: `i-${name}`, instanceType: "m5.large", zone: "us-east-1a",
  capacityType, state: "running", launchTime: new Date(0), tags: {},
});

async function setup(objs: Array<[keyof typeof Kinds, KubeObject]>) {
  const client = new MemoryKubeClient();
  const state = new ClusterState();
  for (const [kind, o] of objs) state.apply(kind as never, await client.create(Kinds[kind], o), "ADDED");
  return { client, state, log: silentLogger(), clock: { now: () => NOW } } as unknown as EngineDeps & { client: MemoryKubeClient };
}

describe("capacityreservation.capacitytype", () => {
  test("an expired ODCR's NodeClaim and registered Node become on-demand without the reservation labels", async () => {
    const deps = await setup([["NodeClaim", claim("a", RES)], ["Node", node("a", RES)]]);
    await capacityTypeSync(deps, { list: async () => [inst("a", "on-demand")] }).every!.run();
    const nc = await deps.client.get(Kinds.NodeClaim, "a");
    const n = await deps.client.get(Kinds.Node, "node-a");
    for (const labels of [nc!.metadata.labels!, n!.metadata.labels!]) {
      expect(labels["karpenter.sh/capacity-type"]).toBe("on-demand");
      expect(Object.keys(labels).filter((k) => k.includes("capacity-reservation"))).toEqual([]);
    }
    expect(deps.state.nodeClaims.get("a")!.metadata.labels!["karpenter.sh/capacity-type"]).toBe("on-demand");
  });

  test("still reserved, an unregistered Node, or an on-demand NodeClaim: nothing changes", async () => {
    const deps = await setup([
      ["NodeClaim", claim("a", RES)],
      ["NodeClaim", claim("b", RES)], ["Node", node("b", { ...RES, "karpenter.sh/registered": "false" })],
      ["NodeClaim", claim("c", { "karpenter.sh/capacity-type": "on-demand" })],
    ]);
    await capacityTypeSync(deps, { list: async () => [inst("a", "reserved"), inst("b", "on-demand"), inst("c", "reserved")] }).every!.run();
    expect((await deps.client.get(Kinds.NodeClaim, "a"))!.metadata.labels!["karpenter.sh/capacity-type"]).toBe("reserved");
    expect((await deps.client.get(Kinds.NodeClaim, "b"))!.metadata.labels!["karpenter.sh/capacity-type"]).toBe("on-demand");
    expect((await deps.client.get(Kinds.Node, "node-b"))!.metadata.labels!["karpenter.sh/capacity-type"]).toBe("reserved");
    // Never promoted: an on-demand NodeClaim stays on-demand even if EC2 reports it reserved.
    expect((await deps.client.get(Kinds.NodeClaim, "c"))!.metadata.labels!["karpenter.sh/capacity-type"]).toBe("on-demand");
  });
});

describe("capacityreservation.expiration", () => {
  const block = (id: string, endInMin: number) => ({
    CapacityReservationId: id, InstanceType: "p5.48xlarge", AvailabilityZone: "us-east-1a", OwnerId: "012345678901",
    InstanceMatchCriteria: "targeted", ReservationType: "capacity-block", EndDate: new Date(NOW + endInMin * 60_000),
  });

  test("NodeClaims of a capacity block 40 minutes from its end are deleted; later blocks and ODCRs are kept", async () => {
    const deps = await setup([
      ["NodeClaim", claim("a", { ...RES, "karpenter.k8s.aws/capacity-reservation-id": "cr-soon" })],
      ["NodeClaim", claim("b", { ...RES, "karpenter.k8s.aws/capacity-reservation-id": "cr-later" })],
      ["NodeClaim", claim("c", { "karpenter.sh/capacity-type": "on-demand" })],
    ]);
    const asked: unknown[] = [];
    const reservations = {
      list: async (terms: Array<{ id?: string }>) => {
        asked.push(terms);
        return [block("cr-soon", 39), block("cr-later", 41)];
      },
    };
    await capacityBlockExpiration(deps, { reservations: reservations as never }).every!.run();
    expect(asked).toEqual([[{ id: "cr-soon" }, { id: "cr-later" }]]);
    expect(await deps.client.get(Kinds.NodeClaim, "a")).toBeUndefined();
    expect(await deps.client.get(Kinds.NodeClaim, "b")).toBeDefined();
    expect(await deps.client.get(Kinds.NodeClaim, "c")).toBeDefined();
  });
});
