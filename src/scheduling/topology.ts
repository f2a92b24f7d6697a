// Topology groups (Karpenter scheduling/topology.go, topologygroup.go): each topology spread constraint and each
// required pod (anti-)affinity term becomes a group that counts matching pods per domain of its topology key
// (zone, hostname, capacity-type or any node label). Required anti-affinity is also tracked "inversely": a placed
// pod's required anti-affinity term blocks its domains for every later pod the term selects. A spread group counts
// only the nodes its node filter admits (nodeAffinityPolicy / nodeTaintsPolicy, topologyFilter.ts).
import { LabelHostname } from "../apis/labels";
import { matchesLabelSelector } from "../apis/labelSelector";
import { selectorClass } from "./podClasses";
import { podNamespace } from "./pods";
import { DomainGroups, NodeFilter, type FilterTarget } from "./topologyFilter";
import type { LabelSelector, Pod, PodAffinityTerm } from "./types";

export type TopologyType = "spread" | "affinity" | "antiAffinity";

/** Where a placed pod is: the target's current domain for any key (undefined = not decided yet). */
export interface Placement extends FilterTarget {
  pod: Pod;
  domain(key: string): string | undefined;
}

/** The namespaces a term selects (Karpenter buildNamespaceList): listed names, plus those its selector matches. */
export interface NamespaceSet {
  names: ReadonlySet<string>;
  selector?: LabelSelector;
}

/** Labels of a namespace; every namespace carries kubernetes.io/metadata.name (set by the apiserver). */
export type NamespaceLabels = (ns: string) => Record<string, string>;
const defaultNamespaceLabels: NamespaceLabels = (ns) => ({ "kubernetes.io/metadata.name": ns });

export class TopologyGroup {
  readonly counts = new Map<string, number>();
  constructor(
    readonly id: string,
    readonly type: TopologyType,
    readonly key: string,
    readonly namespaces: NamespaceSet,
    readonly selector: LabelSelector | undefined,
    readonly maxSkew = 1,
    readonly minDomains?: number,
    readonly filter: NodeFilter = NodeFilter.all,
    private readonly nsLabels: NamespaceLabels = defaultNamespaceLabels,
  ) {}
  /** The domains a non-trivial filter's pod can use (computed once: the sources do not change in a solve). */
  universe?: Set<string>;

  selects(pod: Pod): boolean {
    const ns = podNamespace(pod);
    if (!this.namespaces.names.has(ns)) {
      const sel = this.namespaces.selector;
      if (!sel || !matchesLabelSelector(sel, this.nsLabels(ns))) return false;
    }
    return matchesLabelSelector(this.selector, pod.metadata.labels);
  }
  /** Whether a pod placed at `p` counts here (Karpenter TopologyGroup.Counts). */
  countsAt(p: Placement): boolean {
    return this.selects(p.pod) && (this.filter.trivial || this.filter.matches(p));
  }
  count(d: string): number {
    return this.counts.get(d) ?? 0;
  }
  record(d: string): void {
    this.counts.set(d, this.count(d) + 1);
  }
}

function termNamespaces(term: PodAffinityTerm, pod: Pod): NamespaceSet {
  if (!term.namespaces?.length && !term.namespaceSelector) return { names: new Set([podNamespace(pod)]) };
  return { names: new Set(term.namespaces ?? []), selector: term.namespaceSelector };
}

const nsId = (n: NamespaceSet): unknown => [[...n.names].sort(), n.selector ?? null];

/**
 * matchLabelKeys / mismatchLabelKeys: the pod's own values for those keys join the selector as In / NotIn (how
 * Deployments isolate revisions, or keep tenants apart). The apiserver does the same at pod creation; merging twice
 * is harmless, and a pod read from a file (capsicum plan) gets it here.
 */
function withLabelKeys(
  sel: LabelSelector | undefined,
  pod: Pod,
  match: string[] | undefined,
  mismatch?: string[],
): LabelSelector | undefined {
  if (!sel || (!match?.length && !mismatch?.length)) return sel;
  const labels = pod.metadata.labels ?? {};
  const extra = [
    ...(match ?? [])
      .filter((k) => labels[k] !== undefined)
      .map((k) => ({ key: k, operator: "In", values: [labels[k]!] })),
    ...(mismatch ?? [])
      .filter((k) => labels[k] !== undefined)
      .map((k) => ({ key: k, operator: "NotIn", values: [labels[k]!] })),
  ];
  if (extra.length === 0) return sel;
  return { matchLabels: sel.matchLabels, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] };
}

export interface PodTopology {
  owned: TopologyGroup[];
  antiTerms: TopologyGroup[];
}

export class Topology {
  private readonly groups = new Map<string, TopologyGroup>();
  private readonly inverse = new Map<string, TopologyGroup>();
  /**
   * Placed pods by what TopologyGroup.selects reads (namespace + labels, the replicas of a Deployment share it): a
   * new group decides once per class, and skips the classes it does not select without visiting their pods.
   */
  private readonly placed = new Map<number, Placement[]>();

  /** Nodes (and in-flight NodeClaims) with their labels: a filtered spread group learns domains only from those it admits. */
  private readonly nodes: Array<FilterTarget & { labels: Record<string, string> }> = [];

  /**
   * `domains`: every known domain per topology key (zones from NodePools/offerings and nodes, capacity types, ...);
   * `pools`: the NodePools' domains with their taints (for nodeTaintsPolicy Honor); `nsLabels`: namespace labels for
   * pod (anti-)affinity namespaceSelectors.
   */
  constructor(
    readonly domains: Map<string, Set<string>>,
    private readonly pools: DomainGroups = new DomainGroups(),
    private readonly nsLabels: NamespaceLabels = defaultNamespaceLabels,
  ) {}

  /** An existing node or in-flight NodeClaim: a source of domains for filtered spread groups. */
  registerNode(n: FilterTarget & { labels: Record<string, string> }): void {
    this.nodes.push(n);
  }

  private getGroup(map: Map<string, TopologyGroup>, g: TopologyGroup): TopologyGroup {
    const hit = map.get(g.id);
    if (hit) return hit;
    // A new group counts every pod already placed that it selects. Whether it selects a pod depends only on the
    // pod's namespace and labels, which the replicas of a Deployment share: one selector match per distinct set.
    for (const ps of this.placed.values()) {
      if (!g.selects(ps[0]!.pod)) continue;
      for (const p of ps)
        if (g.filter.trivial || g.filter.matches(p)) {
          const d = p.domain(g.key);
          if (d !== undefined) g.record(d);
        }
    }
    map.set(g.id, g);
    return g;
  }

  /** The groups the pod's own (possibly relaxed) constraints create. Preferred terms count as required here. */
  podTopology(pod: Pod): PodTopology {
    const owned: TopologyGroup[] = [];
    const antiTerms: TopologyGroup[] = [];
    const ns = podNamespace(pod);
    for (const c of pod.spec.topologySpreadConstraints ?? []) {
      const sel = withLabelKeys(c.labelSelector, pod, c.matchLabelKeys);
      const filter = NodeFilter.forSpread(pod, c);
      const id = JSON.stringify([
        "spread",
        c.topologyKey,
        ns,
        sel ?? null,
        c.maxSkew,
        c.minDomains ?? null,
        filter.trivial ? null : filter.key,
      ]);
      const g = new TopologyGroup(
        id,
        "spread",
        c.topologyKey,
        { names: new Set([ns]) },
        sel,
        c.maxSkew,
        c.minDomains,
        filter,
      );
      owned.push(this.getGroup(this.groups, g));
    }
    const aff = pod.spec.affinity;
    const terms = (
      type: "affinity" | "antiAffinity",
      req?: PodAffinityTerm[],
      pref?: Array<{ podAffinityTerm: PodAffinityTerm }>,
    ): void => {
      const required = req ?? [];
      for (const [i, t] of [...required, ...(pref ?? []).map((p) => p.podAffinityTerm)].entries()) {
        const sel = withLabelKeys(t.labelSelector, pod, t.matchLabelKeys, t.mismatchLabelKeys);
        const nss = termNamespaces(t, pod);
        const id = JSON.stringify([type, t.topologyKey, nsId(nss), sel ?? null]);
        const g = this.getGroup(
          this.groups,
          new TopologyGroup(id, type, t.topologyKey, nss, sel, 1, undefined, NodeFilter.all, this.nsLabels),
        );
        owned.push(g);
        // Like Karpenter, only REQUIRED anti-affinity is tracked inversely: a placed pod's preferred term must not
        // block later pods, which cannot relax a term they do not own (topology.go updateInverseAntiAffinity).
        if (type === "antiAffinity" && i < required.length) antiTerms.push(g);
      }
    };
    terms(
      "affinity",
      aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
    );
    terms(
      "antiAffinity",
      aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
    );
    return { owned, antiTerms };
  }

  /** Inverse anti-affinity groups (from placed pods' terms) that select `pod`. */
  inverseSelecting(pod: Pod): TopologyGroup[] {
    const out: TopologyGroup[] = [];
    for (const g of this.inverse.values()) if (g.counts.size > 0 && g.selects(pod)) out.push(g);
    return out;
  }

  /** Every owned group (of any pod) that counts `pod`; placing it must fix its domain for those keys. */
  groupsSelecting(pod: Pod): TopologyGroup[] {
    const out: TopologyGroup[] = [];
    for (const g of this.groups.values()) if (g.selects(pod)) out.push(g);
    return out;
  }

  /**
   * Filters candidate domains of `key` for the pod. `eligible(d)` says whether the pod's node requirements allow d
   * (nodeAffinityPolicy Honor), used for the spread minimum. Returns the allowed candidates, or a reason.
   */
  allowed(
    pod: Pod,
    pt: PodTopology,
    key: string,
    candidates: string[],
    eligible: (d: string) => boolean,
  ): { domains: string[] } | { reason: string } {
    let out = candidates;
    for (const g of pt.owned) {
      if (g.key !== key) continue;
      const self = g.selects(pod) ? 1 : 0;
      if (g.type === "spread") {
        const min = this.minCount(g, eligible);
        out = out.filter((d) => g.count(d) + self - min <= g.maxSkew);
        if (out.length === 0)
          return {
            reason: `topology spread on ${key} (maxSkew ${g.maxSkew}) cannot be satisfied by the remaining domains ${fmt(candidates)}`,
          };
      } else if (g.type === "affinity") {
        const any = [...g.counts.values()].some((c) => c > 0);
        if (any) out = out.filter((d) => g.count(d) > 0);
        else if (!self) return { reason: `pod affinity on ${key}: no pod matches the affinity selector yet` };
        if (out.length === 0)
          return {
            reason: `pod affinity on ${key}: matching pods are only in ${fmt([...g.counts.keys()].filter((d) => g.count(d) > 0))}`,
          };
      } else {
        out = out.filter((d) => g.count(d) === 0);
        if (out.length === 0)
          return {
            reason: `pod anti-affinity on ${key}: every candidate domain ${fmt(candidates)} already runs a matching pod`,
          };
      }
    }
    for (const g of this.inverse.values()) {
      if (g.key !== key || g.counts.size === 0 || !g.selects(pod)) continue;
      out = out.filter((d) => g.count(d) === 0);
      if (out.length === 0)
        return { reason: `another pod's anti-affinity on ${key} excludes this pod from ${fmt(candidates)}` };
    }
    return { domains: out };
  }

  /** Cheap early reject (no strings, no spread minimum): the pod's own anti-affinity already has a match in `d`. */
  antiBlocks(pt: PodTopology, key: string, d: string): boolean {
    for (const g of pt.owned) if (g.type === "antiAffinity" && g.key === key && g.count(d) > 0) return true;
    return false;
  }

  /** Preferred order to pin a domain: fewest matching pods in the spread groups owning or selecting the pod, then name. */
  rank(pt: PodTopology, key: string, domains: string[], selecting: TopologyGroup[] = []): string[] {
    const spread = [...pt.owned, ...selecting.filter((g) => !pt.owned.includes(g))].filter(
      (g) => g.key === key && g.type === "spread",
    );
    const score = (d: string): number => spread.reduce((s, g) => s + g.count(d), 0);
    return [...domains].sort((a, b) => score(a) - score(b) || (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * The domains a spread group's minimum runs over: every known one, or for a filtered group only the NodePools'
   * domains its pod tolerates and those of the nodes the filter admits (Karpenter ForEachDomain / countDomains).
   */
  private groupDomains(g: TopologyGroup): Iterable<string> {
    if (g.filter.trivial) return this.domains.get(g.key) ?? [];
    if (!g.universe) {
      g.universe = new Set(this.pools.domainsFor(g.key, g.filter));
      for (const n of this.nodes) {
        const d = n.labels[g.key];
        if (d !== undefined && g.filter.matches(n)) g.universe.add(d);
      }
    }
    return g.universe;
  }

  private minCount(g: TopologyGroup, eligible: (d: string) => boolean): number {
    if (g.key === LabelHostname) return 0; // a new node is always a possible empty domain
    const universe = new Set([...this.groupDomains(g), ...g.counts.keys()]);
    let n = 0;
    let min = Number.MAX_SAFE_INTEGER;
    for (const d of universe)
      if (eligible(d)) {
        n++;
        min = Math.min(min, g.count(d));
      }
    if (n === 0) return 0;
    if (g.minDomains !== undefined && n < g.minDomains) return 0;
    return min;
  }

  /** Records a placed pod: counts it in every group that selects it and registers its anti-affinity terms. */
  record(p: Placement, pt?: PodTopology): void {
    const c = selectorClass(p.pod);
    const same = this.placed.get(c);
    if (same) same.push(p);
    else this.placed.set(c, [p]);
    for (const g of this.groups.values())
      if (g.countsAt(p)) {
        const d = p.domain(g.key);
        if (d !== undefined) g.record(d);
      }
    for (const t of pt?.antiTerms ?? []) {
      const inv = this.getGroup(
        this.inverse,
        new TopologyGroup(
          t.id,
          "antiAffinity",
          t.key,
          t.namespaces,
          t.selector,
          1,
          undefined,
          NodeFilter.all,
          this.nsLabels,
        ),
      );
      const d = p.domain(t.key);
      if (d !== undefined) inv.record(d);
    }
  }

  /** Registers bound pods of existing nodes (incl. their anti-affinity terms). */
  recordExisting(p: Placement): void {
    const pt = p.pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length
      ? this.antiOnly(p.pod)
      : undefined;
    this.record(p, pt);
  }

  private antiOnly(pod: Pod): PodTopology {
    const antiTerms: TopologyGroup[] = [];
    for (const t of pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const sel = withLabelKeys(t.labelSelector, pod, t.matchLabelKeys, t.mismatchLabelKeys);
      const nss = termNamespaces(t, pod);
      antiTerms.push(
        new TopologyGroup(
          JSON.stringify(["antiAffinity", t.topologyKey, nsId(nss), sel ?? null]),
          "antiAffinity",
          t.topologyKey,
          nss,
          sel,
          1,
          undefined,
          NodeFilter.all,
          this.nsLabels,
        ),
      );
    }
    return { owned: [], antiTerms };
  }
}

function fmt(ds: string[]): string {
  return `[${ds.slice(0, 6).join(", ")}${ds.length > 6 ? ", ..." : ""}]`;
}
