// A NodeClaim this solve plans (Karpenter scheduling/nodeclaim.go): it starts from a NodeClaimTemplate and one
// pod, keeps every instance type that still fits all its pods and requirements, and takes further pods while
// some option fits, the topology allows it and growing stays cost-efficient. The cheapest option is launched.
import * as L from "../apis/labels";
import { addResources, fits, formatResources, subtractResources, type ResourceMap } from "../apis/quantity";
import { Requirement, Requirements } from "../apis/requirements";
import type { InstanceType } from "../cloudprovider/types";
import {
  cheapestOffering,
  minValuesViolation,
  offeringMatchesReq,
  offeringReqs,
  relaxMinValues,
  truncate,
  typeIncompatibility,
} from "./instancetypes";
import type { NodeClaimTemplate } from "./nodeClaimTemplate";
import { podRequirements, type PodCtx } from "./podContext";
import { hostPortsConflict, untoleratedTaint, type HostPort } from "./pods";
import {
  fitting,
  growthCap,
  maxAllocatable,
  maxCapacity,
  offeredByPrice,
  unitPrice,
  type SolveContext,
} from "./solveContext";
import type { NewNodeClaim, Pod } from "./types";
import type { ReservationManager } from "./reservations";

/** A placement under evaluation: the claim's name (its hostname) and the options left. */
interface Tentative {
  name: string;
  options: InstanceType[];
  universe: InstanceType[];
}

export class ClaimTarget {
  readonly pods: Pod[] = [];
  ports: HostPort[];
  requests: ResourceMap;
  private reservedNow: ResourceMap = {};
  /** Cheapest option's price now, and the $/unit above which the claim may not grow (cost-aware packing). */
  price = 0;
  unitCap = Infinity;
  /** MinValuesPolicy BestEffort lowered some minValues when the claim opened (its NodeClaim is annotated so). */
  minValuesRelaxed = false;
  private maxFor?: InstanceType[];
  /** The options `reserved` was computed from. */
  private reservedFor?: InstanceType[];
  private maxForLen = 0;

  constructor(
    readonly name: string,
    readonly template: NodeClaimTemplate,
    public reqs: Requirements,
    public options: InstanceType[],
  ) {
    this.requests = { ...template.daemonOverhead };
    this.ports = [...template.daemonPorts];
    // The template's types bound the options (their max is cached across solves) until the options shrink.
    this.maxFor = template.types;
    this.maxForLen = template.types.length;
    this.refreshMax();
  }

  /**
   * A new claim from the template for the pod, or why the pool cannot take it. `name` is the claim's name if it
   * opens (also its hostname domain).
   */
  static open(tpl: NodeClaimTemplate, c: PodCtx, ctx: SolveContext, name: string): ClaimTarget | string {
    const taint = untoleratedTaint(tpl.taints, c.pod.spec.tolerations);
    if (taint)
      return `the pod does not tolerate taint ${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect} (add a toleration or use another NodePool)`;
    const incompatible = tpl.requirements.compatible(c.reqs);
    if (incompatible) return incompatible;
    if (c.ports.some((p) => tpl.daemonPorts.some((q) => hostPortsConflict(p, q))))
      return `host port ${c.ports.map((p) => p.port).join(",")} conflicts with a daemonset on every new node`;
    const base = tpl.requirements.clone().addAll(c.reqs);
    return withVolumeAlternatives(base, c.volumeAlts, (reqs) => ClaimTarget.openWith(tpl, c, ctx, name, reqs));
  }

  private static openWith(
    tpl: NodeClaimTemplate,
    c: PodCtx,
    ctx: SolveContext,
    name: string,
    reqs: Requirements,
  ): ClaimTarget | string {
    const compat = tpl.compatibleTypes(reqs);
    if (typeof compat === "string") return compat;
    const requests = addResources(tpl.daemonOverhead, c.requests);
    let options = fitting(compat, requests);
    if (options.length === 0) {
      const biggest = compat.reduce((m, t) => (t.allocatable.cpu! > m.allocatable.cpu! ? t : m), compat[0]!);
      return `no instance type has enough allocatable for requests ${fmtRes(c.requests)} plus daemonset overhead ${fmtRes(tpl.daemonOverhead)} (largest compatible: ${biggest.name} with ${fmtRes(biggest.allocatable)})`;
    }
    const beforeLimits = options.length;
    if (tpl.limits && !tpl.withinLimitsAll(options)) options = options.filter((t) => tpl.withinLimits(t));
    if (options.length === 0)
      return `NodePool limits exceeded (${beforeLimits} instance types would fit, remaining ${fmtRes(tpl.limitedRemaining())}); raise spec.limits or free capacity`;
    const tentative = { name, options, universe: tpl.types };
    const topo = applyTopology(tentative, reqs, c, ctx);
    if (topo) return topo;
    if (tentative.options.length === 0) return "no instance type offers the zone/capacity type chosen for topology";
    // Only a new claim relaxes minValues (BestEffort), to what its options offer, as Karpenter's addToNewNodeClaim;
    // pods added later keep to the (relaxed) minValues it opened with.
    const mv = minValuesViolation(tentative.options, reqs);
    if (mv && ctx.strictMinValues) return mv;
    const relaxed = mv !== undefined && relaxMinValues(tentative.options, reqs);
    // Last, as Karpenter's offeringsToReserve: the slots of every compatible reservation with room (strict mode:
    // none with room, though one is compatible, is a ReservedOfferingError).
    const reserve = ctx.reservations.toReserve(name, tentative.options, reqs);
    if (typeof reserve === "string") return reserve;
    const cl = new ClaimTarget(name, tpl, reqs, tentative.options);
    cl.minValuesRelaxed = relaxed;
    cl.unitCap = growthCap(compat, reqs, ctx);
    cl.commit(reqs, tentative.options, requests, c, ctx);
    ctx.reservations.hold(name, reserve);
    return cl;
  }

  /**
   * maxAlloc is an upper bound used for quick rejection. Options only shrink, so a stale bound stays valid;
   * recompute only when the options shrank noticeably (or when forced after a failed fit).
   */
  refreshMax(force = false): void {
    if (this.maxFor === this.options) return;
    if (!force && this.maxFor && this.options.length > 0.8 * this.maxForLen) return;
    this.maxFor = this.options;
    this.maxForLen = this.options.length;
  }

  /** Upper bound of what the claim's options can hold (computed when first asked: small solves never ask). */
  get maxAlloc(): ResourceMap {
    return maxAllocatable(this.maxFor ?? this.options);
  }

  domain(key: string): string | undefined {
    if (key === L.LabelHostname) return this.name;
    const r = this.reqs.get(key);
    return r && !r.complement && r.values.size === 1 ? [...r.values][0] : undefined;
  }

  /** Adds the pod if the claim can take it; returns undefined on success or why not. */
  add(c: PodCtx, ctx: SolveContext): string | undefined {
    const tpl = this.template;
    // A pod with hostname (or pinned-zone) anti-affinity rejects most planned claims; say so before costlier checks.
    for (const k of c.antiKeys) {
      const d = this.domain(k);
      if (d !== undefined && ctx.topology.antiBlocks(c.pt, k, d))
        return `pod anti-affinity on ${k}: ${d} already runs a matching pod`;
    }
    const requests = addResources(this.requests, c.requests);
    if (!fits(requests, this.maxAlloc)) return "insufficient resources";
    if (untoleratedTaint(tpl.taints, c.pod.spec.tolerations)) return "taint not tolerated";
    const incompatible = this.reqs.compatible(c.reqs);
    if (incompatible) return incompatible;
    if (c.ports.some((p) => this.ports.some((q) => hostPortsConflict(p, q)))) return "host port conflict";
    // Cheap topology pre-check on domains the claim already has fixed (hostname, pinned zone...).
    for (const k of c.topoKeys) {
      const d = this.domain(k);
      let cands: string[];
      if (d !== undefined) cands = [d];
      else if (k === L.LabelTopologyZone || k === L.LabelCapacityType)
        cands = ctx.offeredDomains(this.options, k, this.reqs, tpl.types);
      else continue;
      const a = ctx.topology.allowed(c.pod, c.pt, k, cands, (v) => c.reqs.get(k)?.has(v) ?? true);
      if ("reason" in a) return a.reason;
      if (a.domains.length === 0) return `no ${k} domain left`;
    }
    const base = this.reqs.clone().addAll(c.reqs);
    return withVolumeAlternatives(base, c.volumeAlts, (reqs) => this.addWith(c, ctx, reqs, requests));
  }

  private addWith(c: PodCtx, ctx: SolveContext, reqs: Requirements, requests: ResourceMap): string | undefined {
    const tpl = this.template;
    // Unchanged options keep their identity (and what is cached on it); most pods fit every option.
    let options = this.options;
    if (!options.every((t) => fits(requests, t.allocatable)))
      options = options.filter((t) => fits(requests, t.allocatable));
    if (options.length === 0) {
      this.refreshMax(true);
      return "no instance type fits";
    }
    if (c.reqs.size > 0 || c.volumeAlts) options = options.filter((t) => typeIncompatibility(t, reqs) === undefined);
    if (options.length === 0) return "no instance type fits";
    const tentative = { name: this.name, options, universe: tpl.types };
    const topo = applyTopology(tentative, reqs, c, ctx);
    if (topo) return topo;
    if (tentative.options.length === 0) return "no instance type fits";
    const mv = minValuesViolation(tentative.options, reqs);
    if (mv) return mv;
    const cheapest = ctx.cheapestOf(tentative.options, reqs);
    if (cheapest.price > this.price + 1e-12 && unitPrice(cheapest.type, cheapest.price) > this.unitCap)
      return "growing this NodeClaim would need a cost-inefficient instance type";
    // The pod may narrow the claim off the reservations it holds (released) or onto ones with room; strict mode
    // refuses a pod that would leave it none.
    const reserve = ctx.reservations.toReserve(this.name, tentative.options, reqs);
    if (typeof reserve === "string") return reserve;
    this.commit(reqs, tentative.options, requests, c, ctx);
    ctx.reservations.hold(this.name, reserve);
    return undefined;
  }

  /** Adds a (constraint-free) pod if some remaining option still fits; used by the improvement pass. */
  addFree(p: Pod, ctx: SolveContext): boolean {
    const requests = addResources(this.requests, ctx.requestsOf(p));
    if (!fits(requests, this.maxAlloc)) return false;
    if (untoleratedTaint(this.template.taints, p.spec.tolerations)) return false;
    const pr = podRequirements(p);
    if (this.reqs.compatible(pr) !== undefined) return false;
    const reqs = pr.size ? this.reqs.clone().addAll(pr) : this.reqs;
    let options = this.options.filter((t) => fits(requests, t.allocatable));
    if (pr.size) options = options.filter((t) => typeIncompatibility(t, reqs) === undefined);
    if (options.length === 0 || minValuesViolation(options, reqs)) return false;
    // Cost moves never change which reservations a claim holds: they were handed out in packing order, and a
    // merge attempt's rollback restores options, not slots.
    if (
      !ctx.reservations.empty &&
      !sameHoldings(ctx.reservations.toReserve(this.name, options, reqs), ctx.reservations.held(this.name))
    )
      return false;
    this.reqs = reqs;
    this.options = options;
    this.requests = requests;
    this.pods.push(p);
    this.refreshMax();
    this.price = ctx.cheapestOf(options, reqs).price;
    this.updateReserved();
    return true;
  }

  private commit(
    reqs: Requirements,
    options: InstanceType[],
    requests: ResourceMap,
    c: PodCtx,
    ctx: SolveContext,
  ): void {
    this.reqs = reqs;
    this.options = options;
    this.requests = requests;
    this.ports.push(...c.ports);
    this.pods.push(c.pod);
    this.refreshMax();
    this.price = ctx.cheapestOf(options, reqs).price;
    this.updateReserved();
    ctx.topology.record(
      {
        pod: c.pod,
        domain: (k) => this.domain(k),
        taints: this.template.taints,
        satisfies: (r) => this.reqs.compatible(r) === undefined,
      },
      c.pt,
    );
  }

  /** NodePool limits: a planned claim reserves the largest capacity among its options (Karpenter's worst case). */
  get reserved(): ResourceMap {
    void this.template.remaining; // settles a pending recount
    return this.reservedNow;
  }

  /** Call after the options changed. */
  updateReserved(): void {
    this.template.reservationChanged(this);
  }

  settleReserved(): void {
    const tpl = this.template;
    if (!tpl.limits || this.reservedFor === this.options) return;
    this.reservedFor = this.options;
    const reserved: ResourceMap = { nodes: 1 };
    const most = maxCapacity(this.options);
    for (const k in tpl.limits) if (k !== "nodes") reserved[k] = Math.max(0, most[k] ?? 0);
    tpl.remaining = subtractResources(addResources(tpl.remaining!, this.reservedNow), reserved);
    this.reservedNow = reserved;
  }

  /**
   * The NodeClaim to create, priced in the capacity type a launch would use (Karpenter's order): reserved when it
   * holds a slot of a compatible reservation (then pinned to `reserved` and those reservation ids, as Karpenter's
   * FinalizeScheduling), else spot when allowed and offered, else on-demand (reserved when that is all it allows).
   */
  toNewNodeClaim(maxTypes: number, reservations?: ReservationManager): NewNodeClaim {
    const held = reservations?.held(this.name) ?? [];
    const allowed = this.reqs.get(L.LabelCapacityType);
    const ct = held.length
      ? L.CapacityTypeReserved
      : offersCapacityType(this.options, this.reqs, L.CapacityTypeSpot)
        ? L.CapacityTypeSpot
        : !allowed || allowed.has(L.CapacityTypeOnDemand)
          ? L.CapacityTypeOnDemand
          : L.CapacityTypeReserved;
    const pinned = this.reqs.clone();
    if (held.length) {
      pinned.add(Requirement.in(L.LabelCapacityType, L.CapacityTypeReserved));
      pinned.add(Requirement.in(L.LabelCapacityReservationID, ...held));
    }
    const priced = new Requirements(this.reqs.values()).add(Requirement.in(L.LabelCapacityType, ct));
    if (held.length) priced.add(Requirement.in(L.LabelCapacityReservationID, ...held));
    const sorted = offeredByPrice(this.options, priced, this.template.types);
    const options = truncate(sorted, this.reqs, maxTypes);
    const cheapest = options[0]!;
    const offering = cheapestOffering(cheapest, priced)!;
    const reqs = pinned.add(Requirement.in(L.LabelInstanceType, ...options.map((t) => t.name)));
    const zoneReq = this.reqs.get(L.LabelTopologyZone);
    const zone = zoneReq && !zoneReq.complement && zoneReq.values.size === 1 ? [...zoneReq.values][0] : undefined;
    const tpl = this.template;
    return {
      name: this.name,
      nodePool: tpl.name,
      nodeClassRef: tpl.nodePool.spec.template.spec.nodeClassRef,
      requirements: reqs.toNodeSelector(),
      labels: { ...tpl.labels, ...this.reqs.singleValueLabels() },
      taints: tpl.taints,
      startupTaints: tpl.startupTaints,
      instanceTypeOptions: options,
      instanceType: cheapest.name,
      capacityType: ct,
      zone,
      pricePerHour: offering.price,
      minValuesRelaxed: this.minValuesRelaxed,
      requests: this.requests,
      daemonOverhead: tpl.daemonOverhead,
      pods: [...this.pods],
    };
  }
}

/** toReserve's answer holds exactly the reservations `held` (an error never does). */
export function sameHoldings(planned: string[] | string, held: string[]): boolean {
  return Array.isArray(planned) && planned.length === held.length && planned.every((id, i) => id === held[i]);
}

/**
 * Karpenter's tryVolumeAlternative: without volume topology one attempt on `base`; else each alternative of the
 * pod's volume topology (a PV's OR'd terms, a StorageClass's allowed topologies) in turn, the first to succeed
 * wins, else the last reason. `attempt` returns a reason (string) when it fails, anything else on success.
 */
function withVolumeAlternatives<T>(
  base: Requirements,
  alts: Requirements[] | undefined,
  attempt: (reqs: Requirements) => T | string,
): T | string {
  if (!alts) return attempt(base);
  let why = "";
  for (const alt of alts) {
    const bad = base.compatible(alt);
    if (bad) {
      why = `incompatible volume requirements, ${bad}`;
      continue;
    }
    const r = attempt(base.clone().addAll(alt));
    if (typeof r !== "string") return r;
    why = r;
  }
  return why;
}

/** Whether some type has an available offering of capacity type `ct` within reqs' zones and capacity types. */
function offersCapacityType(types: InstanceType[], reqs: Requirements, ct: string): boolean {
  const q = offeringReqs(reqs);
  for (const t of types)
    for (const o of t.offerings) if (o.capacityType === ct && offeringMatchesReq(o, q)) return true;
  return false;
}

/** Candidate domains a planned NodeClaim can still take for a topology key. */
function claimDomains(cl: Tentative, reqs: Requirements, key: string, ctx: SolveContext): string[] | undefined {
  if (key === L.LabelHostname) return [cl.name];
  const r = reqs.get(key);
  // Options are always kept consistent with reqs, so a pinned value is offered by some option.
  if (r && !r.complement && r.values.size === 1) return [...r.values];
  if (key === L.LabelTopologyZone || key === L.LabelCapacityType)
    return ctx.offeredDomains(cl.options, key, reqs, cl.universe);
  if (!r) return undefined;
  if (!r.complement) return r.sortedValues();
  return [...(ctx.topology.domains.get(key) ?? [])].filter((v) => r.has(v)).sort();
}

/** Applies topology to a (tentative) claim: narrows reqs by pinning domains. Returns a reason on failure. */
function applyTopology(cl: Tentative, reqs: Requirements, c: PodCtx, ctx: SolveContext): string | undefined {
  for (const k of c.topoKeys) {
    const cands = claimDomains(cl, reqs, k, ctx);
    if (cands === undefined) {
      if (c.pt.owned.some((g) => g.key === k && g.type !== "antiAffinity")) return `NodeClaim would have no ${k} label`;
      continue;
    }
    const a = ctx.topology.allowed(c.pod, c.pt, k, cands, (v) => c.reqs.get(k)?.has(v) ?? true);
    if ("reason" in a) return a.reason;
    if (a.domains.length === 0) return `no ${k} domain left`;
    if (k !== L.LabelHostname) {
      const pick = ctx.topology.rank(c.pt, k, a.domains, c.selecting)[0]!;
      reqs.add(Requirement.in(k, pick));
      if (k === L.LabelTopologyZone || k === L.LabelCapacityType) {
        const tbl = ctx.priceTable(reqs);
        cl.options = cl.options.filter((t) => ctx.typePrice(t, reqs, tbl) < Infinity);
      }
    }
  }
  return undefined;
}

function fmtRes(r: ResourceMap): string {
  return Object.entries(formatResources(r))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
