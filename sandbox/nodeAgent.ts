// Sandbox node agent: stands in for each instance booting its AMI's bootstrap (nodeadm, bootstrap.sh,
// Bottlerocket, Windows) and its kubelet registering. For every running instance of the cluster it reads the
// user data the instance reads from IMDS (DescribeInstanceAttribute userData = the launch template's UserData),
// decodes it as the AMI family's bootstrap does and either refuses to join, logging the bootstrap's or kubelet's
// own words, or registers a KWOK-managed Node with exactly the labels and taints the user data asks for and
// capacity/allocatable the kubelet would compute for that instance type (from the emulator's
// DescribeInstanceTypes, never capsicum's catalog). Extended resources (GPUs, vpc.amazonaws.com/pod-eni) appear
// later, as their device plugin / the VPC resource controller add them, or never. The agent never adds or removes
// taints: after registration the Node is capsicum's. When the instance stops or terminates, the Node goes away
// (the cloud node lifecycle controller's job). Its EC2/EKS calls bypass injected faults: a hypervisor and a kubelet
// do not call the EC2 API.
import { appendFileSync } from "node:fs";
import {
  EC2Client,
  DescribeInstancesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceTypesCommand,
  DescribeImagesCommand,
  DescribeVolumesCommand,
  Instance,
  InstanceTypeInfo,
} from "@aws-sdk/client-ec2";
import { EKSClient, DescribeClusterCommand } from "@aws-sdk/client-eks";
import { KubeConfig, CoreV1Api, V1Node } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KWOK_NODE_ANNOTATION } from "./controlplane";
import { AmiFamily, BootConfig, BootError, decodeUserData, familyOfImage, sniffFamily } from "./userData";
import { validateClusterDetails, reachApiServer } from "./nodeadm";
import { InstanceTypeFacts, kubeletNode, extendedResources, KubeletNode } from "./kubelet";

export interface NodeAgentOptions {
  clusterName: string;
  /** The sandbox apiserver URL: the only endpoint a node can reach. */
  apiServerEndpoint: string;
  bootDelayMs?: number;
  pollMs?: number;
  kubeconfig?: string;
  /** When device plugins / the VPC resource controller add extended resources after registration: ms, or "never". */
  extendedResourcesAfterMs?: number | "never";
  /** Memory the kernel keeps from the nominal size, percent (default 5). */
  memoryOverheadPercent?: number;
  /** Instances booting (and Nodes updated) at once per pass (default 16). */
  bootConcurrency?: number;
  /** Also append every agent log line here. */
  logFile?: string;
  /** Called for each agent log line (npm start's timeline). */
  onLog?: (line: AgentLogLine) => void;
}

export interface AgentLogLine {
  time: string;
  instanceId: string;
  component: string;
  message: string;
}

export type InstanceOutcome = { joined: true; nodeName: string } | { joined: false; component: string; reason: string };

const GONE_STATES = new Set(["shutting-down", "terminated", "stopping", "stopped"]);
const AGENT_HEADER = "x-capsicum-sandbox-component";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const agentHeader = (next: any) => async (args: any) => {
  if (args.request?.headers) args.request.headers[AGENT_HEADER] = "node-agent";
  return next(args);
};

function tagged<T extends EC2Client | EKSClient>(client: T): T {
  (client.middlewareStack as EC2Client["middlewareStack"]).add(agentHeader, { step: "build", name: "capsicumSandboxNodeAgent" });
  return client;
}

let podEniTable: Record<string, number> | undefined;
function podEniBranches(type: string): number | undefined {
  podEniTable ??= (JSON.parse(readFileSync(join(__dirname, "data", "aws.json"), "utf8")) as { podEni: Record<string, number> }).podEni;
  return podEniTable[type];
}

export function instanceTypeFacts(info: InstanceTypeInfo): InstanceTypeFacts {
  const archs = info.ProcessorInfo?.SupportedArchitectures ?? [];
  const gpu = info.GpuInfo?.Gpus?.[0];
  const neuron = info.InferenceAcceleratorInfo?.Accelerators?.[0];
  let gpus: InstanceTypeFacts["gpus"];
  if (gpu?.Count) {
    const m = (gpu.Manufacturer ?? "").toLowerCase();
    gpus = { resource: m === "amd" ? "amd.com/gpu" : m === "habana" ? "habana.ai/gaudi" : "nvidia.com/gpu", count: gpu.Count };
  } else if (neuron?.Count && /inferentia|trainium/i.test(neuron.Name ?? "")) {
    gpus = { resource: "aws.amazon.com/neuron", count: neuron.Count };
  }
  return {
    name: info.InstanceType!,
    vcpus: info.VCpuInfo?.DefaultVCpus ?? 1,
    memoryMiB: info.MemoryInfo?.SizeInMiB ?? 1024,
    arch: archs.includes("arm64") && !archs.includes("x86_64") ? "arm64" : "amd64",
    maxEnis: info.NetworkInfo?.MaximumNetworkInterfaces ?? 1,
    ipv4PerEni: info.NetworkInfo?.Ipv4AddressesPerInterface ?? 1,
    gpus,
    podEni: podEniBranches(info.InstanceType!),
    instanceStoreGB: info.InstanceStorageInfo?.TotalSizeInGB,
  };
}

export class NodeAgent {
  private readonly ec2 = tagged(new EC2Client({}));
  private readonly eks = tagged(new EKSClient({}));
  private readonly core: CoreV1Api;
  private readonly firstSeen = new Map<string, number>();
  private readonly types = new Map<string, InstanceTypeFacts>();
  private readonly images = new Map<string, { name?: string; platform?: string; k8s?: string; rootDevice?: string }>();
  private readonly outcomes = new Map<string, InstanceOutcome>();
  private readonly pendingExtended = new Map<string, { at: number; resources: Record<string, string> }>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  readonly log: AgentLogLine[] = [];
  registered = 0;

  constructor(private readonly opts: NodeAgentOptions) {
    const kc = new KubeConfig();
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
    this.core = kc.makeApiClient(CoreV1Api);
  }

  start(): void {
    const tick = () => {
      this.running = this.syncOnce().catch((err) => console.error(`[node-agent] ${err?.message ?? err}`));
      this.running.finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.opts.pollMs ?? 1000);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** What happened to an instance's boot (undefined: not booted yet). */
  outcome(instanceId: string): InstanceOutcome | undefined {
    return this.outcomes.get(instanceId);
  }

  /** The agent log lines of one instance, as text. */
  logOf(instanceId: string): string {
    return this.log
      .filter((l) => l.instanceId === instanceId)
      .map((l) => `${l.component}: ${l.message}`)
      .join("\n");
  }

  private say(instanceId: string, component: string, message: string): void {
    const line = { time: new Date().toISOString(), instanceId, component, message };
    this.log.push(line);
    if (this.log.length > 5000) this.log.splice(0, this.log.length - 5000);
    if (this.opts.logFile) appendFileSync(this.opts.logFile, `${line.time} ${instanceId} ${component}: ${message}\n`);
    this.opts.onLog?.(line);
  }

  /**
   * One pass over the cluster's instances. Instances boot concurrently (up to `bootConcurrency`), as real ones do:
   * a pass that booted them one after another made registration O(new instances) × the emulator's latency, so
   * under load 30 instances launched at once took many minutes to join. An unexpected error of one instance's
   * boot is logged and retried next pass; it does not stop the others.
   */
  async syncOnce(): Promise<void> {
    const instances = await this.clusterInstances();
    const nodes = (await this.core.listNode()).items;
    const nodeByProvider = new Map(nodes.filter((n) => n.spec?.providerID).map((n) => [n.spec!.providerID!, n]));
    const now = Date.now();
    const work: Array<() => Promise<void>> = [];
    for (const inst of instances) {
      const id = inst.InstanceId!;
      const providerID = `aws:///${inst.Placement?.AvailabilityZone}/${id}`;
      const state = inst.State?.Name ?? "";
      const node = nodeByProvider.get(providerID);
      if (GONE_STATES.has(state)) {
        this.pendingExtended.delete(id);
        // As the cloud node lifecycle controller: this instance's Node, by UID. Moto reuses a terminated instance's
        // private IP at once, so a new instance's Node of the same name may already have replaced it.
        if (node)
          work.push(() =>
            this.core
              .deleteNode({ name: node.metadata!.name!, body: { preconditions: { uid: node.metadata!.uid } } })
              .then(() => undefined, ignoreGoneOrReplaced),
          );
        continue;
      }
      if (state !== "running") continue;
      if (node) {
        if (this.pendingExtended.has(id)) work.push(() => this.addExtendedResources(id, node, now));
        continue;
      }
      if (this.outcomes.get(id)?.joined === false) continue; // refused: a broken boot does not heal itself
      const seen = this.firstSeen.get(id) ?? now;
      this.firstSeen.set(id, seen);
      if (now - seen < (this.opts.bootDelayMs ?? 2000)) continue;
      work.push(() => this.boot(inst, providerID));
    }
    const errors: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < work.length) await work[next++]!().catch((e) => errors.push(e));
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.bootConcurrency ?? 16, work.length) }, worker));
    if (errors.length === 1) throw errors[0];
    if (errors.length) throw new Error(errors.map((e) => (e as Error)?.message ?? String(e)).join("; "));
  }

  private async boot(inst: Instance, providerID: string): Promise<void> {
    const id = inst.InstanceId!;
    let boot: BootConfig;
    let kn: KubeletNode;
    let facts: InstanceTypeFacts;
    const nodeName = inst.PrivateDnsName || `ip-${(inst.PrivateIpAddress ?? "10.0.0.1").replace(/\./g, "-")}.ec2.internal`;
    try {
      const image = await this.image(inst.ImageId);
      const userData = await this.userData(id);
      const family: AmiFamily = familyOfImage(image.name, image.platform) ?? sniffFamily(userData);
      boot = decodeUserData(family, userData);
      if (boot.describesClusterWhenMissing && (!boot.cluster.apiServerEndpoint || !boot.cluster.certificateAuthority)) {
        await this.describeCluster(boot);
      }
      validateClusterDetails(boot);
      facts = await this.instanceType(inst.InstanceType ?? "");
      const zone = inst.Placement?.AvailabilityZone ?? "";
      kn = kubeletNode(boot, facts, {
        nodeName,
        zone,
        region: zone.replace(/[a-z]$/, ""),
        os: family === "windows" ? "windows" : "linux",
        rootVolumeGiB: await this.nodefsVolumeGiB(inst, family, image.rootDevice),
        memoryOverheadPercent: this.opts.memoryOverheadPercent ?? 5,
      });
      await reachApiServer(boot.cluster, { endpoint: this.opts.apiServerEndpoint, clusterName: this.opts.clusterName });
    } catch (e) {
      if (e instanceof BootError) {
        this.outcomes.set(id, { joined: false, component: e.component, reason: e.message });
        this.say(id, e.component, e.message);
        return;
      }
      throw e;
    }
    const body: V1Node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: nodeName,
        annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: kn.labels,
      },
      spec: { providerID, ...(kn.taints.length ? { taints: kn.taints } : {}) },
      status: {
        capacity: kn.capacity,
        allocatable: kn.allocatable,
        nodeInfo: {
          architecture: facts.arch,
          operatingSystem: boot.family === "windows" ? "windows" : "linux",
          kubeletVersion: `v${(await this.image(inst.ImageId)).k8s ?? "1.34"}.0`,
          kubeProxyVersion: "",
          bootID: "",
          containerRuntimeVersion: "containerd://1.7.27",
          kernelVersion: "",
          machineID: "",
          osImage: boot.family,
          systemUUID: id,
        },
      },
    };
    try {
      await this.core.createNode({ body });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
      // The name (from the private IP) is held: by this instance's Node (an earlier pass registered it), or by
      // a terminated instance's that had the same IP and is not deleted yet. A kubelet keeps trying to register;
      // so does this one, next pass, rather than taking over the other instance's Node.
      const held = await this.core.readNode({ name: nodeName }).catch(() => undefined);
      if (held && held.spec?.providerID !== providerID) {
        this.say(id, "kubelet", `Unable to register node ${nodeName}: the name is held by the Node of ${held.spec?.providerID}; retrying`);
        return;
      }
    }
    this.registered++;
    this.outcomes.set(id, { joined: true, nodeName });
    this.say(id, "kubelet", `Successfully registered node ${nodeName}`);
    const extended = extendedResources(facts);
    const after = this.opts.extendedResourcesAfterMs ?? 3000;
    if (Object.keys(extended).length && after !== "never") {
      this.pendingExtended.set(id, { at: Date.now() + after, resources: extended });
    }
  }

  /**
   * A fault on demand: the kubelet of `nodeName` stops. KWOK stops simulating it (its annotation goes: no more
   * status, heartbeats or pod updates from that node) and the Node reports `condition` = `status` (default
   * Ready=False) since `since`, the condition's lastTransitionTime. A `since` in the past stands for a node that
   * has been unhealthy that long, without waiting for it.
   */
  async failKubelet(
    nodeName: string,
    o: { condition?: string; status?: "False" | "Unknown" | "True"; reason?: string; since?: Date } = {},
  ): Promise<void> {
    // Read-modify-write, again on a conflict (KWOK's heartbeats and the controllers update the Node meanwhile), as
    // client-go's RetryOnConflict.
    await retryOnConflict(async () => {
      const node = await this.core.readNode({ name: nodeName });
      delete node.metadata!.annotations?.[KWOK_NODE_ANNOTATION];
      await this.core.replaceNode({ name: nodeName, body: node });
    });
    const type = o.condition ?? "Ready";
    const now = new Date();
    const cond = {
      type,
      status: o.status ?? "False",
      reason: o.reason ?? "KubeletNotReady",
      message: `${type} is ${o.status ?? "False"}: the kubelet stopped (sandbox fault)`,
      lastHeartbeatTime: now,
      lastTransitionTime: o.since ?? now,
    };
    const fresh = await retryOnConflict(async () => {
      const n = await this.core.readNode({ name: nodeName });
      n.status = n.status ?? {};
      n.status.conditions = [...(n.status.conditions ?? []).filter((c) => c.type !== type), cond];
      await this.core.replaceNodeStatus({ name: nodeName, body: n });
      return n;
    });
    const id = /([^/]+)$/.exec(fresh.spec?.providerID ?? "")?.[1] ?? nodeName;
    this.say(id, "kubelet", `stopped (fault): ${type}=${cond.status} since ${cond.lastTransitionTime.toISOString()}`);
  }

  private async addExtendedResources(id: string, node: V1Node, now: number): Promise<void> {
    const p = this.pendingExtended.get(id);
    if (!p || now < p.at) return;
    const fresh = await this.core.readNode({ name: node.metadata!.name! });
    fresh.status = fresh.status ?? {};
    fresh.status.capacity = { ...fresh.status.capacity, ...p.resources };
    fresh.status.allocatable = { ...fresh.status.allocatable, ...p.resources };
    try {
      await this.core.replaceNodeStatus({ name: node.metadata!.name!, body: fresh });
      this.pendingExtended.delete(id);
      this.say(id, "device-plugin", `advertised ${Object.entries(p.resources).map(([k, v]) => `${k}=${v}`).join(", ")}`);
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e; // conflict: next tick
    }
  }

  private async describeCluster(boot: BootConfig): Promise<void> {
    const component = boot.family === "windows" ? "Start-EKSBootstrap.ps1" : "bootstrap.sh";
    try {
      const out = await this.eks.send(new DescribeClusterCommand({ name: boot.cluster.name }));
      boot.cluster.apiServerEndpoint ??= out.cluster?.endpoint;
      boot.cluster.certificateAuthority ??= out.cluster?.certificateAuthority?.data;
      boot.cluster.cidr ??= out.cluster?.kubernetesNetworkConfig?.serviceIpv4Cidr;
    } catch (e) {
      const err = e as { name?: string; message?: string };
      throw new BootError(component, `An error occurred (${err.name}) when calling the DescribeCluster operation: ${err.message}`);
    }
  }

  private async image(imageId: string | undefined): Promise<{ name?: string; platform?: string; k8s?: string; rootDevice?: string }> {
    if (!imageId) return {};
    const hit = this.images.get(imageId);
    if (hit) return hit;
    const out = await this.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })).catch(() => undefined);
    const img = out?.Images?.[0];
    const name = img?.Name;
    const k8s = /(?:-|aws-k8s-|Optimized-)(1\.\d+)(?:-|\/|$)/.exec(name ?? "")?.[1];
    const v = { name, platform: img?.Platform, k8s, rootDevice: img?.RootDeviceName };
    this.images.set(imageId, v);
    return v;
  }

  private async userData(instanceId: string): Promise<string> {
    const out = await this.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "userData" }));
    const b64 = out.UserData?.Value;
    return b64 ? Buffer.from(b64, "base64").toString("utf8") : "";
  }

  private async instanceType(name: string): Promise<InstanceTypeFacts> {
    const hit = this.types.get(name);
    if (hit) return hit;
    const out = await this.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [name as never] }));
    const info = out.InstanceTypes?.[0];
    if (!info) throw new BootError("kubelet", `instance type ${name} is unknown to EC2 DescribeInstanceTypes`);
    const facts = instanceTypeFacts(info);
    this.types.set(name, facts);
    return facts;
  }

  /**
   * The filesystem the kubelet reports as ephemeral-storage: the root EBS volume, except on Bottlerocket, whose
   * /var/lib lives on the data volume (/dev/xvdb) while the root volume holds only the OS.
   */
  private async nodefsVolumeGiB(inst: Instance, family: AmiFamily, imageRootDevice?: string): Promise<number> {
    const byName = (d: string | undefined) => inst.BlockDeviceMappings?.find((b) => b.DeviceName === d);
    const root =
      (family === "bottlerocket" ? byName("/dev/xvdb") : undefined) ??
      byName(imageRootDevice) ??
      byName(inst.RootDeviceName) ??
      inst.BlockDeviceMappings?.[0];
    const volumeId = root?.Ebs?.VolumeId;
    if (!volumeId) return 20;
    const out = await this.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })).catch(() => undefined);
    return out?.Volumes?.[0]?.Size ?? 20;
  }

  private async clusterInstances(): Promise<Instance[]> {
    const out: Instance[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: `tag:kubernetes.io/cluster/${this.opts.clusterName}`, Values: ["owned"] }],
          NextToken,
        }),
      );
      for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }
}

function ignoreNotFound(e: { code?: number }): void {
  if (e?.code !== 404) throw e;
}
/** Not found, or the UID precondition failed (409): the Node meant is gone either way. */
function ignoreGoneOrReplaced(e: { code?: number }): void {
  if (e?.code !== 404 && e?.code !== 409) throw e;
}

/** Runs `write` again while the apiserver answers 409 Conflict (a stale resourceVersion), up to 10 times. */
async function retryOnConflict<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if ((e as { code?: number }).code !== 409 || attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}
