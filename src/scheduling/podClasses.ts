// Classes of pods that a solve treats alike, as small integers memoised per pod object across solves: the cluster
// state replaces a pod's object on every change and nothing mutates one in place, so a batch re-solving a backlog
// of thousands of pods serialises each pod once, not per batch. A class is an id, not the serialised string:
// looking a replica's multi-KB string up in a Map compared it with an equal string character by character, per
// pending pod per batch. Equal strings get one id while the intern table holds them; ids are never reused, so
// once the (bounded) table is cleared equal pods may get distinct ids: they are then merged less, never wrongly.
import type { Pod } from "./types";

const MAX_INTERNED = 50_000;
const ids = new Map<string, number>();
let nextId = 0;

/** Empties the intern table, as reaching its bound does (tests: results must not depend on it). */
export function forgetInternedClasses(): void {
  ids.clear();
}

function intern(key: string): number {
  let id = ids.get(key);
  if (id === undefined) {
    if (ids.size >= MAX_INTERNED) ids.clear();
    ids.set(key, (id = nextId++));
  }
  return id;
}

/** A class per pod object, computed once by `key` (null: the pod has none). */
function memoised(key: (p: Pod) => string | null): (p: Pod) => number | undefined {
  const byPod = new WeakMap<Pod, number | null>();
  return (p) => {
    let id = byPod.get(p);
    if (id === undefined) {
      const k = key(p);
      byPod.set(p, (id = k === null ? null : intern(k)));
    }
    return id ?? undefined;
  };
}

const equivalence = memoised((p) => {
  // A generic ephemeral volume's claim is named after its pod, so such pods are never equivalent.
  const own = (p.spec as { volumes?: Array<{ ephemeral?: unknown }> }).volumes?.some((v) => v.ephemeral);
  return JSON.stringify([
    "eq",
    p.metadata.namespace ?? "",
    own ? p.metadata.name : "",
    p.metadata.labels ?? null,
    { ...p.spec, nodeName: undefined },
  ]);
});

/** Everything a placement check reads from a pod: equal for the replicas of one template. */
export const equivalenceClass = (p: Pod): number => equivalence(p)!;

type PodVolumeRef = { name: string; persistentVolumeClaim?: { claimName: string }; ephemeral?: unknown };

const zone = memoised((p) => {
  const s = p.spec;
  return JSON.stringify([
    "zone",
    p.metadata.namespace ?? "",
    p.metadata.labels ?? null,
    s.nodeSelector ?? null,
    s.affinity ?? null,
    s.topologySpreadConstraints ?? null,
    s.tolerations ?? null,
    // Claims only (the zones come from them); a generic ephemeral volume's claim is named after the pod.
    ((s as { volumes?: PodVolumeRef[] }).volumes ?? []).map((v) =>
      v.persistentVolumeClaim ? v.persistentVolumeClaim.claimName : v.ephemeral ? `${p.metadata.name}-${v.name}` : "",
    ),
  ]);
});

/**
 * What effectiveZone reads from a pod: its namespace and labels (topology groups), node selector, affinity, spread
 * constraints, tolerations and volumes. Narrower than the equivalence class, which serialises the whole spec, so
 * counting every pending pod reads only fields the trimmed cluster state keeps.
 */
export const zoneClass = (p: Pod): number => zone(p)!;

/**
 * What Topology.podTopology reads from a pod (namespace, labels, its terms, and the node affinity and tolerations
 * a spread's node filter reads); undefined when it has no terms.
 */
export const topologyClass = memoised((p) => {
  const spread = p.spec.topologySpreadConstraints;
  const aff = p.spec.affinity;
  if (!spread?.length && !aff?.podAffinity && !aff?.podAntiAffinity) return null;
  return JSON.stringify([
    "topology",
    p.metadata.namespace ?? "",
    p.metadata.labels ?? null,
    spread ?? null,
    aff ?? null,
    p.spec.nodeSelector ?? null,
    p.spec.tolerations ?? null,
  ]);
});

const selector = memoised((p) =>
  JSON.stringify(["selector", p.metadata.namespace ?? "default", p.metadata.labels ?? {}]),
);

/** What TopologyGroup.selects reads from a pod: its namespace and labels. */
export const selectorClass = (p: Pod): number => selector(p)!;
