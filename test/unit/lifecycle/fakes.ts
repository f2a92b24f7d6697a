// Test doubles for the engine's unit tests: a fake CloudProvider that is idempotent per NodeClaim name (as the
// AWS provider's create is), a kubelet stand-in that registers Nodes, and a mini-cluster wiring the
// MemoryKubeClient's watch stream into the controllers like Pepr's Watch bindings do.
import { Writable } from "node:stream";
import { CloudInstance, CloudProvider, InsufficientCapacityError, LaunchResult, NodeClaimLike, NodeClaimNotFoundError } from "../../../src/cloudprovider/types";
import { FakeClock, flushMicrotasks } from "../../../src/kube/clock";
import { KubeObject, Kinds, KindName } from "../../../src/kube/client";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { Controllers, startControllers } from "../../../src/controllers";
import { createLogger } from "../../../src/log";
import { loadSettings, Settings } from "../../../src/settings";
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { formatResources } from "../../../src/apis/quantity";

let catalog: Map<string, ReturnType<typeof loadCatalog>[number]> | undefined;
/** Capacity/allocatable a real instance of this type reports (from the shipped catalog). */
export function typeResources(type: string): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  catalog ??= new Map(loadCatalog().map(t => [t.name, t]));
  const it = catalog.get(type)!;
  const pick = (r: Record<string, number>) => formatResources(Object.fromEntries(Object.entries(r).filter(([k]) => ["cpu", "memory", "pods"].includes(k))));
  return { capacity: pick(it.capacity), allocatable: pick(it.allocatable) };
}

export class FakeCloud implements CloudProvider {
  readonly name = "fake";
  readonly instances = new Map<string, CloudInstance & { nodeClaim: string }>();
  createCalls = 0;
  deleteCalls = 0;
  private seq = 0;
  failCreate?: Error;
  /** Every create fails with this until cleared (a launch that keeps failing). */
  failCreateAlways?: Error;

  constructor(private readonly clock: FakeClock) {}

  async create(nc: NodeClaimLike): Promise<LaunchResult> {
    this.createCalls++;
    if (this.failCreate) { const e = this.failCreate; this.failCreate = undefined; throw e; }
    if (this.failCreateAlways) throw this.failCreateAlways;
    let inst = [...this.instances.values()].find(i => i.nodeClaim === nc.metadata.name && i.state !== "terminated");
    if (!inst) {
      const types = nc.spec.requirements.find(r => r.key === "node.kubernetes.io/instance-type")?.values ?? ["m5.large"];
      const id = `i-${(++this.seq).toString(16).padStart(8, "0")}`;
      inst = {
        nodeClaim: nc.metadata.name, providerID: `aws:///us-east-1a/${id}`, instanceID: id, instanceType: types[0]!, zone: "us-east-1a",
        capacityType: "spot", state: "running", launchTime: new Date(this.clock.now()), tags: { "karpenter.sh/nodeclaim": nc.metadata.name },
      };
      this.instances.set(id, inst);
    }
    return {
      providerID: inst.providerID, instanceID: inst.instanceID, imageID: "ami-123", instanceType: inst.instanceType, zone: inst.zone,
      capacityType: "spot", ...typeResources(inst.instanceType),
      // The instance type's well-known labels, as the AWS provider's Create returns them (drift checks them).
      labels: { "kubernetes.io/arch": "amd64", "karpenter.k8s.aws/instance-family": inst.instanceType.split(".")[0]!, "karpenter.k8s.aws/instance-category": inst.instanceType.replace(/[0-9].*$/, "") },
    };
  }

  async delete(nc: NodeClaimLike): Promise<void> {
    this.deleteCalls++;
    // Like the AWS provider: by providerID, or by the NodeClaim tag when the launch never reached status.
    const pid = nc.status?.providerID;
    const inst = [...this.instances.values()].find(i => (pid ? i.providerID === pid : i.nodeClaim === nc.metadata.name) && i.state !== "terminated");
    if (!inst || inst.state === "terminated") throw new NodeClaimNotFoundError(`instance for ${nc.metadata.name} not found`);
    inst.state = "terminated";
  }

  async get(providerID: string): Promise<CloudInstance> {
    const inst = [...this.instances.values()].find(i => i.providerID === providerID);
    if (!inst) throw new NodeClaimNotFoundError(providerID);
    return inst;
  }

  async list(): Promise<CloudInstance[]> { return [...this.instances.values()].filter(i => i.state !== "terminated"); }
  async isDrifted(): Promise<string> { return ""; }
  /** The shipped us-east-1 catalog for every node class. */
  /** Loaded once, as a real provider's cache would: the scheduler's per-catalog caches carry over between passes. */
  private catalog?: ReturnType<typeof loadCatalog>;
  async getInstanceTypes(_nodeClass?: unknown): Promise<ReturnType<typeof loadCatalog>> { return (this.catalog ??= loadCatalog({ region: "us-east-1" })); }

  running(): Array<CloudInstance & { nodeClaim: string }> { return [...this.instances.values()].filter(i => i.state !== "terminated"); }

  /** An instance launched outside any NodeClaim we know (e.g. before a crash). */
  orphan(nodeClaim: string, launchedAgoMs: number): string {
    const id = `i-orphan${++this.seq}`;
    this.instances.set(id, {
      nodeClaim, providerID: `aws:///us-east-1b/${id}`, instanceID: id, instanceType: "m5.large", zone: "us-east-1b", capacityType: "spot",
      state: "running", launchTime: new Date(this.clock.now() - launchedAgoMs), tags: { "karpenter.sh/nodeclaim": nodeClaim },
    });
    return `aws:///us-east-1b/${id}`;
  }
}

export { InsufficientCapacityError };

export class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const l of chunk.toString().split("\n")) if (l.trim()) this.lines.push(JSON.parse(l));
    cb();
  }
  messages(msg: string): Array<Record<string, unknown>> { return this.lines.filter(l => l.message === msg); }
}

export const testSettings = (extra: Record<string, string> = {}): Settings =>
  loadSettings({ CLUSTER_NAME: "test", AWS_REGION: "us-east-1", LOG_LEVEL: "debug", METRICS_PORT: "0", ...extra });

export interface MiniCluster {
  clock: FakeClock; client: MemoryKubeClient; cloud: FakeCloud; logs: LogCapture; controllers: Controllers;
  restart(): Promise<Controllers>;
  /** Advance time and let queues settle. */
  tick(ms: number): Promise<void>;
}

export async function miniCluster(opts: { settings?: Record<string, string>; clock?: FakeClock; client?: MemoryKubeClient; cloud?: FakeCloud; seed?: (c: MemoryKubeClient) => Promise<void> } = {}): Promise<MiniCluster> {
  const clock = opts.clock ?? new FakeClock();
  const client = opts.client ?? new MemoryKubeClient(clock);
  const cloud = opts.cloud ?? new FakeCloud(clock);
  const logs = new LogCapture();
  await opts.seed?.(client);
  let seq = 0;
  const start = async () => {
    const c = await startControllers(testSettings(opts.settings), {
      client, cloud, clock, log: createLogger({ level: "debug", destination: logs }), random: () => ((seq++ * 7919) % 1000) / 1000,
    });
    return c;
  };
  const mc: MiniCluster = {
    clock, client, cloud, logs, controllers: await start(),
    async restart() { await mc.controllers.stop(); mc.controllers = await start(); return mc.controllers; },
    async tick(ms: number) { await clock.advance(ms); await flushMicrotasks(); await mc.controllers.settle(); await flushMicrotasks(); },
  };
  client.watch((kind, obj, phase) => {
    const name = (Object.keys(Kinds) as KindName[]).find(k => Kinds[k].plural === kind.plural)!;
    mc.controllers.onEvent(name, obj, phase);
  });
  return mc;
}

export const nodeClass = (name = "default"): KubeObject => ({
  metadata: { name }, spec: { role: "KarpenterNodeRole-test", amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [{ tags: { a: "b" } }], securityGroupSelectorTerms: [{ tags: { a: "b" } }] },
  status: { conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "", lastTransitionTime: "2025-01-01T00:00:00Z" }] },
});

export const nodePool = (name = "default", spec: Record<string, unknown> = {}, template: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name },
  spec: {
    template: { spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
        { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
      ],
      expireAfter: "720h",
      ...template,
    } },
    disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m" },
    ...spec,
  },
});

export const pendingPod = (name: string, cpu = "500m"): KubeObject => ({
  metadata: { name, namespace: "default", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "inflate-abc", uid: "rs1", controller: true }], labels: { app: "inflate" } },
  spec: { containers: [{ name: "inflate", image: "pause", resources: { requests: { cpu } } }] },
  status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] },
});

/** A kubelet registering: a Node with the NodeClaim's providerID and the karpenter.sh/unregistered taint. */
export async function registerNode(client: MemoryKubeClient, providerID: string, name: string, ready = false): Promise<KubeObject> {
  return client.create(Kinds.Node, {
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    spec: { providerID, taints: [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }] },
    status: { allocatable: { cpu: "1930m", memory: "7Gi", pods: "29" }, capacity: { cpu: "2", memory: "8Gi", pods: "29" },
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  });
}

export async function setNodeReady(client: MemoryKubeClient, name: string, mutate: (n: KubeObject) => void = () => undefined): Promise<void> {
  const n = (await client.get(Kinds.Node, name))!;
  n.status.conditions = [{ type: "Ready", status: "True" }];
  mutate(n);
  await client.replace(Kinds.Node, n);
}

export const cond = (o: KubeObject | undefined, type: string): string | undefined =>
  (o?.status?.conditions ?? []).find((c: { type: string }) => c.type === type)?.status;
