// The CreateFleet launch of one NodeClaim (Karpenter AWS's instance provider Create): plans the launch options,
// groups them into launch templates, sends one idempotent CreateFleet and turns the answer into a LaunchResult.
// A request whose outcome was never seen is re-sent verbatim under the same client token.
import type { Logger } from "pino";
import type { CreateFleetCommandInput, CreateFleetCommandOutput, EC2Client } from "@aws-sdk/client-ec2";
import { CreateFleetCommand } from "@aws-sdk/client-ec2";
import { CloudInstance, InsufficientCapacityError, LaunchResult, NodeClaimLike } from "../types";
import type { InstanceType } from "./catalog";
import * as L from "../../apis/labels";
import { formatResources } from "../../apis/quantity";
import type { EC2NodeClassLike } from "./nodeClass";
import { subnetPerZone } from "./subnets";
import { amiFor } from "./amis";
import type { LaunchTemplateProvider } from "./launchTemplates";
import { InstanceProvider, TAG_NODECLAIM, TAG_NODEPOOL, nodeClassTags } from "./instances";
import type { UnavailableOfferings } from "./unavailableOfferings";
import { planLaunch, NoLaunchOptionError, LaunchOption } from "./launchOptions";
import { buildCreateFleetInput, clientToken, parseFleetErrors, TemplateGroup } from "./fleetRequest";
import { launchFailureReason } from "./launchFailureReason";
import type { ClusterInfo } from "./cluster";
import { ec2NodeClassHashAnnotations } from "../../apis/karpenterHash";
import type { CapacityReservationProvider } from "./capacityReservations";
import { requestedEfa } from "./networkInterfaces";
import { PlacementGroup, targetedPartition } from "./placementGroups";

type Reservation = NonNullable<LaunchResult["reservation"]>;

/** How long a reused token's instance may stay invisible to DescribeInstances before we stop waiting for it. */
export const TOKEN_REUSE_WINDOW_MS = 60_000;

interface LaunchAttemptState {
  attempt: number;
  unresolved?: { plan: ReturnType<typeof planLaunch>; groups: TemplateGroup[]; input: CreateFleetCommandInput };
  mismatchSince?: number;
}

export interface FleetLauncherDeps {
  ec2: Pick<EC2Client, "send">;
  instances: InstanceProvider;
  launchTemplates: LaunchTemplateProvider;
  unavailableOfferings: UnavailableOfferings;
  /** Availability of capacity reservations: a reserved launch takes a slot, a full one is marked unavailable. */
  capacityReservations?: CapacityReservationProvider;
  /** The ReservedCapacity gate: launch templates state their reservation preference (Karpenter's targeted mode). */
  reservedCapacity?: boolean;
  log: Logger;
  now: () => number;
  clusterName: string;
  region: string;
  /** The CA bundle folded into the EC2NodeClass hash annotations written at launch. */
  caBundle: () => string;
  /** Each failed offering of a CreateFleet (karpenter_cloudprovider_instance_launch_failures_total). */
  onLaunchFailure?: LaunchFailureRecorder;
}

/** One CreateFleet offering that failed, labelled as Karpenter's metric is. */
export type LaunchFailureRecorder = (f: { zone: string; zoneID: string; capacityType: string; reason: string }) => void;

export class FleetLauncher {
  constructor(private readonly deps: FleetLauncherDeps) {}

  /** Forgets a NodeClaim's launch attempts (it is being deleted). */
  forget(uid: string): void {
    this.launchAttempts.delete(uid);
  }

  /** Launches one instance for a NodeClaim whose EC2NodeClass is ready; idempotent per NodeClaim UID. */
  async launch(
    nodeClaim: NodeClaimLike,
    nc: EC2NodeClassLike,
    cluster: ClusterInfo,
    catalog: InstanceType[],
    placementGroup?: PlacementGroup,
    /** NodeOverlays priced the NodeClaim's types: EC2 launches in the overlaid order (prioritized strategies). */
    prioritized = false,
  ): Promise<LaunchResult> {
    const existing = await this.deps.instances.findByNodeClaim(nodeClaim.metadata.name);
    if (existing) {
      this.deps.log.info(
        { NodeClaim: { name: nodeClaim.metadata.name }, "provider-id": existing.providerID },
        "found existing instance for nodeclaim",
      );
      return this.adoptedResult(existing, catalog, nc, placementGroup);
    }
    const status = nc.status!;
    const uid = nodeClaim.metadata.uid ?? nodeClaim.metadata.name;
    const state = this.launchAttempts.get(uid) ?? { attempt: 0 };
    this.launchAttempts.set(uid, state);
    // A request whose outcome we never saw (timeout, connection reset) is re-sent verbatim: same token, same
    // options, even if the ICE cache pruned some since, so EC2 answers with the instance it may have launched.
    let sent = state.unresolved;
    if (!sent) {
      let plan;
      try {
        plan = planLaunch({
          requirements: nodeClaim.spec.requirements,
          requests: nodeClaim.spec.resources?.requests,
          catalog,
          subnets: subnetPerZone(status.subnets ?? []),
          isUnavailable: this.deps.unavailableOfferings.predicateIn(iceScopes(nodeClaim, placementGroup)),
        });
      } catch (e) {
        if (e instanceof NoLaunchOptionError)
          throw new InsufficientCapacityError(
            `creating instance for NodeClaim ${nodeClaim.metadata.name}: ${e.message}`,
          );
        throw e;
      }
      if (plan.instanceTypes.length < 5) {
        this.deps.log.warn(
          { NodeClaim: { name: nodeClaim.metadata.name }, "instance-types": plan.instanceTypes.map((t) => t.name) },
          "NodeClaim has less than 5 instance types: launches may fail more often",
        );
      }
      const groups = await this.templateGroups(
        nodeClaim,
        nc,
        plan.capacityType,
        plan.options,
        cluster,
        placementOf(nodeClaim, placementGroup),
      );
      const tags = this.tagsFor(nodeClaim, nc);
      const token = clientToken(uid, state.attempt);
      const input = buildCreateFleetInput({
        capacityType: plan.capacityType,
        groups,
        tags,
        clientToken: token,
        prioritized,
        // As Karpenter AWS: a NodeClaim whose minValues were relaxed launches without the class's context.
        context:
          nodeClaim.metadata.annotations?.[L.MinValuesRelaxedAnnotation] === "true" ? undefined : nc.spec.context,
      });
      sent = { plan, groups, input };
    }
    const { plan, groups, input } = sent;
    let out: CreateFleetCommandOutput;
    try {
      out = await this.deps.ec2.send(new CreateFleetCommand(input));
    } catch (e) {
      const name = (e as { name?: string }).name ?? "";
      const answered = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined;
      if (/LaunchTemplateName\.NotFound|InvalidLaunchTemplate/.test(name))
        for (const g of groups) this.deps.launchTemplates.forget(g.launchTemplateName);
      if (name === "IdempotentParameterMismatch") {
        // The token was used with other options before (by a process that crashed): its instance, if any,
        // carries our NodeClaim tag. Adopt it. Only when it stays invisible past EC2's eventual consistency
        // window does the next attempt get a fresh token (the GC terminates a duplicate should one appear).
        state.unresolved = undefined;
        const adopted = await this.deps.instances.findByNodeClaim(nodeClaim.metadata.name);
        if (adopted) {
          this.launchAttempts.delete(uid);
          return this.adoptedResult(adopted, catalog, nc, placementGroup);
        }
        state.mismatchSince ??= this.deps.now();
        if (this.deps.now() - state.mismatchSince >= TOKEN_REUSE_WINDOW_MS) {
          state.attempt++;
          state.mismatchSince = undefined;
        }
      } else if (!answered || (e as { $retryable?: unknown }).$retryable) {
        state.unresolved = sent; // outcome unknown: the next try re-sends exactly this request
      } else {
        state.unresolved = undefined; // EC2 rejected the request: nothing was launched under this token
        state.attempt++;
      }
      throw e;
    }
    state.unresolved = undefined;
    const zoneOf = (id: string) => (status.subnets ?? []).find((s) => s.id === id)?.zone;
    const reservationOf = (type: string, zone: string | undefined) =>
      plan.options.find((o) => o.instanceType.name === type && o.zone === zone)?.reservation;
    const zoneIDOf = (zone: string | undefined) => (status.subnets ?? []).find((s) => s.zone === zone)?.zoneID ?? "";
    for (const f of parseFleetErrors(out.Errors, plan.capacityType, zoneOf)) {
      // As Karpenter: per failed offering, not per NodeClaim (one CreateFleet can fail several).
      this.deps.onLaunchFailure?.({
        zone: f.zone ?? "",
        zoneID: zoneIDOf(f.zone),
        capacityType: plan.capacityType,
        reason: launchFailureReason(`${f.code}: ${f.message}`),
      });
      if (plan.capacityType === "reserved") {
        // As Karpenter: a full reservation (ReservationCapacityExceeded, ...) is marked unavailable, not the
        // offering: the next plan falls back to the NodeClaim's other capacity types.
        const r = f.unfulfillable ? reservationOf(f.instanceType, f.zone) : undefined;
        if (r) {
          this.deps.capacityReservations?.markUnavailable(r.id);
          this.deps.log.info(
            { reason: f.code, "instance-type": f.instanceType, zone: f.zone, "capacity-reservation-id": r.id },
            "marking capacity reservation unavailable",
          );
        }
        continue;
      }
      if (f.unfulfillable && f.zone && placementGroup && SPREAD_LIMIT.test(f.message ?? "")) {
        // As Karpenter: a spread group's 7-per-zone limit blocks every type in the zone, for this group only.
        for (const t of plan.instanceTypes)
          this.deps.unavailableOfferings.markUnavailable(t.name, f.zone, f.capacityType, f.code, placementGroup.id);
        continue;
      }
      if (f.unfulfillable && f.instanceType && f.zone) {
        // Inside a placement group (partition) the ICE is scoped to it, as Karpenter's WithPlacementGroup.
        const scope = iceScopes(nodeClaim, placementGroup).at(-1);
        this.deps.unavailableOfferings.markUnavailable(f.instanceType, f.zone, f.capacityType, f.code, scope);
        this.deps.log.info(
          {
            "instance-type": f.instanceType,
            zone: f.zone,
            "capacity-type": f.capacityType,
            reason: f.code,
            ttl: "3m0s",
          },
          "removing offering from offerings",
        );
      }
    }
    const launched = out.Instances?.find((i) => i.InstanceIds?.length);
    if (!launched) {
      // EC2 answered: nothing launched under this token, so the next attempt may safely use a new one.
      state.attempt++;
      const reasons = [...new Set((out.Errors ?? []).map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`))].join("; ");
      throw new InsufficientCapacityError(
        `creating instance for NodeClaim ${nodeClaim.metadata.name}, ${reasons || "CreateFleet launched no instance"}`,
      );
    }
    this.launchAttempts.delete(uid);
    const instanceId = launched.InstanceIds![0]!;
    const ov = launched.LaunchTemplateAndOverrides?.Overrides;
    const typeName = String(launched.InstanceType ?? ov?.InstanceType ?? "");
    const zone =
      ov?.AvailabilityZone ??
      (ov?.SubnetId ? zoneOf(ov.SubnetId) : undefined) ??
      plan.options.find((o) => o.instanceType.name === typeName)?.zone ??
      "";
    const group =
      groups.find((g) => g.options.some((o) => o.instanceType.name === typeName && o.zone === zone)) ?? groups[0]!;
    const imageId = this.imageOf.get(group.launchTemplateName) ?? "";
    let reservation: Reservation | undefined;
    if (plan.capacityType === "reserved") {
      const r = reservationOf(typeName, zone) ?? group.options[0]?.reservation;
      if (r) {
        reservation = { id: r.id, type: r.type, interruptible: r.interruptible };
        this.deps.capacityReservations?.markLaunched(r.id);
      }
    }
    const result = this.launchResult(
      instanceId,
      zone,
      typeName,
      (plan.capacityType === "reserved"
        ? "reserved"
        : (launched.Lifecycle ?? plan.capacityType)) as LaunchResult["capacityType"],
      imageId,
      catalog,
      nc,
      reservation,
    );
    if (placementGroup) await this.labelPlacement(result, nodeClaim, placementGroup);
    return result;
  }

  private readonly imageOf = new Map<string, string>();
  /** Per NodeClaim UID: the client-token attempt (advanced only once EC2 confirmed nothing launched under it). */
  readonly launchAttempts = new Map<string, LaunchAttemptState>();

  /** One launch template per (AMI, max pods): the AMI follows the type's architecture, max pods its ENI limits. */
  private async templateGroups(
    nodeClaim: NodeClaimLike,
    nc: EC2NodeClassLike,
    capacityType: string,
    options: LaunchOption[],
    cluster: ClusterInfo,
    placement?: { groupId: string; partition?: number },
  ): Promise<TemplateGroup[]> {
    const status = nc.status!;
    const byKey = new Map<
      string,
      { ami: string; maxPods?: number; options: LaunchOption[]; reservation?: LaunchOption["reservation"] }
    >();
    for (const o of options) {
      const ami = amiFor(status.amis ?? [], o.instanceType.labels);
      if (!ami) continue;
      const maxPods = nc.spec.kubelet?.maxPods ?? o.instanceType.capacity.pods;
      // A reserved launch needs one template per reservation (each targets its own), as Karpenter's resolver.
      const key = `${ami}/${maxPods}/${o.reservation?.id ?? ""}`;
      const g = byKey.get(key) ?? { ami, maxPods, options: [], reservation: o.reservation };
      g.options.push(o);
      byKey.set(key, g);
    }
    if (byKey.size === 0)
      throw new InsufficientCapacityError(
        `no AMI in EC2NodeClass "${nc.metadata.name}" status matches the architectures of the NodeClaim's instance types`,
      );
    const labels: Record<string, string> = {
      ...(nodeClaim.metadata.labels ?? {}),
      [L.LabelCapacityType]: capacityType,
    };
    delete labels[L.LabelHostname];
    const taints = [...(nodeClaim.spec.taints ?? []), ...(nodeClaim.spec.startupTaints ?? [])];
    const tags = this.tagsFor(nodeClaim, nc);
    delete tags[TAG_NODECLAIM];
    delete tags.Name;
    const groups: TemplateGroup[] = [];
    for (const g of [...byKey.values()]) {
      const name = await this.deps.launchTemplates.ensure({
        nodeClass: nc,
        clusterName: this.deps.clusterName,
        clusterEndpoint: cluster.endpoint ?? "",
        caBundle: cluster.caBundle,
        serviceCIDR: cluster.serviceCIDR,
        kubeDNSIP: cluster.kubeDNSIP,
        imageId: g.ami,
        capacityType,
        instanceProfile: status.instanceProfile ?? "",
        securityGroupIds: (status.securityGroups ?? []).map((s) => s.id),
        labels,
        taints,
        maxPods: g.maxPods,
        tags,
        efaCount: requestedEfa(nodeClaim.spec.resources?.requests),
        reservationTargeting: this.deps.reservedCapacity ?? true,
        ...(placement ? { placement } : {}),
        ...(g.reservation
          ? {
              reservation: {
                id: g.reservation.id,
                type: g.reservation.type,
                interruptible: g.reservation.interruptible,
              },
            }
          : {}),
      });
      this.imageOf.set(name, g.ami);
      groups.push({ launchTemplateName: name, options: g.options });
    }
    return groups;
  }

  private tagsFor(nodeClaim: NodeClaimLike, nc: EC2NodeClassLike): Record<string, string> {
    return {
      Name: nodeClaim.metadata.name,
      ...nodeClassTags(this.deps.clusterName, nc),
      [TAG_NODEPOOL]: nodeClaim.metadata.labels?.[L.LabelNodePool] ?? "",
      [TAG_NODECLAIM]: nodeClaim.metadata.name,
    };
  }

  /**
   * Karpenter's placement-group labels: the group's id; for a partition group the targeted partition, else the
   * one EC2 picked (Karpenter's registration hook reads it from DescribeInstances), else "" until it is known.
   */
  private async labelPlacement(result: LaunchResult, nodeClaim: NodeClaimLike, pg: PlacementGroup): Promise<void> {
    result.labels[L.LabelPlacementGroupID] = pg.id;
    if (pg.strategy !== "partition") return;
    let partition = targetedPartition(nodeClaim.spec.requirements, L.LabelPlacementGroupPartition);
    if (partition === undefined) {
      try {
        partition = (await this.deps.instances.get(result.instanceID))?.partitionNumber;
      } catch (e) {
        this.deps.log.warn({ "instance-id": result.instanceID, err: String(e) }, "reading the instance's partition");
      }
    }
    result.labels[L.LabelPlacementGroupPartition] = partition ? String(partition) : "";
  }

  /** The result for an instance launched earlier for this NodeClaim (found by its tag). */
  private adoptedResult(
    i: CloudInstance,
    catalog: InstanceType[],
    nc: EC2NodeClassLike,
    pg?: PlacementGroup,
  ): LaunchResult {
    const capacityType = i.capacityType as LaunchResult["capacityType"];
    const result = this.launchResult(
      i.instanceID,
      i.zone,
      i.instanceType,
      capacityType,
      i.imageID ?? "",
      catalog,
      nc,
      i.reservation,
    );
    if (pg) {
      result.labels[L.LabelPlacementGroupID] = pg.id;
      if (pg.strategy === "partition") result.labels[L.LabelPlacementGroupPartition] = String(i.partitionNumber ?? "");
    }
    return result;
  }

  private launchResult(
    instanceId: string,
    zone: string,
    typeName: string,
    capacityType: LaunchResult["capacityType"],
    imageId: string,
    catalog: InstanceType[],
    nc: EC2NodeClassLike,
    reservation?: Reservation,
  ): LaunchResult {
    const it = catalog.find((t) => t.name === typeName);
    const zoneID = nc.status?.subnets?.find((s) => s.zone === zone)?.zoneID;
    const labels: Record<string, string> = {
      ...(it?.labels ?? { [L.LabelInstanceType]: typeName }),
      [L.LabelTopologyZone]: zone,
      [L.LabelTopologyRegion]: this.deps.region,
      [L.LabelCapacityType]: capacityType,
      ...(zoneID ? { [L.LabelZoneID]: zoneID } : {}),
    };
    // As Karpenter's instanceToNodeClaim: a reserved instance is labelled with its reservation.
    if (capacityType === "reserved" && reservation) {
      labels[L.LabelCapacityReservationID] = reservation.id;
      labels[L.LabelCapacityReservationType] = reservation.type;
      labels[L.LabelCapacityReservationInterruptible] = String(reservation.interruptible);
    }
    return {
      providerID: `aws:///${zone}/${instanceId}`,
      instanceID: instanceId,
      imageID: imageId,
      instanceType: typeName,
      zone,
      capacityType,
      capacity: it ? formatResources(it.capacity) : {},
      allocatable: it ? formatResources(it.allocatable) : {},
      labels,
      ...(reservation && capacityType === "reserved" ? { reservation } : {}),
      // As Karpenter's Create: the NodeClass hash the instance was launched from (static drift).
      annotations: ec2NodeClassHashAnnotations(nc as never, this.deps.caBundle()),
    };
  }
}

/** The launch template Placement for a NodeClaim: the group by id, the lowest targeted partition (Karpenter's). */
function placementOf(
  nodeClaim: NodeClaimLike,
  pg: PlacementGroup | undefined,
): { groupId: string; partition?: number } | undefined {
  if (!pg) return undefined;
  const partition =
    pg.strategy === "partition"
      ? targetedPartition(nodeClaim.spec.requirements, L.LabelPlacementGroupPartition)
      : undefined;
  return { groupId: pg.id, ...(partition ? { partition } : {}) };
}

/** EC2's message when a spread placement group has its seven instances in a zone. */
const SPREAD_LIMIT = /limit of instances in this spread placement group/i;

/** The ICE scopes of a launch: the placement group's id, then "<id>:<partition>" when a partition is targeted. */
function iceScopes(nodeClaim: NodeClaimLike, pg: PlacementGroup | undefined): string[] {
  if (!pg) return [];
  const partition = pg.strategy === "partition" ? placementOf(nodeClaim, pg)?.partition : undefined;
  return partition ? [pg.id, `${pg.id}:${partition}`] : [pg.id];
}
