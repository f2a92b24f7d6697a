// Topology groups (Karpenter scheduling/topology.go, topologygroup.go): each topology spread constraint and each
// required pod (anti-)affinity term becomes a group that counts matching pods per domain of its topology key
// (zone, hostname, capacity-type or any node label). Required anti-affinity is also tracked "inversely": a placed
// pod's required anti-affinity term blocks its domains for every later pod the term selects.
import { LabelHostname } from "../apis/labels";
import { matchesLabelSelector } from "../apis/labelSelector";
import { podNamespace } from "./pods";
import type { LabelSelector, Pod, PodAffinityTerm } from "./types";

export type TopologyType = "spread" | "affinity" | "antiAffinity";

/** Where a placed pod is: the target's current domain for any key (undefined = not decided yet). */
export interface Placement {
  pod: Pod;
  domain(key: string): string | undefined;
}

export class TopologyGroup {
  readonly counts = new Map<string, number>();
  constructor(
    readonly id: string,
    readonly type: TopologyType,
    readonly key: string,
    readonly namespaces: ReadonlySet<string> | "all",
    readonly selector: LabelSelector | undefined,
    readonly maxSkew = 1,
    readonly minDomains?: number,
  ) {}

  selects(pod: Pod): boolean {
    if (this.namespaces !== "all" && !this.namespaces.has(podNamespace(pod))) return false;
    return matchesLabelSelector(this.selector, pod.metadata.labels);
  }
  count(d: string): number {
    return this.counts.get(d) ?? 0;
  }
  record(d: string): void {
    this.counts.set(d, this.count(d) + 1);
  }
}

function termNamespaces(term: PodAffinityTerm, pod: Pod): ReadonlySet<string> | "all" {
  const ns = term.namespaceSelector;
  if (
    ns &&
    !(ns.matchLabels && Object.keys(ns.matchLabels).length) &&
    !(ns.matchExpressions && ns.matchExpressions.length)
  )
    return "all";
  return new Set(term.namespaces && term.namespaces.length ? term.namespaces : [podNamespace(pod)]);
}

/** matchLabelKeys: merge the pod's own values for those keys into the selector (how Deployments isolate revisions). */
function withMatchLabelKeys(
  sel: LabelSelector | undefined,
  keys: string[] | undefined,
  pod: Pod,
): LabelSelector | undefined {
  if (!sel || !keys || keys.length === 0) return sel;
  const extra = keys
    .filter((k) => pod.metadata.labels?.[k] !== undefined)
    .map((k) => ({ key: k, operator: "In", values: [pod.metadata.labels![k]!] }));
  return { matchLabels: sel.matchLabels, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] };
}

export interface PodTopology {
  owned: TopologyGroup[];
  antiTerms: TopologyGroup[];
}

export class Topology {
  private readonly groups = new Map<string, TopologyGroup>();
  private readonly inverse = new Map<string, TopologyGroup>();
  private readonly placed: Placement[] = [];

  /** `domains`: every known domain per topology key (zones from NodePools/offerings and nodes, capacity types, ...). */
  constructor(readonly domains: Map<string, Set<string>>) {}

  private getGroup(map: Map<string, TopologyGroup>, g: TopologyGroup): TopologyGroup {
    const hit = map.get(g.id);
    if (hit) return hit;
    // A new group counts every pod already placed that it selects.
    for (const p of this.placed)
      if (g.selects(p.pod)) {
        const d = p.domain(g.key);
        if (d !== undefined) g.record(d);
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
      const sel = withMatchLabelKeys(c.labelSelector, c.matchLabelKeys, pod);
      const id = JSON.stringify(["spread", c.topologyKey, ns, sel ?? null, c.maxSkew, c.minDomains ?? null]);
      owned.push(
        this.getGroup(
          this.groups,
          new TopologyGroup(id, "spread", c.topologyKey, new Set([ns]), sel, c.maxSkew, c.minDomains),
        ),
      );
    }
    const aff = pod.spec.affinity;
    const terms = (
      type: "affinity" | "antiAffinity",
      req?: PodAffinityTerm[],
      pref?: Array<{ podAffinityTerm: PodAffinityTerm }>,
    ): void => {
      const required = req ?? [];
      for (const [i, t] of [...required, ...(pref ?? []).map((p) => p.podAffinityTerm)].entries()) {
        const sel = withMatchLabelKeys(t.labelSelector, t.matchLabelKeys, pod);
        const nss = termNamespaces(t, pod);
        const id = JSON.stringify([type, t.topologyKey, nss === "all" ? "*" : [...nss].sort(), sel ?? null]);
        const g = this.getGroup(this.groups, new TopologyGroup(id, type, t.topologyKey, nss, sel));
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

  private minCount(g: TopologyGroup, eligible: (d: string) => boolean): number {
    if (g.key === LabelHostname) return 0; // a new node is always a possible empty domain
    const universe = new Set([...(this.domains.get(g.key) ?? []), ...g.counts.keys()]);
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
    this.placed.push(p);
    for (const g of this.groups.values())
      if (g.selects(p.pod)) {
        const d = p.domain(g.key);
        if (d !== undefined) g.record(d);
      }
    for (const t of pt?.antiTerms ?? []) {
      const inv = this.getGroup(this.inverse, new TopologyGroup(t.id, "antiAffinity", t.key, t.namespaces, t.selector));
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
      const sel = withMatchLabelKeys(t.labelSelector, t.matchLabelKeys, pod);
      const nss = termNamespaces(t, pod);
      antiTerms.push(
        new TopologyGroup(
          JSON.stringify(["antiAffinity", t.topologyKey, nss === "all" ? "*" : [...nss].sort(), sel ?? null]),
          "antiAffinity",
          t.topologyKey,
          nss,
          sel,
        ),
      );
    }
    return { owned: [], antiTerms };
  }
}

function fmt(ds: string[]): string {
  return `[${ds.slice(0, 6).join(", ")}${ds.length > 6 ? ", ..." : ""}]`;
}
