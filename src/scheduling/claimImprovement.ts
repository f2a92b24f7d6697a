// After first-fit-decreasing: split claims that just overflowed a size boundary, then merge the least-loaded
// claims into others (improve.ts) whenever the fleet's $/h drops. Only "free" pods move (no topology, port or
// affinity decision depends on them).
import { addResources, fits, subtractResources, type ResourceMap } from "../apis/quantity";
import type { Requirements } from "../apis/requirements";
import type { InstanceType } from "../cloudprovider/types";
import { improve, isMovable } from "./improve";
import { minValuesViolation } from "./instancetypes";
import { ClaimTarget, sameHoldings } from "./nodeClaim";
import type { SolveContext } from "./solveContext";
import { hasClaimVolumes } from "./volumes";
import type { Pod } from "./types";

/**
 * Pods that can move between planned claims without changing any topology, port, affinity or volume decision (a
 * claim's zone may be the one its pods' volumes need).
 */
function isFree(p: Pod, ctx: SolveContext): boolean {
  return (
    isMovable(p) &&
    !hasClaimVolumes(p) &&
    ctx.topology.groupsSelecting(p).length === 0 &&
    ctx.topology.inverseSelecting(p).length === 0
  );
}

/**
 * Splitting improvement: a claim that just overflowed a size boundary (e.g. 65 vCPU on a 96-vCPU type) is often
 * cheaper as a smaller type plus a small claim for its smallest pods. Tries spilling 1..50 smallest free pods.
 * Returns the new claim (named by `nextName`), or undefined when no split is cheaper.
 */
export function spill(cl: ClaimTarget, ctx: SolveContext, nextName: () => string): ClaimTarget | undefined {
  if (cl.pods.length < 2) return undefined;
  const rm = ctx.reservations;
  // A split never touches reservations: neither the kept claim nor the new one may hold (or want) a slot.
  if (rm.held(cl.name).length) return undefined;
  const reservesNone = (types: InstanceType[]): boolean =>
    rm.empty || sameHoldings(rm.toReserve(`${cl.name}/split`, types, cl.reqs), []);
  const compat = cl.template.compatibleTypes(cl.reqs);
  if (typeof compat === "string") return undefined;
  const table = ctx.priceTable(cl.reqs);
  const limits = cl.template.limits;
  // The kept claim may not reserve more than it already does; the new one must fit the remaining limits.
  const limited = limits ? Object.keys(limits).filter((k) => k !== "nodes") : [];
  const own = cl.reserved;
  const withinOwn = (t: InstanceType): boolean => limited.every((k) => (t.capacity[k] ?? 0) <= (own[k] ?? 0));
  const cheapestFit = (req: ResourceMap, isNew: boolean): { types: InstanceType[]; price: number } => {
    const types = compat.filter(
      (t) => fits(req, t.allocatable) && (isNew ? cl.template.withinLimits(t) : withinOwn(t)),
    );
    let price = Infinity;
    for (const t of types) price = Math.min(price, ctx.typePrice(t, cl.reqs, table));
    return { types, price };
  };
  const req = (p: Pod): ResourceMap => ctx.requestsOf(p);
  const free = cl.pods
    .filter((p) => isFree(p, ctx))
    .sort((a, b) => (req(a).cpu ?? 0) - (req(b).cpu ?? 0) || (req(a).memory ?? 0) - (req(b).memory ?? 0));
  let spilled: ResourceMap = {};
  for (let k = 1; k <= Math.min(50, free.length, cl.pods.length - 1); k++) {
    spilled = addResources(spilled, req(free[k - 1]!));
    const keep = cheapestFit(subtractResources(cl.requests, spilled), false);
    if (keep.price >= cl.price - 1e-9) continue;
    const out = cheapestFit(addResources(cl.template.daemonOverhead, spilled), true);
    if (keep.price + out.price >= cl.price - 1e-9) continue;
    if (minValuesViolation(keep.types, cl.reqs) || minValuesViolation(out.types, cl.reqs)) continue;
    if (!reservesNone(keep.types) || !reservesNone(out.types)) continue;
    const moved = new Set(free.slice(0, k));
    const nc = new ClaimTarget(nextName(), cl.template, cl.reqs.clone(), out.types);
    nc.requests = addResources(cl.template.daemonOverhead, spilled);
    nc.pods.push(...moved);
    nc.price = out.price;
    nc.unitCap = cl.unitCap;
    nc.refreshMax(true);
    nc.updateReserved();
    const kept = cl.pods.filter((p) => !moved.has(p));
    cl.pods.length = 0;
    cl.pods.push(...kept);
    cl.requests = subtractResources(cl.requests, spilled);
    cl.options = keep.types;
    cl.price = keep.price;
    cl.refreshMax(true);
    cl.updateReserved();
    return nc;
  }
  return undefined;
}

interface ClaimState {
  reqs: Requirements;
  options: InstanceType[];
  requests: ResourceMap;
  pods: Pod[];
  price: number;
}

/** Empties the least-loaded claims into others of the same NodePool when that lowers the total $/h. */
export function mergeClaims(claims: ClaimTarget[], ctx: SolveContext): void {
  improve(
    claims,
    {
      price: (c) => c.price,
      tryAdd: (c, p) => c.addFree(p, ctx),
      load: (c) => {
        let r: ResourceMap = {};
        for (const p of c.pods) r = addResources(r, ctx.requestsOf(p));
        return r;
      },
      spare: (c) => subtractResources(c.maxAlloc, c.requests),
      group: (c) => c.template,
      save: (c): ClaimState => ({
        reqs: c.reqs,
        options: c.options,
        requests: c.requests,
        pods: [...c.pods],
        price: c.price,
      }),
      restore: (c, st) => {
        const s = st as ClaimState;
        c.reqs = s.reqs;
        c.options = s.options;
        c.requests = s.requests;
        c.price = s.price;
        c.pods.length = 0;
        c.pods.push(...s.pods);
        c.refreshMax(true);
        c.updateReserved();
      },
    },
    undefined,
    (p) => isFree(p, ctx),
  );
}
