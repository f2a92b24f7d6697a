// A pod as one solve attempt sees it (after any preference relaxation): its node requirements, requests, host
// ports and the topology groups it owns or is counted by.
import { Requirements } from "../apis/requirements";
import type { ResourceMap } from "../apis/quantity";
import { podHostPorts, podKey, type HostPort } from "./pods";
import type { PodTopology, Topology, TopologyGroup } from "./topology";
import type { Pod } from "./types";

export interface PodCtx {
  pod: Pod;
  key: string;
  requests: ResourceMap;
  ports: readonly HostPort[];
  reqs: Requirements;
  reqsKey: string;
  pt: PodTopology;
  topoKeys: string[];
  /** Keys of the pod's own anti-affinity groups (fast reject on planned NodeClaims). */
  antiKeys: string[];
  selecting: TopologyGroup[];
  /** Node requirements the pod's volumes allow, any one of them (undefined: unconstrained). Never in `reqs`: topology
   * spread counts domains by the pod's own affinity, as Karpenter keeps volume requirements out of it. */
  volumeAlts?: Requirements[];
  /** The pod's claims per CSI driver (attach limits). */
  volumes?: Map<string, Set<string>>;
}

/** What the pod's volumes mean for placement (computed once per pod from the solve's VolumeSources). */
export interface PodVolumes {
  alts?: Requirements[];
  usage: Map<string, Set<string>>;
}

/** Node requirements of a pod: nodeSelector, first required node-affinity term, heaviest preferred term. */
export function podRequirements(pod: Pod, strict = false): Requirements {
  const f = `pod ${podKey(pod)}`;
  const r = Requirements.fromLabels(pod.spec.nodeSelector);
  const na = pod.spec.affinity?.nodeAffinity;
  const pref = [...(na?.preferredDuringSchedulingIgnoredDuringExecution ?? [])].sort((a, b) => b.weight - a.weight)[0];
  // strict: what the pod requires, without its preferences (Karpenter's NewStrictPodRequirements).
  if (pref && !strict)
    r.addAll(Requirements.fromNodeSelector(pref.preference.matchExpressions, `${f} preferred node affinity`));
  const term = na?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0];
  if (term)
    r.addAll(
      Requirements.fromNodeSelector(
        term.matchExpressions,
        `${f} spec.affinity.nodeAffinity.required.nodeSelectorTerms[0]`,
      ),
    );
  return r;
}

export function compilePod(pod: Pod, requests: ResourceMap, topology: Topology, vol?: PodVolumes): PodCtx {
  const reqs = podRequirements(pod);
  const pt = topology.podTopology(pod);
  const keys = new Set<string>(pt.owned.map((g) => g.key));
  for (const g of topology.inverseSelecting(pod)) keys.add(g.key);
  const selecting = topology.groupsSelecting(pod);
  for (const g of selecting) keys.add(g.key);
  const antiKeys = [...new Set(pt.owned.filter((g) => g.type === "antiAffinity").map((g) => g.key))].sort();
  return {
    pod,
    key: podKey(pod),
    requests,
    ports: podHostPorts(pod),
    reqs,
    reqsKey: reqs.toString(),
    pt,
    topoKeys: [...keys].sort(),
    antiKeys,
    selecting,
    volumeAlts: vol?.alts,
    volumes: vol?.usage.size ? vol.usage : undefined,
  };
}
