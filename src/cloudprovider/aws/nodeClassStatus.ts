// Resolves an EC2NodeClass's selectors into its status (subnets, security groups, AMIs, instance profile) and
// the conditions Karpenter reports: SubnetsReady, SecurityGroupsReady, AMIsReady, InstanceProfileReady,
// PlacementGroupReady, CapacityReservationsReady, ValidationSucceeded (cluster resolved, launch calls authorized:
// authorization.ts) -> Ready,
// with a reason and a message that says what matched nothing (e.g. "no subnet matches tag karpenter.sh/discovery=demo").
import { transitionTime } from "../../apis/conditions";
import type { Condition, EC2NodeClassLike, EC2NodeClassStatus } from "./nodeClass";
import type { SubnetProvider } from "./subnets";
import type { SecurityGroupProvider } from "./securityGroups";
import type { AmiProvider } from "./amis";
import { InstanceProfileError, InstanceProfileProvider } from "./instanceProfiles";
import { describeTerms } from "./selectors";
import type { ClusterInfo } from "./cluster";
import { fieldsCondition } from "./ignoredFields";
import { CapacityReservationProvider, reservationFromEC2 } from "./capacityReservations";
import { PlacementGroupProvider, placementGroupCondition } from "./placementGroups";
import { AUTH_FAILURES } from "./authorization";

export interface NodeClassResolution {
  status: EC2NodeClassStatus;
  ready: boolean;
  message: string;
}

interface Part {
  type: string;
  ok: boolean;
  reason: string;
  message: string;
  /** Reported as a condition but not part of Ready (e.g. PricesResolved: a price fallback still launches). */
  informational?: boolean;
  /** Not known yet (status Unknown), e.g. PricesResolved before the Pricing API first answered. */
  unknown?: boolean;
}

export class NodeClassResolver {
  constructor(
    private readonly deps: {
      subnets: SubnetProvider;
      securityGroups: SecurityGroupProvider;
      amis: AmiProvider;
      instanceProfiles: InstanceProfileProvider;
      /** Endpoint/CA/service CIDR discovery; a problem makes the NodeClass not Ready (nodes could not join). */
      cluster?: () => Promise<ClusterInfo>;
      /** Where on-demand prices come from: a fallback is a PricesResolved=False condition, Ready unaffected. */
      pricing?: () => Omit<Part, "informational"> | Promise<Omit<Part, "informational">>;
      /** Set only with the ReservedCapacity gate: status.capacityReservations and CapacityReservationsReady. */
      capacityReservations?: CapacityReservationProvider;
      /** placementGroupSelector -> PlacementGroupReady (part of Ready, as Karpenter's). */
      placementGroups?: PlacementGroupProvider;
      /**
       * The authorization dry runs (authorization.ts) once subnets, security groups, AMIs and the instance profile
       * resolved: ValidationSucceeded's verdict, undefined when EC2's answer was inconclusive.
       */
      authorization?: (
        nc: EC2NodeClassLike,
        status: EC2NodeClassStatus,
      ) => Promise<{ ok: boolean; reason: string; message: string } | undefined>;
      /** Reservations EC2 returned that Karpenter's API cannot represent (logged, left out of the status). */
      onInvalidReservation?: (message: string) => void;
    },
    private readonly k8sMinor: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(nc: EC2NodeClassLike): Promise<NodeClassResolution> {
    const status: EC2NodeClassStatus = {};
    const parts: Part[] = [];
    const spec = nc.spec;

    // First: DescribeCluster also tells the Kubernetes version the AMI aliases below resolve for.
    const cluster = this.deps.cluster ? await this.deps.cluster() : undefined;

    const subnets = await this.deps.subnets.list(spec.subnetSelectorTerms ?? []);
    status.subnets = subnets.map((s) => ({ id: s.id, zone: s.zone, zoneID: s.zoneID }));
    parts.push(
      subnets.length
        ? { type: "SubnetsReady", ok: true, reason: "SubnetsReady", message: "" }
        : {
            type: "SubnetsReady",
            ok: false,
            reason: "SubnetsNotFound",
            message: `no subnet matches ${describeTerms(spec.subnetSelectorTerms ?? [])}`,
          },
    );

    const groups = await this.deps.securityGroups.list(spec.securityGroupSelectorTerms ?? []);
    status.securityGroups = groups.map((g) => ({ id: g.id, name: g.name }));
    parts.push(
      groups.length
        ? { type: "SecurityGroupsReady", ok: true, reason: "SecurityGroupsReady", message: "" }
        : {
            type: "SecurityGroupsReady",
            ok: false,
            reason: "SecurityGroupsNotFound",
            message: `no security group matches ${describeTerms(spec.securityGroupSelectorTerms ?? [])}`,
          },
    );

    try {
      const amis = await this.deps.amis.list(spec.amiSelectorTerms ?? [], this.k8sMinor());
      status.amis = amis.map((a) => ({
        id: a.id,
        ...(a.name ? { name: a.name } : {}),
        ...(a.deprecated ? { deprecated: true } : {}),
        requirements: a.requirements,
      }));
      parts.push(
        amis.length
          ? { type: "AMIsReady", ok: true, reason: "AMIsReady", message: "" }
          : {
              type: "AMIsReady",
              ok: false,
              reason: "AMINotFound",
              message: `no AMI matches ${describeTerms(spec.amiSelectorTerms ?? [])} (Kubernetes ${this.k8sMinor()})`,
            },
      );
    } catch (e) {
      status.amis = [];
      parts.push({ type: "AMIsReady", ok: false, reason: "AMINotFound", message: (e as Error).message });
    }

    try {
      status.instanceProfile = await this.deps.instanceProfiles.resolve(nc);
      parts.push({ type: "InstanceProfileReady", ok: true, reason: "InstanceProfileReady", message: "" });
    } catch (e) {
      if (!(e instanceof InstanceProfileError)) throw e;
      parts.push({ type: "InstanceProfileReady", ok: false, reason: e.reason, message: e.message });
    }

    if (this.deps.placementGroups) {
      const sel = spec.placementGroupSelector;
      parts.push(placementGroupCondition(sel, await this.deps.placementGroups.resolve(sel)));
    }

    if (this.deps.capacityReservations) parts.push(await this.resolveReservations(nc, status));

    if (cluster) parts.push(await this.validation(nc, status, parts, cluster.problem));

    if (this.deps.pricing) parts.push({ ...(await this.deps.pricing()), informational: true });
    parts.push({ ...fieldsCondition(spec), informational: true });

    const failing = parts.filter((p) => !p.ok && !p.informational);
    const ready = failing.length === 0;
    const message = failing.map((p) => p.message).join("; ");
    const conds: Part[] = [
      ...parts,
      { type: "Ready", ok: ready, reason: ready ? "Ready" : failing[0]!.reason, message },
    ];
    status.conditions = conds.map((p) => condition(p, nc, this.now()));
    return { status, ready, message };
  }

  /**
   * ValidationSucceeded: the cluster must resolve, then (dependencies resolved) EC2 must authorize the launch calls.
   * An inconclusive dry run keeps the condition as it was (True when there was none; logged at warn).
   */
  private async validation(
    nc: EC2NodeClassLike,
    status: EC2NodeClassStatus,
    parts: Part[],
    clusterProblem: string | undefined,
  ): Promise<Part> {
    const type = "ValidationSucceeded";
    if (clusterProblem) return { type, ok: false, reason: "ClusterNotResolved", message: clusterProblem };
    const passed: Part = { type, ok: true, reason: type, message: "" };
    const dependencies = ["SubnetsReady", "SecurityGroupsReady", "AMIsReady", "InstanceProfileReady"];
    if (!this.deps.authorization || !parts.filter((p) => dependencies.includes(p.type)).every((p) => p.ok))
      return passed;
    const verdict = await this.deps.authorization(nc, status);
    if (verdict) return { type, ...verdict };
    const prev = nc.status?.conditions?.find((c) => c.type === type);
    return prev && prev.status === "False" && prev.reason in AUTH_FAILURES
      ? { type, ok: false, reason: prev.reason, message: prev.message ?? "" }
      : passed;
  }

  /**
   * As Karpenter's nodeclass capacityreservation reconciler: the selected reservations sorted by id, the condition
   * True once listed. A failed DescribeCapacityReservations keeps the previous status (Karpenter's reconcile errors
   * and writes nothing); with none before, the condition is False naming the error.
   */
  private async resolveReservations(nc: EC2NodeClassLike, status: EC2NodeClassStatus): Promise<Part> {
    const type = "CapacityReservationsReady";
    try {
      const found = await this.deps.capacityReservations!.list(nc.spec.capacityReservationSelectorTerms ?? []);
      const now = this.now();
      const out = [];
      for (const r of [...found].sort((a, b) =>
        (a.CapacityReservationId ?? "").localeCompare(b.CapacityReservationId ?? ""),
      )) {
        try {
          out.push(reservationFromEC2(r, now));
        } catch (e) {
          this.deps.onInvalidReservation?.((e as Error).message);
        }
      }
      if (out.length) status.capacityReservations = out;
      // The status is merge-patched: a list that was there and is now empty must be removed explicitly.
      else if (nc.status?.capacityReservations !== undefined) status.capacityReservations = null as never;
      return { type, ok: true, reason: type, message: "" };
    } catch (e) {
      const prev = nc.status?.conditions?.find((c) => c.type === type);
      if (nc.status?.capacityReservations) status.capacityReservations = nc.status.capacityReservations;
      if (prev?.status === "True") return { type, ok: true, reason: prev.reason, message: prev.message };
      return { type, ok: false, reason: "CapacityReservationsNotResolved", message: (e as Error).message };
    }
  }
}

function condition(p: Part, nc: EC2NodeClassLike, now: number): Condition {
  const prev = nc.status?.conditions?.find((c) => c.type === p.type);
  const s = p.unknown ? "Unknown" : p.ok ? "True" : "False";
  const c: Condition = {
    type: p.type,
    status: s,
    reason: p.reason,
    message: p.message,
    lastTransitionTime: transitionTime(prev, s, now),
  };
  if (nc.metadata.generation !== undefined) c.observedGeneration = nc.metadata.generation;
  return c;
}
