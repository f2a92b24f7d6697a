// Modelled on Karpenter v1.14's node health suite (pkg/controllers/node/health/suite_test.go): the fake cloud
// provider's policy is BadNode=False for 30 minutes; a node past it has its NodeClaim annotated and deleted,
// ignoring budgets and do-not-disrupt, unless more than 20% of its NodePool's (or the cluster's) nodes are
// unhealthy. Then the engine end to end: the NodeRepair gate, Karpenter AWS's policies and the forced drain.
import { ClusterState } from "../../../src/kube/clusterState";
import { FakeClock } from "../../../src/kube/clock";
import { Kinds, KubeObject } from "../../../src/kube/client";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { silentLogger } from "../../../src/log";
import { Metrics } from "../../../src/metrics";
import type { RepairPolicy } from "../../../src/cloudprovider/types";
import { AWS_REPAIR_POLICIES } from "../../../src/cloudprovider/aws/repairPolicies";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws";
import { reconcileNodeHealth, toSnakeCase } from "../../../src/lifecycle/nodeHealth";
import { FakeCloud, miniCluster, nodeClass, nodePool, registerNode, setNodeReady } from "./fakes";

const MIN = 60_000;
const ANNOTATION = "karpenter.sh/nodeclaim-termination-timestamp";
const BAD_NODE: RepairPolicy[] = [{ conditionType: "BadNode", conditionStatus: "False", tolerationMs: 30 * MIN }];

async function metricValue(m: Metrics, name: string, match: Record<string, string>): Promise<number | undefined> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (metric?.values ?? []).find((x) => Object.entries(match).every(([k, val]) => String(x.labels[k]) === val));
  return v?.value as number | undefined;
}

interface Env {
  clock: FakeClock;
  client: MemoryKubeClient;
  state: ClusterState;
  metrics: Metrics;
  events: Array<{ involved: { kind: string; name: string }; type: string; reason: string; message: string }>;
  policies: RepairPolicy[];
  reconcile(node: string): Promise<number | undefined>;
  claim(name: string): Promise<KubeObject | undefined>;
  /** A NodeClaim (termination finalizer) and its Node; `conditions` go on the Node as of now. */
  add(
    i: number,
    o?: {
      pool?: string | null;
      conditions?: Array<{ type: string; status: string }>;
      nodeAnnotations?: Record<string, string>;
      claimAnnotations?: Record<string, string>;
    },
  ): Promise<string>;
}

async function env(policies: RepairPolicy[] = BAD_NODE): Promise<Env> {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const client = new MemoryKubeClient(clock);
  const state = new ClusterState();
  const metrics = new Metrics();
  const events: Env["events"] = [];
  const e: Env = {
    clock,
    client,
    state,
    metrics,
    events,
    policies,
    reconcile: (node) =>
      reconcileNodeHealth(
        {
          client,
          state,
          clock,
          metrics,
          log: silentLogger(),
          events: { publish: (ev: unknown) => (events.push(ev as never), true) } as never,
          policies,
        },
        node,
      ),
    claim: (name) => client.get(Kinds.NodeClaim, name),
    async add(i, o = {}) {
      const pool = o.pool === undefined ? "default" : o.pool;
      const labels: Record<string, string> = pool
        ? { "karpenter.sh/nodepool": pool, "karpenter.sh/capacity-type": "on-demand" }
        : {};
      const pid = `aws:///us-east-1a/i-${String(i).padStart(8, "0")}`;
      const nc = await client.create(Kinds.NodeClaim, {
        metadata: {
          name: `claim-${i}`,
          labels,
          finalizers: ["karpenter.sh/termination"],
          ...(o.claimAnnotations ? { annotations: o.claimAnnotations } : {}),
        },
        spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
        status: { providerID: pid, imageID: "ami-123" },
      });
      state.apply("NodeClaim", nc, "ADDED");
      const at = new Date(clock.now()).toISOString();
      const node = await client.create(Kinds.Node, {
        metadata: { name: `node-${i}`, labels, ...(o.nodeAnnotations ? { annotations: o.nodeAnnotations } : {}) },
        spec: { providerID: pid },
        status: {
          conditions: [
            { type: "Ready", status: "True", lastTransitionTime: at },
            ...(o.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: at })),
          ],
        },
      });
      state.apply("Node", node, "ADDED");
      return `node-${i}`;
    },
  };
  const np = await client.create(Kinds.NodePool, nodePool("default"));
  state.apply("NodePool", np, "ADDED");
  return e;
}

const bad = [{ type: "BadNode", status: "False" }];

describe("node health: reconciliation", () => {
  it("deletes the NodeClaim of a node the cloud provider's policy calls unhealthy", async () => {
    const e = await env();
    const node = await e.add(1, { conditions: bad });
    await e.clock.advance(60 * MIN);
    expect(await e.reconcile(node)).toBeUndefined();
    expect((await e.claim("claim-1"))?.metadata.deletionTimestamp).toBeDefined();
  });

  it("does not delete when the condition type is not a policy's", async () => {
    const e = await env();
    const node = await e.add(1, { conditions: [{ type: "FakeHealthyNode", status: "False" }] });
    await e.clock.advance(60 * MIN);
    await e.reconcile(node);
    expect((await e.claim("claim-1"))?.metadata.deletionTimestamp).toBeUndefined();
  });

  it("does not delete when the status is not the policy's", async () => {
    const e = await env();
    const node = await e.add(1, { conditions: [{ type: "BadNode", status: "True" }] });
    await e.clock.advance(60 * MIN);
    await e.reconcile(node);
    expect((await e.claim("claim-1"))?.metadata.deletionTimestamp).toBeUndefined();
  });

  it("does not delete before the toleration duration, and requeues for when it ends", async () => {
    const e = await env();
    const node = await e.add(1, { conditions: bad });
    await e.clock.advance(20 * MIN);
    expect(await e.reconcile(node)).toBe(10 * MIN);
    expect((await e.claim("claim-1"))?.metadata.deletionTimestamp).toBeUndefined();
  });

  it("sets the termination timestamp annotation to now (RFC3339) when forceful termination starts", async () => {
    const e = await env();
    const node = await e.add(1, { conditions: bad });
    await e.clock.advance(60 * MIN);
    await e.reconcile(node);
    expect((await e.claim("claim-1"))?.metadata.annotations?.[ANNOTATION]).toBe("2026-01-01T01:00:00Z");
  });

  it("does not respect a later termination timestamp (a NodePool's terminationGracePeriod)", async () => {
    const e = await env();
    const later = new Date(Date.UTC(2026, 0, 1) + 120 * MIN).toISOString();
    const node = await e.add(1, { conditions: bad, claimAnnotations: { [ANNOTATION]: later } });
    await e.clock.advance(60 * MIN);
    await e.reconcile(node);
    expect((await e.claim("claim-1"))?.metadata.annotations?.[ANNOTATION]).toBe("2026-01-01T01:00:00Z");
  });

  it("keeps a termination timestamp that already lies in the past", async () => {
    const e = await env();
    const earlier = "2026-01-01T00:57:00Z";
    const node = await e.add(1, { conditions: bad, claimAnnotations: { [ANNOTATION]: earlier } });
    await e.clock.advance(60 * MIN);
    await e.reconcile(node);
    expect((await e.claim("claim-1"))?.metadata.annotations?.[ANNOTATION]).toBe(earlier);
  });

  it("requeues for the matching condition closest to the end of its toleration", async () => {
    const e = await env([
      { conditionType: "BadNode", conditionStatus: "False", tolerationMs: 60 * MIN },
      { conditionType: "ValidUnhealthyCondition", conditionStatus: "False", tolerationMs: 30 * MIN },
    ]);
    const node = await e.add(1, { conditions: [{ type: "ValidUnhealthyCondition", status: "False" }, ...bad] });
    await e.clock.advance(27 * MIN);
    expect(await e.reconcile(node)).toBe(3 * MIN);
  });

  it("ignores a node without a NodeClaim", async () => {
    const e = await env();
    const n = await e.client.create(Kinds.Node, {
      metadata: { name: "foreign" },
      spec: { providerID: "aws:///us-east-1a/i-f" },
      status: { conditions: [{ type: "BadNode", status: "False", lastTransitionTime: "2025-01-01T00:00:00Z" }] },
    });
    e.state.apply("Node", n, "ADDED");
    expect(await e.reconcile("foreign")).toBeUndefined();
  });
});

describe("node health: forceful termination", () => {
  it("ignores disruption budgets", async () => {
    const e = await env();
    const np = (await e.client.get(Kinds.NodePool, "default"))!;
    np.spec.disruption.budgets = [{ nodes: "0" }];
    e.state.apply("NodePool", await e.client.replace(Kinds.NodePool, np), "MODIFIED");
    const node = await e.add(1, { conditions: bad });
    await e.clock.advance(60 * MIN);
    await e.reconcile(node);
    expect((await e.claim("claim-1"))?.metadata.deletionTimestamp).toBeDefined();
  });

  it("ignores karpenter.sh/do-not-disrupt on the node", async () => {
    const e = await env();
    const node = await e.add(1, { conditions: bad, nodeAnnotations: { "karpenter.sh/do-not-disrupt": "true" } });
    await e.clock.advance(60 * MIN);
    await e.reconcile(node);
    expect((await e.claim("claim-1"))?.metadata.deletionTimestamp).toBeDefined();
  });

  it("repairs nothing while more than 20% of a NodePool's nodes are unhealthy, with a NodeRepairBlocked event", async () => {
    const e = await env();
    for (let i = 0; i < 10; i++) await e.add(i, { conditions: i < 3 ? bad : [] });
    await e.clock.advance(60 * MIN);
    for (const i of [0, 1]) {
      expect(await e.reconcile(`node-${i}`)).toBe(5 * MIN);
      expect((await e.claim(`claim-${i}`))?.metadata.deletionTimestamp).toBeUndefined();
    }
    expect(e.events[0]).toEqual({
      involved: expect.objectContaining({ kind: "Node", name: "node-0" }),
      type: "Warning",
      reason: "NodeRepairBlocked",
      message: "more than 20% nodes are unhealthy in the nodepool",
    });
  });

  it("repairs nothing while more than 20% of the cluster's nodes are unhealthy, for NodeClaims without NodePool", async () => {
    const e = await env();
    for (let i = 0; i < 10; i++) await e.add(i, { pool: null, conditions: i < 3 ? bad : [] });
    await e.clock.advance(60 * MIN);
    for (const i of [0, 1, 2]) {
      expect(await e.reconcile(`node-${i}`)).toBe(5 * MIN);
      expect((await e.claim(`claim-${i}`))?.metadata.deletionTimestamp).toBeUndefined();
    }
    expect(e.events.map((x) => x.message)).toContain("more then 20% nodes are unhealthy in the cluster");
  });

  it("rounds the 20% up for small NodePools: 1 unhealthy of 3 is repaired", async () => {
    const e = await env();
    for (let i = 0; i < 3; i++) await e.add(i, { conditions: i === 0 ? bad : [] });
    await e.clock.advance(60 * MIN);
    await e.reconcile("node-0");
    expect((await e.claim("claim-0"))?.metadata.deletionTimestamp).toBeDefined();
    expect(e.events).toEqual([]);
  });
});

describe("node health: metrics", () => {
  it("counts karpenter_nodeclaims_disrupted_total{reason=unhealthy} and karpenter_nodeclaims_unhealthy_disrupted_total", async () => {
    const e = await env();
    const node = await e.add(1, { conditions: bad });
    await e.clock.advance(60 * MIN);
    await e.reconcile(node);
    e.state.apply("NodeClaim", (await e.claim("claim-1"))!, "MODIFIED");
    await e.reconcile(node); // already deleting: not counted twice
    expect(
      await metricValue(e.metrics, "karpenter_nodeclaims_disrupted_total", {
        reason: "unhealthy",
        nodepool: "default",
        capacity_type: "on-demand",
      }),
    ).toBe(1);
    expect(
      await metricValue(e.metrics, "karpenter_nodeclaims_unhealthy_disrupted_total", {
        condition: "bad_node",
        nodepool: "default",
        image_id: "ami-123",
      }),
    ).toBe(1);
  });

  it("snake-cases condition types as Karpenter's pretty.ToSnakeCase", () => {
    expect(toSnakeCase("Ready")).toBe("ready");
    expect(toSnakeCase("AcceleratedHardwareReady")).toBe("accelerated_hardware_ready");
    expect(toSnakeCase("ContainerRuntimeReady")).toBe("container_runtime_ready");
  });
});

describe("Karpenter AWS repair policies", () => {
  it("are the kubelet's Ready and the node monitoring agent's conditions with v1.14's durations", () => {
    const cloud = new AwsCloudProvider({
      clusterName: "c",
      clusterEndpoint: "",
      region: "us-east-1",
      nodeClassLookup: async () => undefined,
    } as never);
    expect(cloud.repairPolicies().map((p) => [p.conditionType, p.conditionStatus, p.tolerationMs / MIN])).toEqual([
      ["Ready", "False", 30],
      ["Ready", "Unknown", 30],
      ["AcceleratedHardwareReady", "False", 10],
      ["StorageReady", "False", 30],
      ["NetworkingReady", "False", 30],
      ["KernelReady", "False", 30],
      ["ContainerRuntimeReady", "False", 30],
    ]);
  });
});

class RepairingCloud extends FakeCloud {
  repairPolicies(): RepairPolicy[] {
    return [...AWS_REPAIR_POLICIES];
  }
}

describe("node repair in the running controllers", () => {
  // Each test runs every controller's periodic loop through 31 fake minutes (~750 timer firings): ~8-14 s of CPU on
  // an idle core, so jest's 30 s default fails them on a loaded CI machine although nothing is wrong.
  const RUN_MS = 120_000;
  async function unhealthyNode(gates: string) {
    const clock = new FakeClock();
    const cloud = new RepairingCloud(clock);
    const mc = await miniCluster({
      clock,
      cloud,
      settings: { FEATURE_GATES: gates },
      seed: async (c) => {
        await c.create(Kinds.EC2NodeClass, nodeClass());
        // A long terminationGracePeriod: repair must not wait for it.
        await c.create(Kinds.NodePool, nodePool("default", {}, { terminationGracePeriod: "24h" }));
      },
    });
    await mc.client.create(Kinds.NodeClaim, {
      metadata: { name: "default-abcde", labels: { "karpenter.sh/nodepool": "default" } },
      spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }],
        terminationGracePeriod: "24h",
      },
    });
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1", true);
    await mc.tick(0);
    await setNodeReady(mc.client, "n1");
    await mc.tick(0);
    // A pod whose eviction a PDB blocks and that asks not to be disrupted.
    mc.client.evictionBlocked = () => true;
    await mc.client.create(Kinds.Pod, {
      metadata: {
        name: "stubborn",
        namespace: "default",
        annotations: { "karpenter.sh/do-not-disrupt": "true" },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "rs1", controller: true }],
      },
      spec: { nodeName: "n1", containers: [{ name: "c", resources: { requests: { cpu: "100m" } } }] },
      status: { phase: "Running" },
    });
    await mc.tick(0);
    // The kubelet stops posting status: Ready=Unknown (as the node lifecycle controller sets it).
    const n = (await mc.client.get(Kinds.Node, "n1"))!;
    n.status.conditions = [
      {
        type: "Ready",
        status: "Unknown",
        reason: "NodeStatusUnknown",
        lastTransitionTime: new Date(clock.now()).toISOString(),
      },
    ];
    await mc.client.replace(Kinds.Node, n);
    await mc.tick(0);
    return mc;
  }

  it(
    "leaves an unhealthy node alone with the NodeRepair gate off (Karpenter's default)",
    async () => {
      const mc = await unhealthyNode("NodeRepair=false");
      await mc.tick(31 * MIN);
      expect((await mc.client.get(Kinds.NodeClaim, "default-abcde"))?.metadata.deletionTimestamp).toBeUndefined();
      expect(mc.cloud.running()).toHaveLength(1);
    },
    RUN_MS,
  );

  it(
    "with the gate on, replaces a node Ready=Unknown for 30 minutes: pods force-deleted despite PDB and do-not-disrupt",
    async () => {
      const mc = await unhealthyNode("NodeRepair=true");
      await mc.tick(29 * MIN);
      expect((await mc.client.get(Kinds.NodeClaim, "default-abcde"))?.metadata.deletionTimestamp).toBeUndefined();
      await mc.tick(1 * MIN);
      for (let i = 0; i < 10; i++) await mc.tick(5_000);
      expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
      expect(await mc.client.get(Kinds.Pod, "stubborn", "default")).toBeUndefined();
      expect(await mc.client.get(Kinds.Node, "n1")).toBeUndefined();
      expect(mc.cloud.instances.get("i-00000001")?.state).toBe("terminated");
      expect(mc.logs.messages("deleting unhealthy node")).toEqual([
        expect.objectContaining({ Node: { name: "n1" }, condition: "Ready" }),
      ]);
      expect(
        await metricValue(mc.controllers.metrics, "karpenter_nodeclaims_disrupted_total", {
          reason: "unhealthy",
          nodepool: "default",
        }),
      ).toBe(1);
    },
    RUN_MS,
  );
});
