// Karpenter AWS v1.14's instance-type compatibility checks that depend on the EC2NodeClass beyond the AMI family:
// `cpuOptions.nestedVirtualization: enabled` keeps only types whose ProcessorInfo.SupportedFeatures list
// "nested-virtualization"; a resolved placement group keeps only types whose PlacementGroupInfo supports its
// strategy, and labels them with the group's id and partitions (Karpenter's placement-group type requirements).
import type { InstanceType } from "./catalog";
import type { RawInstanceType } from "./catalog/raw";
import type { PlacementGroup } from "./placementGroups";
import { LabelPlacementGroupID } from "../../apis/labels";

export interface CompatibilityOptions {
  nestedVirtualization?: string;
  placementGroup?: PlacementGroup;
}

/** What a shape supports, from DescribeInstanceTypes (or the embedded snapshot). */
export function supportsNestedVirtualization(shape: RawInstanceType | undefined): boolean {
  return shape?.nvt === 1;
}

export function supportsPlacementStrategy(shape: RawInstanceType | undefined, strategy: string): boolean {
  if (!shape) return false;
  return (shape.pgs ?? ["cluster", "partition", "spread"]).includes(strategy);
}

/** Karpenter's placement-group requirements of a type: the group's id; a partition group's partitions 1..N. */
function inGroup(t: InstanceType, pg: PlacementGroup): InstanceType {
  const out: InstanceType = { ...t, labels: { ...t.labels, [LabelPlacementGroupID]: pg.id } };
  if (pg.strategy === "partition" && pg.partitionCount > 0)
    out.partitions = Array.from({ length: pg.partitionCount }, (_, i) => String(i + 1));
  return out;
}

const cache = new WeakMap<InstanceType[], Map<string, InstanceType[]>>();

/** The types the class can launch; the same input arrays give the same output array (callers cache by identity). */
export function compatibleInstanceTypes(
  types: InstanceType[],
  shapes: RawInstanceType[],
  opts: CompatibilityOptions,
): InstanceType[] {
  const nested = opts.nestedVirtualization === "enabled";
  const pg = opts.placementGroup;
  if (!nested && !pg) return types;
  const key = JSON.stringify([nested, pg?.id ?? "", pg?.strategy ?? "", shapes.length]);
  let m = cache.get(types);
  if (!m) cache.set(types, (m = new Map()));
  const hit = m.get(key);
  if (hit) return hit;
  const byName = new Map(shapes.map((s) => [s.n, s]));
  const out: InstanceType[] = [];
  for (const t of types) {
    const shape = byName.get(t.name);
    if (nested && !supportsNestedVirtualization(shape)) continue;
    if (pg && !supportsPlacementStrategy(shape, pg.strategy)) continue;
    out.push(pg ? inGroup(t, pg) : t);
  }
  if (m.size > 16) m.clear();
  m.set(key, out);
  return out;
}
