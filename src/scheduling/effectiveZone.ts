// Karpenter's computeEffectiveZoneFromPod (karpenter_scheduler_pending_pods_by_effective_zone_count): the zone a
// pending pod can go to, intersecting what it requires (nodeSelector / required node affinity), its volumes' zones
// and the zones its own zonal topology constraints allow now. One zone: its name; several: "flexible"; none:
// "none". Computed at the start of a solve, before any pod of the batch is placed.
import { LabelTopologyZone } from "../apis/labels";
import type { Requirement } from "../apis/requirements";
import { podRequirements, type PodVolumes } from "./podContext";
import type { Topology } from "./topology";
import type { Pod } from "./types";

export function effectiveZone(pod: Pod, vol: PodVolumes | undefined, topology: Topology): string {
  const tsc = topologyZones(pod, topology);
  if (tsc === null) return "none";
  const required = podRequirements(pod, true).get(LabelTopologyZone);
  const volume = volumeZones(vol);
  const zonal =
    required?.operator() === "In" ? required.sortedValues() : (volume ?? (tsc?.size ? [...tsc].sort() : undefined));
  if (!zonal) return "flexible";
  let match: string | undefined;
  for (const z of zonal) {
    if (required && !required.has(z)) continue;
    if (volume && !volume.includes(z)) continue;
    if (tsc?.size && !tsc.has(z)) continue;
    if (match !== undefined) return "flexible";
    match = z;
  }
  return match ?? "none";
}

/** The union of the zones the pod's volume alternatives allow; undefined when any of them leaves the zone open. */
function volumeZones(vol: PodVolumes | undefined): string[] | undefined {
  if (!vol?.alts?.length) return undefined;
  const zones = new Set<string>();
  for (const alt of vol.alts) {
    const r: Requirement | undefined = alt.get(LabelTopologyZone);
    if (r?.operator() !== "In") return undefined;
    for (const z of r.values) zones.add(z);
  }
  return [...zones];
}

/**
 * The zones the pod's own zonal topology groups (spread, pod (anti-)affinity) allow: undefined when it has none,
 * null when they allow no zone at all (Karpenter's GetTopologyZoneConstraints).
 */
function topologyZones(pod: Pod, topology: Topology): Set<string> | undefined | null {
  const pt = topology.podTopology(pod);
  if (!pt.owned.some((g) => g.key === LabelTopologyZone)) return undefined;
  const reqs = podRequirements(pod).get(LabelTopologyZone);
  const candidates = [...(topology.domains.get(LabelTopologyZone) ?? [])].filter((z) => reqs?.has(z) ?? true);
  const a = topology.allowed(pod, pt, LabelTopologyZone, candidates, (z) => reqs?.has(z) ?? true);
  return "reason" in a ? null : new Set(a.domains);
}
