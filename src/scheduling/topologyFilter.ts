// Which nodes a topology spread constraint counts (Karpenter topologynodefilter.go, topologydomaingroup.go).
// nodeAffinityPolicy Honor (default): only nodes that satisfy the pod's nodeSelector and one of its required
// node-affinity terms; nodeTaintsPolicy Honor (default Ignore): only nodes whose taints the pod tolerates. Pod
// (anti-)affinity terms always count every node. A filter that can reject nothing is "trivial" and costs nothing.
import { Requirements } from "../apis/requirements";
import { podKey, untoleratedTaint } from "./pods";
import type { Pod, Taint, Toleration, TopologySpreadConstraint } from "./types";

/** A node or planned NodeClaim as a spread node filter sees it. */
export interface FilterTarget {
  taints: readonly Taint[];
  /** Whether the target's labels (a node) or requirements (a NodeClaim) are compatible with `r`. */
  satisfies(r: Requirements): boolean;
}

export class NodeFilter {
  /** Stable identity: equal filters share a topology group (Karpenter hashes the filter into the group). */
  readonly key: string;

  private constructor(
    /** OR'd: nodeSelector ∧ each required node-affinity term (nodeSelector alone without terms). */
    readonly terms: Requirements[] | undefined,
    readonly tolerations: Toleration[] | undefined,
    readonly honorTaints: boolean,
  ) {
    this.key = JSON.stringify([
      terms?.map((t) => t.toString()) ?? null,
      honorTaints ? (tolerations ?? []).map((t) => [t.key, t.operator, t.value, t.effect]) : null,
    ]);
  }

  static readonly all = new NodeFilter(undefined, undefined, false);

  /** The filter of a spread constraint of `pod`; NodeFilter.all when it would count every node. */
  static forSpread(pod: Pod, c: TopologySpreadConstraint): NodeFilter {
    const honorAffinity = (c.nodeAffinityPolicy ?? "Honor") === "Honor";
    const honorTaints = c.nodeTaintsPolicy === "Honor";
    let terms: Requirements[] | undefined;
    if (honorAffinity) {
      const sel = Requirements.fromLabels(pod.spec.nodeSelector);
      const required =
        pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      if (required && required.length > 0)
        terms = required.map((t, i) =>
          sel
            .clone()
            .addAll(
              Requirements.fromNodeSelector(
                t.matchExpressions,
                `pod ${podKey(pod)} spec.affinity.nodeAffinity.required.nodeSelectorTerms[${i}]`,
              ),
            ),
        );
      else if (pod.spec.nodeSelector && Object.keys(pod.spec.nodeSelector).length > 0) terms = [sel];
    }
    if (!terms && !honorTaints) return NodeFilter.all;
    return new NodeFilter(terms, pod.spec.tolerations, honorTaints);
  }

  get trivial(): boolean {
    return this === NodeFilter.all;
  }

  /** Whether pods on the target count (Karpenter TopologyNodeFilter.Matches). */
  matches(t: FilterTarget): boolean {
    if (this.terms && !this.terms.some((r) => t.satisfies(r))) return false;
    return !this.honorTaints || untoleratedTaint([...t.taints], this.tolerations) === undefined;
  }

  /** Whether a NodePool with these taints can offer the pod a domain (taints Honor only). */
  toleratesPool(taints: readonly Taint[]): boolean {
    return !this.honorTaints || untoleratedTaint([...taints], this.tolerations) === undefined;
  }
}

/** Domains per topology key with the taint sets of the NodePools offering them (Karpenter TopologyDomainGroup). */
export class DomainGroups {
  private readonly byKey = new Map<string, Map<string, Taint[][]>>();

  insert(key: string, domain: string, taints: readonly Taint[]): void {
    let m = this.byKey.get(key);
    if (!m) this.byKey.set(key, (m = new Map()));
    const sets = m.get(domain);
    // An untainted source makes the domain available to every pod: no other taint set matters.
    if (!sets || taints.length === 0) m.set(domain, [[...taints]]);
    else if (sets[0]!.length > 0) sets.push([...taints]);
  }

  /** The key's domains a filter's pod may get a new node in. */
  domainsFor(key: string, f: NodeFilter): string[] {
    const out: string[] = [];
    for (const [d, sets] of this.byKey.get(key) ?? []) if (sets.some((ts) => f.toleratesPool(ts))) out.push(d);
    return out;
  }
}
