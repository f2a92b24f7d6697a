// NodeOverlay (karpenter.sh/v1alpha1): adjusts the price of, or adds capacity to, instance types matching its
// requirements. For price the highest-weight matching overlay wins (ties: name order); capacity entries merge,
// higher weight first. Returns new objects; the input catalog is not modified.
import { parseResources } from "../apis/quantity";
import type { InstanceType } from "../cloudprovider/types";
import { offeringMatches, typeIncompatibility } from "./instancetypes";
import { Requirements } from "./requirements";
import type { NodeOverlay } from "./types";

function adjust(price: number, overlay: NodeOverlay): number {
  const { price: abs, priceAdjustment: adj } = overlay.spec;
  if (abs !== undefined) {
    const v = Number(abs);
    if (!Number.isFinite(v) || v < 0)
      throw new Error(
        `NodeOverlay ${overlay.metadata.name}: spec.price "${abs}" must be a non-negative number of $/h, e.g. "0.25"`,
      );
    return v;
  }
  if (adj === undefined) return price;
  const m = /^([+-]?)([0-9]*\.?[0-9]+)(%?)$/.exec(adj.trim());
  if (!m)
    throw new Error(
      `NodeOverlay ${overlay.metadata.name}: spec.priceAdjustment "${adj}" must look like "+10%", "-5%" or "-0.02"`,
    );
  const sign = m[1] === "-" ? -1 : 1;
  const n = Number(m[2]);
  return Math.max(0, m[3] ? price * (1 + (sign * n) / 100) : price + sign * n);
}

export function applyOverlays(types: InstanceType[], overlays: NodeOverlay[] | undefined): InstanceType[] {
  if (!overlays || overlays.length === 0) return types;
  const ordered = [...overlays]
    .map((o) => ({
      o,
      reqs: Requirements.fromNodeSelector(o.spec.requirements, `NodeOverlay ${o.metadata.name} spec.requirements`),
      cap: parseResources(o.spec.capacity, `NodeOverlay ${o.metadata.name} spec.capacity`),
    }))
    .sort(
      (a, b) =>
        (b.o.spec.weight ?? 0) - (a.o.spec.weight ?? 0) ||
        ((a.o.metadata.name ?? "") < (b.o.metadata.name ?? "") ? -1 : 1),
    );
  return types.map((it) => {
    const matching = ordered.filter((x) => typeIncompatibility(it, x.reqs) === undefined);
    if (matching.length === 0) return it;
    const capacity = { ...it.capacity };
    const allocatable = { ...it.allocatable };
    const done = new Set<string>();
    for (const m of matching)
      for (const [k, v] of Object.entries(m.cap)) {
        if (done.has(k)) continue;
        done.add(k);
        capacity[k] = v;
        allocatable[k] = v;
      }
    const pricing = matching.filter((m) => m.o.spec.price !== undefined || m.o.spec.priceAdjustment !== undefined);
    const offerings = it.offerings.map((off) => {
      const m = pricing.find((x) => offeringMatches({ ...off, available: true }, x.reqs));
      return m ? { ...off, price: adjust(off.price, m.o) } : off;
    });
    return { ...it, capacity, allocatable, offerings };
  });
}
