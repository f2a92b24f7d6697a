// Independent plan checker: re-derives every constraint from the raw input objects (its own request maths,
// selector matching and topology counting; nothing imported from src/scheduling) and reports violations.
import type { InstanceType } from "../../../src/cloudprovider/aws/catalog/types";
import type { Pod, SchedulingInput, SchedulingResult } from "../../../src/scheduling/types";

const ZONE = "topology.kubernetes.io/zone";
const CT = "karpenter.sh/capacity-type";
const HOST = "kubernetes.io/hostname";

function qty(name: string, v: string | number): number {
  const s = String(v);
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(s);
  if (!m) throw new Error(`checker cannot parse ${s}`);
  const mult: Record<string, number> = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, "": 1 };
  const base = Number(m[1]) * mult[m[2] ?? ""]!;
  return name === "cpu" ? Math.ceil(base * 1000 - 1e-6) : Math.ceil(base - 1e-6);
}

export function requestsOf(p: Pod): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of p.spec.containers) for (const [k, v] of Object.entries(c.resources?.requests ?? {})) sum[k] = (sum[k] ?? 0) + qty(k, v);
  for (const c of p.spec.initContainers ?? []) for (const [k, v] of Object.entries(c.resources?.requests ?? {})) sum[k] = Math.max(sum[k] ?? 0, qty(k, v));
  sum.pods = (sum.pods ?? 0) + 1;
  return sum;
}

function nodeReqOk(labels: Record<string, string>, key: string, op: string, values: string[] = []): boolean {
  const v = labels[key];
  switch (op) {
    case "In": return v !== undefined && values.includes(v);
    case "NotIn": return v === undefined || !values.includes(v);
    case "Exists": return v !== undefined;
    case "DoesNotExist": return v === undefined;
    case "Gt": return v !== undefined && Number(v) > Number(values[0]);
    case "Lt": return v !== undefined && Number(v) < Number(values[0]);
    case "Gte": return v !== undefined && Number(v) >= Number(values[0]);
    case "Lte": return v !== undefined && Number(v) <= Number(values[0]);
    default: return false;
  }
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
function selects(sel: Selector | undefined, p: Pod): boolean {
  if (!sel) return false;
  const l = p.metadata.labels ?? {};
  return Object.entries(sel.matchLabels ?? {}).every(([k, v]) => l[k] === v) &&
    (sel.matchExpressions ?? []).every(e => e.operator === "In" ? l[e.key] !== undefined && (e.values ?? []).includes(l[e.key]!)
      : e.operator === "NotIn" ? l[e.key] === undefined || !(e.values ?? []).includes(l[e.key]!)
      : e.operator === "Exists" ? l[e.key] !== undefined : l[e.key] === undefined);
}
/** A spread constraint's selector with the owner's matchLabelKeys values added (as the apiserver and Karpenter do). */
function spreadSelector(c: { labelSelector?: Selector; matchLabelKeys?: string[] }, owner: Pod): Selector | undefined {
  if (!c.labelSelector || !c.matchLabelKeys?.length) return c.labelSelector;
  const l = owner.metadata.labels ?? {};
  const extra = c.matchLabelKeys.filter(k => l[k] !== undefined).map(k => ({ key: k, operator: "In", values: [l[k]!] }));
  return { ...c.labelSelector, matchExpressions: [...(c.labelSelector.matchExpressions ?? []), ...extra] };
}

function podFitsLabels(p: Pod, labels: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(p.spec.nodeSelector ?? {})) if (labels[k] !== v) return `nodeSelector ${k}=${v} vs ${labels[k]}`;
  const terms = p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length && !terms.some(t => (t.matchExpressions ?? []).every(e => nodeReqOk(labels, e.key, e.operator, e.values)))) return "required node affinity";
  return undefined;
}

function tolerated(p: Pod, taints: Array<{ key: string; value?: string; effect: string }>): boolean {
  return taints.every(t => (p.spec.tolerations ?? []).some(tol =>
    (!tol.effect || tol.effect === t.effect) && (tol.operator === "Exists" ? (!tol.key || tol.key === t.key) : tol.key === t.key && (tol.value ?? "") === (t.value ?? ""))));
}

interface Placed { pod: Pod; node: string; labels: Record<string, string>; taints: Array<{ key: string; value?: string; effect: string }> }

export function checkPlan(input: SchedulingInput, result: SchedulingResult, catalog: InstanceType[]): string[] {
  const errors: string[] = [];
  const key = (p: Pod) => `${p.metadata.namespace ?? "default"}/${p.metadata.name}`;
  const pools = new Map(input.nodePools.map(n => [n.metadata.name!, n]));
  const types = new Map(catalog.map(t => [t.name, t]));
  const placed: Placed[] = [];

  // Every pending pod is accounted for exactly once.
  const seen = new Map<string, number>();
  for (const c of result.newNodeClaims) for (const p of c.pods) seen.set(key(p), (seen.get(key(p)) ?? 0) + 1);
  for (const e of result.existingNodes) for (const p of e.pods) seen.set(key(p), (seen.get(key(p)) ?? 0) + 1);
  for (const u of result.unschedulable) seen.set(u.key, (seen.get(u.key) ?? 0) + 1);
  for (const p of input.pods) if (seen.get(key(p)) !== 1) errors.push(`pod ${key(p)} accounted ${seen.get(key(p)) ?? 0} times`);

  const limitUse = new Map<string, Record<string, number>>();
  for (const c of result.newNodeClaims) {
    const pool = pools.get(c.nodePool);
    if (!pool) { errors.push(`${c.name}: unknown NodePool ${c.nodePool}`); continue; }
    if (c.instanceTypeOptions.length === 0 || c.instanceTypeOptions.length > (input.options?.maxInstanceTypes ?? 60)) errors.push(`${c.name}: ${c.instanceTypeOptions.length} options`);
    const tplTaints = pool.spec.template.spec.taints ?? [];
    // Daemon overhead recomputed independently.
    const need: Record<string, number> = {};
    const add = (r: Record<string, number>) => { for (const [k, v] of Object.entries(r)) need[k] = (need[k] ?? 0) + v; };
    for (const ds of input.daemonSets ?? []) {
      const dp: Pod = { metadata: { name: "ds" }, spec: ds.spec.template.spec };
      const anyOpt = c.instanceTypeOptions[0]!;
      if (tolerated(dp, tplTaints) && !podFitsLabels(dp, { ...anyOpt.labels, ...c.labels })) add(requestsOf(dp));
    }
    for (const p of c.pods) add(requestsOf(p));
    const poolReqs = pool.spec.template.spec.requirements ?? [];
    const ports = new Set<string>();
    for (const ds of input.daemonSets ?? []) for (const ct of ds.spec.template.spec.containers) for (const pt of ct.ports ?? []) if (pt.hostPort) ports.add(`${pt.protocol ?? "TCP"}/${pt.hostPort}`);
    for (const p of c.pods) for (const ct of p.spec.containers) for (const pt of ct.ports ?? []) if (pt.hostPort) {
      const k = `${pt.protocol ?? "TCP"}/${pt.hostPort}`;
      if (ports.has(k)) errors.push(`${c.name}: host port ${k} conflict`);
      ports.add(k);
    }
    for (const opt of c.instanceTypeOptions) {
      const it = types.get(opt.name) ?? opt;
      for (const [k, v] of Object.entries(need)) if (v > 0 && v > (it.allocatable[k] ?? 0)) errors.push(`${c.name}: option ${it.name} ${k} ${v} > allocatable ${it.allocatable[k] ?? 0}`);
      const offers = it.offerings.filter(o => o.available && o.capacityType === c.capacityType && (!c.zone || o.zone === c.zone));
      if (offers.length === 0 && opt.name === c.instanceType) errors.push(`${c.name}: ${it.name} has no ${c.capacityType} offering in ${c.zone ?? "any zone"}`);
      const labels = { ...it.labels, ...c.labels, [CT]: c.capacityType, ...(c.zone ? { [ZONE]: c.zone } : {}) };
      for (const r of poolReqs) if (r.key !== ZONE && r.key !== CT && !nodeReqOk(labels, r.key, r.operator, r.values)) errors.push(`${c.name}: option ${it.name} violates NodePool requirement ${r.key} ${r.operator}`);
      for (const p of c.pods) { const why = podFitsLabels(p, labels); if (why && !(why.includes(ZONE) && !c.zone)) errors.push(`${c.name}: pod ${key(p)} ${why} on ${it.name}`); }
    }
    for (const r of poolReqs) if (r.minValues) {
      const vals = new Set(c.instanceTypeOptions.map(t => t.labels[r.key]).filter(v => v !== undefined));
      if (vals.size < r.minValues && input.options?.minValuesPolicy !== "BestEffort") errors.push(`${c.name}: minValues ${r.key} ${vals.size} < ${r.minValues}`);
    }
    for (const p of c.pods) if (!tolerated(p, tplTaints)) errors.push(`${c.name}: pod ${key(p)} does not tolerate NodePool taints`);
    const chosen = types.get(c.instanceType)!;
    // Any option may be launched (spot uses price-capacity-optimized), so limits must hold for the largest one.
    const use = limitUse.get(c.nodePool) ?? {};
    const worst: Record<string, number> = {};
    for (const t of c.instanceTypeOptions) for (const [k, v] of Object.entries(t.capacity)) worst[k] = Math.max(worst[k] ?? 0, v);
    for (const [k, v] of Object.entries(worst)) use[k] = (use[k] ?? 0) + v;
    use.nodes = (use.nodes ?? 0) + 1;
    limitUse.set(c.nodePool, use);
    const labels = { ...chosen.labels, ...c.labels, [HOST]: c.name, [CT]: c.capacityType, ...(c.zone ? { [ZONE]: c.zone } : {}) };
    for (const p of c.pods) placed.push({ pod: p, node: c.name, labels, taints: tplTaints });
  }
  for (const [pool, use] of limitUse) {
    const limits = pools.get(pool)!.spec.limits ?? {};
    for (const [k, v] of Object.entries(limits)) if ((use[k] ?? 0) > qty(k, v)) errors.push(`NodePool ${pool}: ${k} usage ${use[k]} exceeds limit ${v}`);
  }
  const existing = new Map((input.existingNodes ?? []).map(n => [n.node.metadata.name!, n]));
  for (const n of input.existingNodes ?? []) for (const p of n.pods) placed.push({ pod: p, node: n.node.metadata.name!, labels: { [HOST]: n.node.metadata.name!, ...n.node.metadata.labels }, taints: n.node.spec?.taints ?? [] });
  for (const e of result.existingNodes) {
    const n = existing.get(e.name);
    if (!n) continue; // in-flight NodeClaims: not checked here
    const used: Record<string, number> = {};
    for (const p of [...n.pods, ...e.pods]) for (const [k, v] of Object.entries(requestsOf(p))) used[k] = (used[k] ?? 0) + v;
    for (const [k, v] of Object.entries(used)) if (v > 0 && v > qty(k, n.node.status?.allocatable?.[k] ?? 0)) errors.push(`node ${e.name}: ${k} over-committed`);
    const labels = { [HOST]: e.name, ...n.node.metadata.labels };
    for (const p of e.pods) {
      const why = podFitsLabels(p, labels);
      if (why) errors.push(`node ${e.name}: pod ${key(p)} ${why}`);
      if (!tolerated(p, n.node.spec?.taints ?? [])) errors.push(`node ${e.name}: pod ${key(p)} does not tolerate taints`);
      placed.push({ pod: p, node: e.name, labels, taints: n.node.spec?.taints ?? [] });
    }
  }

  // Topology: required anti-affinity and DoNotSchedule spread, counted from final placements.
  const scheduled = placed.filter(x => input.pods.includes(x.pod));
  for (const x of scheduled) {
    for (const t of x.pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const d = x.labels[t.topologyKey];
      if (d === undefined) { if (t.topologyKey === ZONE) errors.push(`pod ${key(x.pod)}: zone anti-affinity but zone not pinned`); continue; }
      for (const y of placed) if (y !== x && y.labels[t.topologyKey] === d && (y.pod.metadata.namespace ?? "default") === (x.pod.metadata.namespace ?? "default") && selects(t.labelSelector, y.pod))
        errors.push(`pod ${key(x.pod)} anti-affinity on ${t.topologyKey}=${d} violated by ${key(y.pod)}`);
    }
    for (const t of x.pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const d = x.labels[t.topologyKey];
      if (d === undefined) { errors.push(`pod ${key(x.pod)}: pod affinity on ${t.topologyKey} but domain not pinned`); continue; }
      const partners = placed.filter(y => y !== x && y.labels[t.topologyKey] === d && selects(t.labelSelector, y.pod));
      const anyElsewhere = placed.some(y => y !== x && selects(t.labelSelector, y.pod) && y.labels[t.topologyKey] !== d);
      if (partners.length === 0 && !(selects(t.labelSelector, x.pod) && !anyElsewhere)) errors.push(`pod ${key(x.pod)}: pod affinity on ${t.topologyKey}=${d} has no matching pod there`);
    }
    for (const c of x.pod.spec.topologySpreadConstraints ?? []) {
      if (c.whenUnsatisfiable !== "DoNotSchedule") continue;
      const counts = new Map<string, number>();
      let domains: string[];
      if (c.topologyKey === HOST) domains = [...new Set(placed.map(p => p.node))];
      else {
        const pool = pools.get(x.labels["karpenter.sh/nodepool"] ?? "");
        const zr = pool?.spec.template.spec.requirements?.find(r => r.key === c.topologyKey && r.operator === "In");
        domains = zr?.values ?? [...new Set(placed.map(p => p.labels[c.topologyKey]).filter((v): v is string => v !== undefined))];
      }
      // nodeAffinityPolicy Honor: only domains the pod's own node selection allows count towards the minimum.
      const sel = x.pod.spec.nodeSelector?.[c.topologyKey];
      const exprs = (x.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchExpressions ?? []).filter(e => e.key === c.topologyKey);
      domains = domains.filter(d => (sel === undefined || sel === d) && exprs.every(e => nodeReqOk({ [c.topologyKey]: d }, e.key, e.operator, e.values)));
      for (const d of domains) counts.set(d, 0);
      // Node inclusion policies: nodeAffinityPolicy Honor (default) counts only nodes matching the owner's node
      // selection, nodeTaintsPolicy Honor only nodes whose taints it tolerates.
      const admits = (y: Placed) => ((c.nodeAffinityPolicy ?? "Honor") !== "Honor" || !podFitsLabels(x.pod, y.labels)) &&
        (c.nodeTaintsPolicy !== "Honor" || tolerated(x.pod, y.taints));
      const spreadSel = spreadSelector(c, x.pod);
      for (const y of placed) if ((y.pod.metadata.namespace ?? "default") === (x.pod.metadata.namespace ?? "default") && selects(spreadSel, y.pod) && admits(y)) {
        const d = y.labels[c.topologyKey];
        if (d === undefined) { if (input.pods.includes(y.pod)) errors.push(`pod ${key(y.pod)}: counted by spread on ${c.topologyKey} but domain unknown`); continue; }
        if (counts.has(d) || c.topologyKey === HOST) counts.set(d, (counts.get(d) ?? 0) + 1);
      }
      const v = [...counts.values()];
      const min = c.minDomains && v.length < c.minDomains ? 0 : Math.min(...v);
      const mine = counts.get(x.labels[c.topologyKey]!) ?? 0;
      if (mine - min > c.maxSkew) errors.push(`pod ${key(x.pod)}: spread on ${c.topologyKey} skew ${mine - min} > ${c.maxSkew} (${JSON.stringify(Object.fromEntries(counts))})`);
    }
  }
  return errors;
}
