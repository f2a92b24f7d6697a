// EC2 instance lookups and termination for capsicum-launched instances (identified by tags).
import { DescribeInstancesCommand, EC2Client, Instance, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import type { CloudInstance } from "../types";

export const TAG_NODECLAIM = "karpenter.sh/nodeclaim";
export const TAG_NODEPOOL = "karpenter.sh/nodepool";
export const TAG_NODECLASS = "karpenter.k8s.aws/ec2nodeclass";
export const clusterTag = (cluster: string) => `kubernetes.io/cluster/${cluster}`;

/** Karpenter's tags on a node class's resources: its spec.tags, the cluster's ownership, the class's name. */
export function nodeClassTags(
  clusterName: string,
  nc: { metadata: { name: string }; spec: { tags?: Record<string, string> } },
): Record<string, string> {
  return {
    ...(nc.spec.tags ?? {}),
    [clusterTag(clusterName)]: "owned",
    "eks:eks-cluster-name": clusterName,
    [TAG_NODECLASS]: nc.metadata.name,
  };
}

const LIVE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"];

export function providerID(zone: string, instanceId: string): string {
  return `aws:///${zone}/${instanceId}`;
}

/** "aws:///us-east-1a/i-0123" -> "i-0123"; throws on anything else. */
export function parseProviderID(id: string): string {
  const m = /^aws:\/\/\/[^/]*\/(i-[0-9a-zA-Z]+)$/.exec(id);
  if (!m) throw new Error(`providerID "${id}" is not an AWS provider ID (expected aws:///<zone>/<instance-id>)`);
  return m[1]!;
}

/**
 * As Karpenter's capacityTypeFromInstance: spot by its spot request; reserved only with the ReservedCapacity gate
 * and when it was launched "capacity-reservations-only" into a reservation (an on-demand instance that EC2 matched
 * into an open ODCR stays on-demand, else it would drift); otherwise on-demand.
 */
export function capacityTypeOf(i: Instance, reservedCapacity = true): CloudInstance["capacityType"] {
  if (i.InstanceLifecycle === "spot" || i.SpotInstanceRequestId) return "spot";
  if (
    reservedCapacity &&
    i.CapacityReservationId &&
    i.CapacityReservationSpecification?.CapacityReservationPreference === "capacity-reservations-only"
  )
    return "reserved";
  return "on-demand";
}

export function toCloudInstance(i: Instance, reservedCapacity = true): CloudInstance {
  const zone = i.Placement?.AvailabilityZone ?? "";
  const capacityType = capacityTypeOf(i, reservedCapacity);
  const lifecycle = String(i.InstanceLifecycle ?? "");
  return {
    providerID: providerID(zone, i.InstanceId!),
    instanceID: i.InstanceId!,
    instanceType: String(i.InstanceType ?? ""),
    zone,
    ...(i.Placement?.AvailabilityZoneId ? { zoneID: i.Placement.AvailabilityZoneId } : {}),
    capacityType,
    ...(capacityType === "reserved"
      ? {
          reservation: {
            id: i.CapacityReservationId!,
            type: lifecycle === "capacity-block" ? ("capacity-block" as const) : ("default" as const),
            interruptible: lifecycle === "interruptible-capacity-reservation",
          },
        }
      : {}),
    state: String(i.State?.Name ?? "unknown"),
    launchTime: i.LaunchTime ? new Date(i.LaunchTime) : new Date(0),
    tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
    imageID: i.ImageId,
    subnetID: i.SubnetId,
    securityGroupIDs: (i.SecurityGroups ?? [])
      .map((g) => g.GroupId!)
      .filter(Boolean)
      .sort(),
    ...(i.Placement?.PartitionNumber ? { partitionNumber: i.Placement.PartitionNumber } : {}),
  };
}

export class InstanceProvider {
  constructor(
    private readonly ec2: EC2Client,
    private readonly clusterName: string,
    /** The ReservedCapacity feature gate: without it no instance is reported as `reserved`. */
    private readonly reservedCapacity = true,
  ) {}

  private toCloud = (i: Instance): CloudInstance => toCloudInstance(i, this.reservedCapacity);

  private async describe(input: ConstructorParameters<typeof DescribeInstancesCommand>[0]): Promise<Instance[]> {
    const out: Instance[] = [];
    let token: string | undefined;
    do {
      const res = await this.ec2.send(new DescribeInstancesCommand({ ...input, NextToken: token }));
      for (const r of res.Reservations ?? []) out.push(...(r.Instances ?? []));
      token = res.NextToken;
    } while (token);
    return out;
  }

  /** The live instance launched for this NodeClaim, if any (the idempotency check before every launch). */
  async findByNodeClaim(name: string): Promise<CloudInstance | undefined> {
    const found = await this.describe({
      Filters: [
        { Name: `tag:${TAG_NODECLAIM}`, Values: [name] },
        { Name: `tag:${clusterTag(this.clusterName)}`, Values: ["owned"] },
        { Name: "instance-state-name", Values: LIVE_STATES.filter((s) => s !== "shutting-down") },
      ],
    });
    return found
      .map(this.toCloud)
      .sort((a, b) => a.launchTime.getTime() - b.launchTime.getTime() || a.instanceID.localeCompare(b.instanceID))[0];
  }

  /** True when the instance carries kubernetes.io/cluster/<this cluster>=owned: the only ones we may touch. */
  isOwned(inst: Pick<CloudInstance, "tags">): boolean {
    return inst.tags[clusterTag(this.clusterName)] === "owned";
  }

  /**
   * undefined when EC2 does not know the instance, it is terminated, or it is not tagged as owned by this cluster
   * (another cluster's or another Karpenter's instance is, for us, not there).
   */
  async get(instanceId: string): Promise<CloudInstance | undefined> {
    try {
      const found = await this.describe({ InstanceIds: [instanceId] });
      const i = found.find((x) => x.InstanceId === instanceId);
      if (!i || i.State?.Name === "terminated") return undefined;
      const inst = this.toCloud(i);
      return this.isOwned(inst) ? inst : undefined;
    } catch (e) {
      if (/InvalidInstanceID/.test((e as { name?: string }).name ?? "")) return undefined;
      throw e;
    }
  }

  async list(): Promise<CloudInstance[]> {
    const found = await this.describe({
      Filters: [
        { Name: "tag-key", Values: [TAG_NODEPOOL] },
        { Name: `tag:${clusterTag(this.clusterName)}`, Values: ["owned"] },
        { Name: "instance-state-name", Values: LIVE_STATES },
      ],
    });
    return found.map(this.toCloud).sort((a, b) => a.instanceID.localeCompare(b.instanceID));
  }

  /** Terminates only an instance this cluster owns (the tag is re-checked on the instance passed in). */
  async terminate(inst: CloudInstance): Promise<void> {
    if (!this.isOwned(inst))
      throw new Error(
        `refusing to terminate ${inst.instanceID}: it is not tagged ${clusterTag(this.clusterName)}=owned (not this cluster's instance)`,
      );
    await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.instanceID] }));
  }

  /**
   * Every owned live instance by ID, from one paginated DescribeInstances shared by all callers for `maxAgeMs`:
   * drift checks read this instead of one DescribeInstances per NodeClaim (EC2 rate limits at 1-2k nodes).
   */
  async snapshot(now: number, maxAgeMs: number): Promise<Map<string, CloudInstance>> {
    if (this.cached && now - this.cached.at < maxAgeMs) return this.cached.value;
    this.inflight ??= this.list()
      .then((list) => {
        this.cached = { at: now, value: new Map(list.map((i) => [i.instanceID, i])) };
        return this.cached.value;
      })
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }
  private cached?: { at: number; value: Map<string, CloudInstance> };
  private inflight?: Promise<Map<string, CloudInstance>>;
}
