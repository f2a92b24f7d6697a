// Sandbox node agent: stands in for instances booting and their kubelets registering. For every running
// moto instance of the sandbox cluster it registers (after a boot delay) a KWOK-managed Node that reports
// what a real kubelet on that instance type would: providerID, well-known labels, capacity, allocatable,
// and the `karpenter.sh/unregistered` taint that Karpenter's user data makes the kubelet register with.
// When the instance stops or terminates, the Node goes away. Test/sandbox code only: never shipped.
import { EC2Client, DescribeInstancesCommand, Instance } from "@aws-sdk/client-ec2";
import { KubeConfig, CoreV1Api, V1Node } from "@kubernetes/client-node";
import { loadCatalog } from "../src/cloudprovider/aws/catalog";
import { formatCpu, formatMemory } from "../src/apis/quantity";
import { KWOK_NODE_ANNOTATION } from "./controlplane";

export interface NodeAgentOptions { clusterName: string; bootDelayMs?: number; pollMs?: number; kubeconfig?: string }

const GONE_STATES = new Set(["shutting-down", "terminated", "stopping", "stopped"]);

export class NodeAgent {
  private readonly ec2 = new EC2Client({});
  private readonly core: CoreV1Api;
  private readonly firstSeen = new Map<string, number>();
  private readonly catalog = new Map(loadCatalog().map(it => [it.name, it]));
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  registered = 0;

  constructor(private readonly opts: NodeAgentOptions) {
    const kc = new KubeConfig();
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig); else kc.loadFromDefault();
    this.core = kc.makeApiClient(CoreV1Api);
  }

  start(): void {
    const tick = () => {
      this.running = this.syncOnce().catch(err => console.error(`[node-agent] ${err?.message ?? err}`));
      this.running.finally(() => { if (this.timer !== undefined) this.timer = setTimeout(tick, this.opts.pollMs ?? 1000); });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async syncOnce(): Promise<void> {
    const instances = await this.clusterInstances();
    const nodes = (await this.core.listNode()).items;
    const nodeByProvider = new Map(nodes.filter(n => n.spec?.providerID).map(n => [n.spec!.providerID!, n]));
    const now = Date.now();
    for (const inst of instances) {
      const providerID = `aws:///${inst.Placement?.AvailabilityZone}/${inst.InstanceId}`;
      const state = inst.State?.Name ?? "";
      const node = nodeByProvider.get(providerID);
      if (GONE_STATES.has(state)) {
        if (node) await this.core.deleteNode({ name: node.metadata!.name! }).catch(ignoreNotFound);
        continue;
      }
      if (state !== "running" || node) continue;
      const seen = this.firstSeen.get(inst.InstanceId!) ?? now;
      this.firstSeen.set(inst.InstanceId!, seen);
      if (now - seen < (this.opts.bootDelayMs ?? 2000)) continue;
      await this.core.createNode({ body: this.nodeFor(inst, providerID) }).catch(ignoreConflict);
      this.registered++;
    }
  }

  private async clusterInstances(): Promise<Instance[]> {
    const out: Instance[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.ec2.send(new DescribeInstancesCommand({
        Filters: [{ Name: `tag:kubernetes.io/cluster/${this.opts.clusterName}`, Values: ["owned"] }], NextToken,
      }));
      for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  private nodeFor(inst: Instance, providerID: string): V1Node {
    const type = inst.InstanceType ?? "";
    const it = this.catalog.get(type);
    if (!it) throw new Error(`instance ${inst.InstanceId} has type ${type}, unknown to the catalog`);
    // EC2 private DNS names are what the kubelet uses as node name on AL2023.
    const name = inst.PrivateDnsName || `ip-${(inst.PrivateIpAddress ?? "10.0.0.1").replace(/\./g, "-")}.ec2.internal`;
    const res = (r: Record<string, number>) => {
      const q: Record<string, string> = {};
      for (const [k, v] of Object.entries(r)) {
        if (v <= 0) continue;
        q[k] = k === "cpu" ? formatCpu(v) : k === "memory" || k === "ephemeral-storage" ? formatMemory(v) : String(v);
      }
      return q;
    };
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: {
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": it.labels["kubernetes.io/os"] ?? "linux",
          "kubernetes.io/arch": it.labels["kubernetes.io/arch"] ?? "amd64",
          "node.kubernetes.io/instance-type": type,
          "topology.kubernetes.io/zone": inst.Placement?.AvailabilityZone ?? "",
          "topology.kubernetes.io/region": (inst.Placement?.AvailabilityZone ?? "us-east-1a").slice(0, -1),
          "type": "kwok",
        },
      },
      spec: {
        providerID,
        taints: [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }],
      },
      status: { capacity: res(it.capacity), allocatable: res(it.allocatable) },
    };
  }
}

function ignoreNotFound(e: { code?: number }): void { if (e?.code !== 404) throw e; }
function ignoreConflict(e: { code?: number }): void { if (e?.code !== 409) throw e; }
