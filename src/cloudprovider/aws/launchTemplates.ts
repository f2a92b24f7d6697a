// Launch templates, one per distinct (EC2NodeClass, AMI, capacity type, labels/taints, max pods, ...), named
// "karpenter.k8s.aws/<hash>" after their content, so the same inputs always find the same template
// (find-or-create) and a changed input gets a new one instead of mutating a template in use.
import { createHash } from "node:crypto";
import {
  CreateLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  RequestLaunchTemplateData,
  LaunchTemplateBlockDeviceMappingRequest,
  DeleteLaunchTemplateCommand,
} from "@aws-sdk/client-ec2";
import type { BlockDeviceMapping, EC2NodeClassLike } from "./nodeClass";
import { amiFamilyOf, userDataFor } from "./userData";
import { tagList } from "./fleetRequest";
import { TtlCache, TTL, Now } from "./ttlCache";
import { networkInterfaces } from "./networkInterfaces";
import { clusterIPFamily } from "./cluster";

export interface LaunchTemplateInput {
  nodeClass: EC2NodeClassLike;
  clusterName: string;
  clusterEndpoint: string;
  caBundle?: string;
  serviceCIDR?: string;
  /**
   * The kube-dns service's cluster IP, when it was found (Karpenter's KubeDNSIP): the nodes' clusterDNS unless the
   * EC2NodeClass sets one, and its family is the cluster's (an IPv6 one gives the interfaces IPv6 addresses).
   */
  kubeDNSIP?: string;
  imageId: string;
  capacityType: string;
  instanceProfile: string;
  securityGroupIds: string[];
  labels: Record<string, string>;
  taints: Array<{ key: string; value?: string; effect: string }>;
  maxPods?: number;
  tags: Record<string, string>;
  /** EFA devices the NodeClaim requests (vpc.amazonaws.com/efa): that many EFA interfaces. */
  efaCount?: number;
  /**
   * ReservedCapacity gate on (Karpenter's targeted launch mode): the template says how it uses reservations: a
   * reserved launch targets its one reservation ("capacity-reservations-only"), any other opts out of open ODCRs.
   */
  reservationTargeting?: boolean;
  /** The reservation a reserved launch targets (one template per reservation). */
  reservation?: { id: string; type: "default" | "capacity-block"; interruptible: boolean };
  /** The resolved placement group (placementGroupSelector) and, for a partition group, the targeted partition. */
  placement?: { groupId: string; partition?: number };
}

/** AL2/AL2023 default root volume (Karpenter's DefaultEBS): /dev/xvda, 20Gi gp3, encrypted. */
export const DEFAULT_BLOCK_DEVICES: BlockDeviceMapping[] = [
  {
    deviceName: "/dev/xvda",
    rootVolume: true,
    ebs: { volumeSize: "20Gi", volumeType: "gp3", encrypted: true, deleteOnTermination: true },
  },
];

/** Karpenter's per-family defaults: Bottlerocket OS + data volumes, Windows 50Gi /dev/sda1, Custom none. */
export function defaultBlockDevices(family: string): BlockDeviceMapping[] {
  const ebs = (size: string) => ({ volumeSize: size, volumeType: "gp3", encrypted: true, deleteOnTermination: true });
  if (family === "Bottlerocket")
    return [
      { deviceName: "/dev/xvda", ebs: ebs("4Gi") },
      { deviceName: "/dev/xvdb", rootVolume: true, ebs: ebs("20Gi") },
    ];
  if (family.startsWith("Windows")) return [{ deviceName: "/dev/sda1", rootVolume: true, ebs: ebs("50Gi") }];
  return DEFAULT_BLOCK_DEVICES;
}

export function volumeSizeGiB(size: string | undefined): number | undefined {
  if (!size) return undefined;
  const m = /^(\d+(?:\.\d+)?)(Gi|G|Ti|T)$/.exec(size);
  if (!m) throw new Error(`blockDeviceMappings ebs.volumeSize "${size}" must look like 20Gi, 100G or 1Ti`);
  const n = Number(m[1]);
  const gib = m[2] === "Gi" ? n : m[2] === "Ti" ? n * 1024 : m[2] === "G" ? (n * 1e9) / 2 ** 30 : (n * 1e12) / 2 ** 30;
  return Math.ceil(gib);
}

function blockDevices(bdms: BlockDeviceMapping[]): LaunchTemplateBlockDeviceMappingRequest[] {
  return bdms.map((b) => ({
    DeviceName: b.deviceName,
    Ebs: b.ebs && {
      DeleteOnTermination: b.ebs.deleteOnTermination ?? true,
      Encrypted: b.ebs.encrypted,
      Iops: b.ebs.iops,
      KmsKeyId: b.ebs.kmsKeyID,
      SnapshotId: b.ebs.snapshotID,
      Throughput: b.ebs.throughput,
      VolumeSize: volumeSizeGiB(b.ebs.volumeSize),
      VolumeType: b.ebs.volumeType as never,
    },
  }));
}

export function launchTemplateData(i: LaunchTemplateInput): RequestLaunchTemplateData {
  const spec = i.nodeClass.spec;
  const md = spec.metadataOptions ?? {};
  const family = amiFamilyOf(spec as never);
  const userData = userDataFor(family, {
    clusterName: i.clusterName,
    apiServerEndpoint: i.clusterEndpoint,
    caBundle: i.caBundle,
    serviceCIDR: i.serviceCIDR,
    labels: i.labels,
    taints: i.taints,
    // As Karpenter's defaultClusterDNS: the discovered kube-dns address unless the class sets clusterDNS.
    kubelet:
      i.kubeDNSIP && !spec.kubelet?.clusterDNS?.length ? { ...spec.kubelet, clusterDNS: [i.kubeDNSIP] } : spec.kubelet,
    maxPods: i.maxPods,
    customUserData: spec.userData,
    instanceStorePolicy: spec.instanceStorePolicy,
  });
  const data: RequestLaunchTemplateData = {
    ImageId: i.imageId,
    UserData: Buffer.from(userData, "utf8").toString("base64"),
    IamInstanceProfile: { Name: i.instanceProfile },
    MetadataOptions: {
      HttpEndpoint: (md.httpEndpoint ?? "enabled") as never,
      HttpProtocolIpv6: (md.httpProtocolIPv6 ?? "disabled") as never,
      HttpPutResponseHopLimit: md.httpPutResponseHopLimit ?? 1,
      HttpTokens: (md.httpTokens ?? "required") as never,
      // Karpenter pins instance tags off in IMDS: an account default could otherwise turn them on.
      InstanceMetadataTags: "disabled",
    },
    ...(spec.blockDeviceMappings?.length || family !== "Custom"
      ? {
          BlockDeviceMappings: blockDevices(
            spec.blockDeviceMappings?.length ? spec.blockDeviceMappings : defaultBlockDevices(family),
          ),
        }
      : {}),
    Monitoring: { Enabled: spec.detailedMonitoring ?? false },
    TagSpecifications: [{ ResourceType: "network-interface", Tags: tagList(i.tags) }],
  };
  if (i.reservationTargeting) {
    const r = i.capacityType === "reserved" ? i.reservation : undefined;
    data.CapacityReservationSpecification = r
      ? {
          CapacityReservationPreference: "capacity-reservations-only",
          CapacityReservationTarget: { CapacityReservationId: r.id },
        }
      : { CapacityReservationPreference: "none" };
    if (r?.type === "capacity-block") data.InstanceMarketOptions = { MarketType: "capacity-block" };
    else if (r?.interruptible) data.InstanceMarketOptions = { MarketType: "interruptible-capacity-reservation" };
  }
  // As Karpenter: security groups ride on the network interfaces (EFA, user-defined, or the primary one).
  data.NetworkInterfaces = networkInterfaces(spec, i.securityGroupIds, i.efaCount, clusterIPFamily(i.kubeDNSIP));
  const nested = spec.cpuOptions?.nestedVirtualization;
  if (nested) data.CpuOptions = { NestedVirtualization: nested as never };
  // As Karpenter: the group resolved from placementGroupSelector, by id; a partition only when one is targeted.
  if (i.placement)
    data.Placement = {
      GroupId: i.placement.groupId,
      ...(i.placement.partition ? { PartitionNumber: i.placement.partition } : {}),
    };
  data.EnclaveOptions = { Enabled: false };
  return data;
}

/**
 * The template's name: a hash of the cluster, the EC2NodeClass and the content. The class is part of it, as in
 * Karpenter (its tags are hashed), so two classes with the same launch data never share a template that carries
 * only one class's tag (the other's finalizer would find nothing to delete, or delete what the first still uses).
 */
export function launchTemplateName(
  data: RequestLaunchTemplateData,
  clusterName: string,
  nodeClassName: string,
): string {
  const h = createHash("sha256")
    .update(clusterName)
    .update("\0")
    .update(nodeClassName)
    .update("\0")
    .update(JSON.stringify(data))
    .digest("hex")
    .slice(0, 40);
  return `karpenter.k8s.aws/${h}`;
}

export class LaunchTemplateProvider {
  private readonly cache: TtlCache<string>;
  constructor(
    private readonly ec2: EC2Client,
    private readonly clusterName: string,
    now: Now = Date.now,
    private readonly onUserDataBytes?: (nodeClass: string, bytes: number | undefined) => void,
  ) {
    this.cache = new TtlCache(TTL.instanceTypes, now);
  }

  /** Returns the name of a launch template with exactly this content, creating it when missing. */
  async ensure(input: LaunchTemplateInput): Promise<string> {
    const data = launchTemplateData(input);
    const name = launchTemplateName(data, this.clusterName, input.nodeClass.metadata.name);
    return this.cache.getOrLoad(name, async () => {
      try {
        const out = await this.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] }));
        if (out.LaunchTemplates?.length) return name;
      } catch (e) {
        if (!/NotFound/.test((e as { name?: string }).name ?? "")) throw e;
      }
      // Karpenter's ec2nodeclasses_userdata_bytes: measured (decoded, as EC2 limits it) just before the create, so
      // an oversized rendering EC2 rejects is still reported.
      this.onUserDataBytes?.(input.nodeClass.metadata.name, Buffer.from(data.UserData ?? "", "base64").length);
      try {
        await this.ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: name,
            LaunchTemplateData: data,
            TagSpecifications: [
              {
                ResourceType: "launch-template",
                Tags: tagList({
                  "karpenter.k8s.aws/cluster": this.clusterName,
                  "karpenter.k8s.aws/ec2nodeclass": input.nodeClass.metadata.name,
                  [`kubernetes.io/cluster/${this.clusterName}`]: "owned",
                }),
              },
            ],
          }),
        );
      } catch (e) {
        // Another replica (or a restarted controller) created it between our describe and create.
        if (!/AlreadyExists/.test((e as { name?: string }).name ?? "")) throw e;
      }
      return name;
    });
  }

  /** Forget a template (e.g. CreateFleet said it no longer exists) so the next launch recreates it. */
  forget(name: string): void {
    this.cache.delete(name);
  }

  /** Deletes every launch template capsicum created for an EC2NodeClass (its cluster + ec2nodeclass tags). */
  async deleteForNodeClass(nodeClassName: string): Promise<string[]> {
    // Every page: a class accumulates a template per AMI/capacity type/labels/reservation..., often more than one
    // page holds, and a template left behind is leaked for good once the class and its finalizer are gone.
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.ec2.send(
        new DescribeLaunchTemplatesCommand({
          Filters: [
            { Name: "tag:karpenter.k8s.aws/cluster", Values: [this.clusterName] },
            { Name: "tag:karpenter.k8s.aws/ec2nodeclass", Values: [nodeClassName] },
          ],
          MaxResults: 200,
          NextToken,
        }),
      );
      names.push(...(page.LaunchTemplates ?? []).map((t) => t.LaunchTemplateName!).filter(Boolean));
      NextToken = page.NextToken || undefined;
    } while (NextToken);
    await this.deleteAll(names);
    this.onUserDataBytes?.(nodeClassName, undefined);
    return names;
  }

  async deleteAll(names: string[]): Promise<void> {
    for (const n of names) {
      try {
        await this.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: n }));
      } catch {
        /* already gone */
      }
      this.cache.delete(n);
    }
  }
}
