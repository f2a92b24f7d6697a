// EC2 instance lookups and termination for capsicum-launched instances (identified by tags).
import { DescribeInstancesCommand, EC2Client, Instance, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import type { CloudInstance } from "../types";

export const TAG_NODECLAIM = "karpenter.sh/nodeclaim";
export const TAG_NODEPOOL = "karpenter.sh/nodepool";
export const TAG_NODECLASS = "karpenter.k8s.aws/ec2nodeclass";
export const clusterTag = (cluster: string) => `kubernetes.io/cluster/${cluster}`;

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

export function toCloudInstance(i: Instance): CloudInstance {
  const zone = i.Placement?.AvailabilityZone ?? "";
  return {
    providerID: providerID(zone, i.InstanceId!),
    instanceID: i.InstanceId!,
    instanceType: String(i.InstanceType ?? ""),
    zone,
    capacityType: i.InstanceLifecycle === "spot" ? "spot" : "on-demand",
    state: String(i.State?.Name ?? "unknown"),
    launchTime: i.LaunchTime ? new Date(i.LaunchTime) : new Date(0),
    tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
    imageID: i.ImageId,
    subnetID: i.SubnetId,
    securityGroupIDs: (i.SecurityGroups ?? [])
      .map((g) => g.GroupId!)
      .filter(Boolean)
      .sort(),
  };
}

export class InstanceProvider {
  constructor(
    private readonly ec2: EC2Client,
    private readonly clusterName: string,
  ) {}

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
      .map(toCloudInstance)
      .sort((a, b) => a.launchTime.getTime() - b.launchTime.getTime() || a.instanceID.localeCompare(b.instanceID))[0];
  }

  /** undefined when EC2 does not know the instance (or it is terminated). */
  async get(instanceId: string): Promise<CloudInstance | undefined> {
    try {
      const found = await this.describe({ InstanceIds: [instanceId] });
      const i = found.find((x) => x.InstanceId === instanceId);
      if (!i || i.State?.Name === "terminated") return undefined;
      return toCloudInstance(i);
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
    return found.map(toCloudInstance).sort((a, b) => a.instanceID.localeCompare(b.instanceID));
  }

  async terminate(instanceId: string): Promise<void> {
    await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  }
}
