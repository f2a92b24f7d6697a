// Seeded fuzz documents for admission and `capsicum validate`: the corpus documents (valid and invalid, every
// Karpenter rule's edge cases) mutated 1-3 times each (a field deleted, a value replaced by another type or a
// near-miss, a list emptied or an element duplicated, numbers pushed past int64), plus well-typed Pods for the
// pod-defaulting webhook. Unknown fields are not added: the apiserver prunes or rejects them before any webhook.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { CORPUS, type CorpusKind } from "./karpenterCorpus";

/** mulberry32: small, fast, reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pickOf = <T>(r: () => number, xs: readonly T[]): T => structuredClone(xs[Math.floor(r() * xs.length)]!);

const JUNK: unknown[] = ["", "x", " ", "10%", "-1", "1e3", "Never", "0s", "9223372036854775808", 0, -1, 1.5, 2 ** 63, true, false, null, [], {}, [""], { "": "" }];

function nearMiss(r: () => number, v: unknown): unknown {
  if (typeof v === "string")
    return pickOf(r, [`${v} `, v.toUpperCase(), v.slice(0, -1), `${v}x`, "", `${v}/`, v.replace(/[a-z]/, "-")]);
  if (typeof v === "number") return pickOf(r, [-v, v + 1, v * 1000, 2 ** 63, 0.5, -1]);
  if (typeof v === "boolean") return !v;
  return pickOf(r, JUNK);
}

/** Every [parent, key] inside `doc` (apiVersion, kind, metadata and its name stay: each verdict stays attributable). */
function slots(doc: any): Array<[any, string | number]> {
  const out: Array<[any, string | number]> = [];
  const walk = (v: any, depth: number) => {
    if (v === null || typeof v !== "object") return;
    for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
      if (depth === 0 && (k === "apiVersion" || k === "kind")) continue;
      if (depth === 1 && k === "name" && v === doc.metadata) continue;
      if (!(depth === 0 && k === "metadata")) out.push([v, k]);
      walk(v[k], depth + 1);
    }
  };
  walk(doc, 0);
  return out;
}

function mutate(r: () => number, doc: any): void {
  const all = slots(doc);
  if (!all.length) return;
  const [parent, key] = pickOf(r, all);
  const v = parent[key];
  const op = r();
  if (op < 0.2) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (op < 0.45) parent[key] = pickOf(r, JUNK);
  else if (op < 0.8) parent[key] = nearMiss(r, v);
  else if (Array.isArray(v)) v.length && r() < 0.5 ? v.push(structuredClone(v[0])) : (v.length = 0);
  else if (v && typeof v === "object") parent[key] = Array.isArray(v) ? {} : [structuredClone(v)];
  else parent[key] = nearMiss(r, v);
}

export interface FuzzDoc {
  id: string;
  kind: CorpusKind;
  doc: any;
}

/** `n` documents of the kinds given, from the corpus's create cases, each mutated 1-3 times (seeded). */
export function fuzzKarpenterDocs(n: number, kinds: CorpusKind[], seed: number): FuzzDoc[] {
  const r = rng(seed);
  const seeds = CORPUS.filter((c) => !c.old && kinds.includes(c.kind));
  const out: FuzzDoc[] = [];
  for (let i = 0; i < n; i++) {
    const s = pickOf(r, seeds);
    const doc = structuredClone(s.doc);
    doc.metadata = { ...(doc.metadata ?? {}), name: `fuzz-${s.kind.toLowerCase()}-${i}` };
    const times = 1 + Math.floor(r() * 3);
    for (let m = 0; m < times; m++) mutate(r, doc);
    out.push({ id: `${s.id}~${i}`, kind: s.kind, doc });
  }
  return out;
}

const QUANTITIES = ["100m", "1", "2Gi", "512Mi", "0", "1.5", "3e3"];
const KEYS = ["kubernetes.io/arch", "karpenter.sh/capacity-type", "topology.kubernetes.io/zone", "team", "node.kubernetes.io/instance-type"];

/** Well-typed Pods (what the apiserver hands a mutating webhook): any mix of requests, limits, selectors, affinity. */
export function fuzzPods(n: number, seed: number): any[] {
  const r = rng(seed);
  const out: any[] = [];
  for (let i = 0; i < n; i++) {
    const containers = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, c) => {
      const res: any = {};
      if (r() < 0.5) res.requests = Object.fromEntries(["cpu", "memory"].filter(() => r() < 0.6).map((k) => [k, pickOf(r, QUANTITIES)]));
      if (r() < 0.3) res.limits = Object.fromEntries(["cpu", "memory"].filter(() => r() < 0.6).map((k) => [k, pickOf(r, QUANTITIES)]));
      return { name: `c${c}`, image: "pause", ...(r() < 0.8 ? { resources: res } : {}) };
    });
    const spec: any = { containers };
    if (r() < 0.3) spec.nodeSelector = Object.fromEntries([pickOf(r, KEYS)].map((k) => [k, "x"]));
    if (r() < 0.3) {
      const terms = Array.from({ length: Math.floor(r() * 3) }, () => ({
        matchExpressions: [{ key: pickOf(r, KEYS), operator: pickOf(r, ["In", "NotIn", "Exists"]), values: ["a"] }],
      }));
      spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } };
    }
    const ns = pickOf(r, ["default", "team-a", "kube-system", "pepr-system"]);
    out.push({ apiVersion: "v1", kind: "Pod", metadata: { name: `p-${i}`, namespace: ns, ...(r() < 0.1 ? { annotations: { "capsicum.dev/defaulted": "x" } } : {}) }, spec });
  }
  return out;
}
