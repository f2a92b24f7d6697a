// The admission corpus: NodePool, EC2NodeClass, NodeClaim and NodeOverlay documents, each labelled with the verdict
// Karpenter v1.14.1's own CRDs (schema + CEL, kubectl's strict field validation) give it. Written for capsicum from
// the rules in shared/reference/karpenter-crd-rules.md, with edge cases of every rule: both sides of each pattern,
// enum, limit and CEL rule, CEL's short-circuits (a missing `values`), unanchored patterns, list rules written with
// `self.all` that miss a bad term next to a good one, and transition rules on update.
//
// The labels are checked against the oracle (a kube-apiserver serving Karpenter's CRDs) by
// test/integration/apis/corpusOracle.test.ts; capsicum's verdicts are checked against the labels offline by
// test/unit/policies/corpus.test.ts and through `capsicum validate` by test/unit/cli/validateCorpus.test.ts.
/* eslint-disable @typescript-eslint/no-explicit-any */

export type CorpusKind = "NodePool" | "EC2NodeClass" | "NodeClaim" | "NodeOverlay";

export interface CorpusEntry {
  /** Unique, stable id (also the document's name suffix in the integration run). */
  id: string;
  kind: CorpusKind;
  doc: any;
  /** Update cases: the stored object the update replaces. */
  old?: any;
  /** Karpenter v1.14.1's CRD verdict. */
  valid: boolean;
  /** Invalid documents: the field capsicum's rejection must name (kubectl path, `[key]` for map keys). */
  field?: string;
  /** Invalid documents: a fragment capsicum's message must contain (the fix, a "did you mean"). */
  fix?: string;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

export const API_VERSION: Record<CorpusKind, string> = {
  NodePool: "karpenter.sh/v1",
  NodeClaim: "karpenter.sh/v1",
  NodeOverlay: "karpenter.sh/v1alpha1",
  EC2NodeClass: "karpenter.k8s.aws/v1",
};

const NODE_POOL = {
  apiVersion: API_VERSION.NodePool,
  kind: "NodePool",
  metadata: { name: "default" },
  spec: {
    template: {
      spec: {
        requirements: [
          { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
          { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
          { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
          { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["2"] },
        ],
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        expireAfter: "720h",
      },
    },
    limits: { cpu: 1000 },
    disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m" },
  },
};

const NODE_CLASS = {
  apiVersion: API_VERSION.EC2NodeClass,
  kind: "EC2NodeClass",
  metadata: { name: "default" },
  spec: {
    role: "KarpenterNodeRole-my-cluster",
    amiSelectorTerms: [{ alias: "al2023@latest" }],
    subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "my-cluster" } }],
    securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "my-cluster" } }],
  },
};

const NODE_CLAIM = {
  apiVersion: API_VERSION.NodeClaim,
  kind: "NodeClaim",
  metadata: { name: "default-abcde" },
  spec: {
    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
    requirements: [
      { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
    ],
  },
};

const NODE_OVERLAY = {
  apiVersion: API_VERSION.NodeOverlay,
  kind: "NodeOverlay",
  metadata: { name: "default" },
  spec: {
    requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5", "c5"] }],
    priceAdjustment: "-10%",
  },
};

const BASE: Record<CorpusKind, any> = {
  NodePool: NODE_POOL,
  EC2NodeClass: NODE_CLASS,
  NodeClaim: NODE_CLAIM,
  NodeOverlay: NODE_OVERLAY,
};

/** A base document of `kind` changed by `mutate`. */
export function base(kind: CorpusKind, mutate: (d: any) => void = () => {}): any {
  const d = clone(BASE[kind]);
  mutate(d);
  return d;
}

const entries: CorpusEntry[] = [];
function add(kind: CorpusKind, id: string, valid: boolean, mutate: (d: any) => void, more: Partial<CorpusEntry> = {}) {
  entries.push({ id: `${kind.toLowerCase()}/${id}`, kind, doc: base(kind, mutate), valid, ...more });
}
const ok = (kind: CorpusKind, id: string, mutate: (d: any) => void, more: Partial<CorpusEntry> = {}) =>
  add(kind, id, true, mutate, more);
const bad = (kind: CorpusKind, id: string, field: string, mutate: (d: any) => void, more: Partial<CorpusEntry> = {}) =>
  add(kind, id, false, mutate, { field, ...more });

// ============================== NodePool ==============================
const NP = "NodePool" as const;
const tmpl = (d: any) => d.spec.template.spec;
const reqs = (d: any) => d.spec.template.spec.requirements;
const REQ = "spec.template.spec.requirements";
const pushReq = (r: any) => (d: any) => reqs(d).push(r);

ok(NP, "getting-started", () => {});
ok(NP, "minimal", (d) => {
  d.spec = { template: { spec: { requirements: [], nodeClassRef: tmpl(d).nodeClassRef } } };
});
ok(NP, "no-disruption-block", (d) => delete d.spec.disruption);

// --- durations: expireAfter, consolidateAfter (nillable), terminationGracePeriod ---
for (const [v, valid] of [
  ["30s", true],
  ["1h30m5s", true],
  ["Never", true],
  ["0s", true],
  ["720h", true],
  ["-1s", false],
  ["1hr", false],
  ["FooNever", false],
  ["NeverFoo", false],
  ["never", false],
  ["30d", false],
  ["1.5h", false],
  ["", false],
  ["30", false],
] as const) {
  add(NP, `expireAfter=${v || "empty"}`, valid, (d) => (tmpl(d).expireAfter = v), {
    field: valid ? undefined : "spec.template.spec.expireAfter",
  });
  add(NP, `consolidateAfter=${v || "empty"}`, valid, (d) => (d.spec.disruption.consolidateAfter = v), {
    field: valid ? undefined : "spec.disruption.consolidateAfter",
  });
}
for (const [v, valid] of [
  ["30s", true],
  ["1h30m5s", true],
  ["48h", true],
  ["-1s", false],
  ["1hr", false],
  ["Never", false],
  ["FooNever", false],
] as const) {
  add(NP, `terminationGracePeriod=${v}`, valid, (d) => (tmpl(d).terminationGracePeriod = v), {
    field: valid ? undefined : "spec.template.spec.terminationGracePeriod",
  });
}
bad(NP, "disruption-without-consolidateAfter", "spec.disruption.consolidateAfter", (d) => {
  d.spec.disruption = { consolidationPolicy: "WhenEmpty" };
});
ok(NP, "consolidateAfter-Never-WhenEmpty", (d) => {
  d.spec.disruption = { consolidationPolicy: "WhenEmpty", consolidateAfter: "Never" };
});

// --- consolidationPolicy ---
for (const p of ["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"])
  ok(NP, `consolidationPolicy=${p}`, (d) => (d.spec.disruption.consolidationPolicy = p));
for (const p of ["1", "0", "4", "balanced", "whenempty", "", "WhenUnderutilized", "foo"])
  bad(NP, `consolidationPolicy=${p || "empty"}`, "spec.disruption.consolidationPolicy", (d) => {
    d.spec.disruption.consolidationPolicy = p;
  });
bad(NP, "consolidationPolicy-integer", "spec.disruption.consolidationPolicy", (d) => {
  d.spec.disruption.consolidationPolicy = 2;
});

// --- budgets ---
const budgets = (bs: any[]) => (d: any) => (d.spec.disruption.budgets = bs);
const BUDGETS = "spec.disruption.budgets";
ok(NP, "budget-nodes-count", budgets([{ nodes: "5" }]));
ok(NP, "budget-nodes-zero", budgets([{ nodes: "0" }]));
ok(NP, "budget-nodes-100%", budgets([{ nodes: "100%" }]));
ok(NP, "budget-nodes-0%", budgets([{ nodes: "0%" }]));
ok(NP, "budget-nodes-large-count", budgets([{ nodes: "1000" }]));
ok(NP, "budget-defaulted-nodes", budgets([{ reasons: ["Empty"] }]));
ok(NP, "budgets-empty-list", budgets([]));
bad(NP, "budget-nodes-negative", `${BUDGETS}[0].nodes`, budgets([{ nodes: "-10" }]));
bad(NP, "budget-nodes-negative-percent", `${BUDGETS}[0].nodes`, budgets([{ nodes: "-10%" }]));
bad(NP, "budget-nodes-1000%", `${BUDGETS}[0].nodes`, budgets([{ nodes: "1000%" }]));
bad(NP, "budget-nodes-101%", `${BUDGETS}[0].nodes`, budgets([{ nodes: "101%" }]));
bad(NP, "budget-nodes-word", `${BUDGETS}[0].nodes`, budgets([{ nodes: "all" }]));
bad(NP, "budget-nodes-integer", `${BUDGETS}[0].nodes`, budgets([{ nodes: 5 }]));
ok(NP, "budget-schedule-and-duration", budgets([{ nodes: "0", schedule: "0 9 * * mon-fri", duration: "8h" }]));
ok(NP, "budget-hours-and-minutes", budgets([{ nodes: "0", schedule: "0 9 * * *", duration: "1h30m" }]));
ok(NP, "budget-minutes-0s", budgets([{ nodes: "0", schedule: "0 9 * * *", duration: "10m0s" }]));
ok(NP, "budget-hours-0s", budgets([{ nodes: "0", schedule: "0 9 * * *", duration: "1h0s" }]));
for (const s of ["@annually", "@yearly", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"])
  ok(NP, `budget-schedule-${s}`, budgets([{ nodes: "0", schedule: s, duration: "1h" }]));
// The pattern's alternation binds `^` to the macro branch only: Karpenter's CRD accepts these.
ok(NP, "budget-schedule-macro-prefix", budgets([{ nodes: "0", schedule: "@dailyish", duration: "1h" }]));
ok(NP, "budget-schedule-five-words", budgets([{ nodes: "0", schedule: "a b c d e", duration: "1h" }]));
ok(NP, "budget-schedule-hour-25", budgets([{ nodes: "0", schedule: "0 25 * * *", duration: "1h" }]));
bad(NP, "budget-schedule-star", `${BUDGETS}[0].schedule`, budgets([{ nodes: "0", schedule: "*", duration: "1h" }]));
bad(NP, "budget-schedule-four-fields", `${BUDGETS}[0].schedule`, budgets([{ nodes: "0", schedule: "* * * *", duration: "1h" }]));
bad(NP, "budget-schedule-unknown-macro", `${BUDGETS}[0].schedule`, budgets([{ nodes: "0", schedule: "@often", duration: "1h" }]));
bad(NP, "budget-duration-negative", `${BUDGETS}[0].duration`, budgets([{ nodes: "0", schedule: "@daily", duration: "-10m" }]));
bad(NP, "budget-duration-seconds", `${BUDGETS}[0].duration`, budgets([{ nodes: "0", schedule: "@daily", duration: "30s" }]));
bad(NP, "budget-duration-0s", `${BUDGETS}[0].duration`, budgets([{ nodes: "0", schedule: "@daily", duration: "0s" }]));
bad(NP, "budget-duration-days", `${BUDGETS}[0].duration`, budgets([{ nodes: "0", schedule: "@daily", duration: "1d" }]));
bad(NP, "budget-schedule-without-duration", BUDGETS, budgets([{ nodes: "0", schedule: "0 9 * * *" }]), {
  fix: "duration",
});
bad(NP, "budget-duration-without-schedule", BUDGETS, budgets([{ nodes: "0", duration: "1h" }]), { fix: "schedule" });
bad(NP, "budgets-one-invalid-crontab", `${BUDGETS}[1].schedule`, budgets([
  { nodes: "10" },
  { nodes: "0", schedule: "*", duration: "1h" },
]));
bad(NP, "budgets-one-missing-duration", BUDGETS, budgets([
  { nodes: "10" },
  { nodes: "0", schedule: "@daily", duration: "1h" },
  { nodes: "0", schedule: "@daily" },
]));
for (const r of ["Drifted", "Underutilized", "Empty"]) ok(NP, `budget-reason-${r}`, budgets([{ nodes: "1", reasons: [r] }]));
ok(NP, "budget-reasons-all", budgets([{ nodes: "1", reasons: ["Drifted", "Underutilized", "Empty"] }]));
for (const r of ["invalid", "expired", "Expired", "", "drifted"])
  bad(NP, `budget-reason-${r || "empty"}`, `${BUDGETS}[0].reasons[0]`, budgets([{ nodes: "1", reasons: [r] }]));
bad(NP, "budget-reasons-duplicate", `${BUDGETS}[0].reasons[1]`, budgets([{ nodes: "1", reasons: ["Empty", "Empty"] }]));
bad(NP, "budgets-51", `${BUDGETS}`, budgets(Array.from({ length: 51 }, () => ({ nodes: "1" }))));
ok(NP, "budgets-50", budgets(Array.from({ length: 50 }, () => ({ nodes: "1" }))));

// --- taints / startupTaints ---
for (const field of ["taints", "startupTaints"] as const) {
  const set = (ts: any[]) => (d: any) => (tmpl(d)[field] = ts);
  const P = `spec.template.spec.${field}`;
  ok(NP, `${field}-valid`, set([
    { key: "a", value: "b", effect: "NoSchedule" },
    { key: "example.com/a", effect: "PreferNoSchedule" },
    { key: "c", value: "d", effect: "NoExecute" },
  ]));
  ok(NP, `${field}-same-key-different-effects`, set([
    { key: "a", value: "b", effect: "NoSchedule" },
    { key: "a", value: "b", effect: "NoExecute" },
  ]));
  ok(NP, `${field}-long-key`, set([{ key: `example.com/${"k".repeat(63)}`, effect: "NoSchedule" }]));
  bad(NP, `${field}-bad-key`, `${P}[0].key`, set([{ key: "???", effect: "NoSchedule" }]));
  bad(NP, `${field}-key-with-two-slashes`, `${P}[0].key`, set([{ key: "a/b/c", effect: "NoSchedule" }]));
  bad(NP, `${field}-missing-key`, `${P}[0].key`, set([{ effect: "NoSchedule" }]));
  bad(NP, `${field}-empty-key`, `${P}[0].key`, set([{ key: "", effect: "NoSchedule" }]));
  bad(NP, `${field}-bad-value`, `${P}[0].value`, set([{ key: "a", value: "???", effect: "NoSchedule" }]));
  bad(NP, `${field}-bad-effect`, `${P}[0].effect`, set([{ key: "a", effect: "NoRun" }]));
  bad(NP, `${field}-missing-effect`, `${P}[0].effect`, set([{ key: "a" }]));
}

// --- requirements: keys ---
for (const key of [
  "test",
  "test.com/test",
  "test.com.com/test",
  "key-only",
  "kubernetes.io/arch",
  "kubernetes.io/os",
  "node.kubernetes.io/instance-type",
  "topology.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "beta.kubernetes.io/arch",
  "failure-domain.beta.kubernetes.io/zone",
  "kubernetes.io/custom",
  "subdomain.kubernetes.io/x",
  "node-restriction.kubernetes.io/team",
  "k8s.io/x",
  "kops.k8s.io/instancegroup",
  "karpenter.sh/capacity-type",
  "karpenter.shx/x",
  "karpenter.k8s.aws.example.com/x",
  "karpenter.k8s.aws/instance-family",
  "karpenter.k8s.aws/instance-size",
  "karpenter.k8s.aws/instance-cpu",
  "karpenter.k8s.aws/instance-memory",
  "karpenter.k8s.aws/instance-gpu-count",
  "karpenter.k8s.aws/instance-tenancy",
  "karpenter.k8s.aws/capacity-reservation-id",
  "karpenter.k8s.aws/capacity-reservation-interruptible",
  "karpenter.k8s.aws/instance-capability-flex",
  "karpenter.k8s.aws/placement-group-id",
  "karpenter.k8s.aws/ec2nodeclass",
  "topology.k8s.aws/zone-id",
  `example.com/${"n".repeat(100)}`,
])
  ok(NP, `requirement-key=${key.length > 60 ? "long-name" : key}`, pushReq({ key, operator: "Exists" }));
for (const [key, fix] of [
  ["karpenter.sh/test", undefined],
  ["subdomain.karpenter.sh/test", undefined],
  ["notkarpenter.sh/x", undefined],
  ["karpenter.sh", undefined],
  ["karpenter.sh/nodepool", undefined],
  ["karpenter.sh/capacity-typ", "karpenter.sh/capacity-type"],
  ["karpenter.k8s.aws/test", undefined],
  ["karpenter.k8s.aws", undefined],
  ["sub.karpenter.k8s.aws/instance-family", undefined],
  ["karpenter.k8s.aws/instance-categroy", "karpenter.k8s.aws/instance-category"],
  ["karpenter.k8s.aws/instance-familly", "karpenter.k8s.aws/instance-family"],
  ["karpenter.k8s.aws/instance-cpus", "karpenter.k8s.aws/instance-cpu"],
  ["karpenter.k8s.aws/instance-gpu-counts", "karpenter.k8s.aws/instance-gpu-count"],
  ["karpenter.k8s.aws/instnce-generation", "karpenter.k8s.aws/instance-generation"],
  ["karpenter.k8s.aws/nitro-sandbox", undefined],
  ["kubernetes.io/hostname", undefined],
] as const)
  bad(NP, `requirement-key=${key}`, `${REQ}[5].key`, pushReq({ key, operator: "Exists" }), fix ? { fix } : {});
for (const key of ["test/test/test", "", "test.com/", "/test", "Test.com/x", "-bad", "bad-", "a b", "test.com/t!"])
  bad(NP, `requirement-key-pattern=${key || "empty"}`, `${REQ}[5].key`, pushReq({ key, operator: "Exists" }));
bad(NP, "requirement-key-too-long", `${REQ}[5].key`, pushReq({ key: `${"d".repeat(60)}.com/${"n".repeat(63)}`.repeat(3), operator: "Exists" }));
bad(NP, "requirement-key-missing", `${REQ}[5].key`, pushReq({ operator: "Exists" }));
bad(NP, "requirement-operator-missing", `${REQ}[5].operator`, pushReq({ key: "test" }));

// --- requirements: operators and values ---
for (const op of ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"]) {
  const values = ["Gt", "Lt", "Gte", "Lte"].includes(op) ? ["1"] : op === "In" || op === "NotIn" ? ["a"] : undefined;
  ok(NP, `operator=${op}`, pushReq({ key: "example.com/a", operator: op, ...(values ? { values } : {}) }));
}
for (const op of ["within", "Equals", "in", "gt", "", "Exist"])
  bad(NP, `operator=${op || "empty"}`, `${REQ}[5].operator`, pushReq({ key: "example.com/a", operator: op, values: ["a"] }));
ok(NP, "requirements-empty", (d) => (tmpl(d).requirements = []));
ok(NP, "requirements-only-hostname-free", (d) => (tmpl(d).requirements = [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["us-west-2a"] }]));
ok(NP, "requirements-100", (d) => {
  tmpl(d).requirements = Array.from({ length: 100 }, (_, i) => ({ key: `example.com/k${i}`, operator: "Exists" }));
});
bad(NP, "requirements-101", REQ, (d) => {
  tmpl(d).requirements = Array.from({ length: 101 }, (_, i) => ({ key: `example.com/k${i}`, operator: "Exists" }));
});
bad(NP, "requirements-missing", REQ, (d) => delete tmpl(d).requirements);
bad(NP, "In-without-values", REQ, (d) => (reqs(d)[0].values = []), { fix: "add at least one value" });
bad(NP, "In-values-field-missing", REQ, (d) => delete reqs(d)[0].values);
ok(NP, "NotIn-without-values", pushReq({ key: "karpenter.k8s.aws/instance-family", operator: "NotIn", values: [] }));
ok(NP, "NotIn-values-field-missing", pushReq({ key: "karpenter.k8s.aws/instance-family", operator: "NotIn" }));
ok(NP, "Exists-with-values", pushReq({ key: "karpenter.k8s.aws/instance-gpu-count", operator: "Exists", values: ["1"] }));
ok(NP, "DoesNotExist-with-values", pushReq({ key: "karpenter.k8s.aws/instance-gpu-count", operator: "DoesNotExist", values: ["1"] }));
ok(NP, "In-value-no-instance-has", pushReq({ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["z99"] }));
ok(NP, "In-zone-of-another-region", pushReq({ key: "topology.kubernetes.io/zone", operator: "In", values: ["us-west-2a", "eu-west-1b"] }));
ok(NP, "In-unknown-capacity-type", (d) => (reqs(d)[2].values = ["spt"]));
ok(NP, "In-unknown-arch", (d) => (reqs(d)[0].values = ["x86_64"]));
// Karpenter's CRD puts the value pattern on the list, where the apiserver does not apply it.
ok(NP, "In-value-with-spaces", pushReq({ key: "example.com/a", operator: "In", values: ["has spaces"] }));
ok(NP, "In-value-too-long", pushReq({ key: "example.com/a", operator: "In", values: ["v".repeat(100)] }));
ok(NP, "In-duplicate-values", pushReq({ key: "example.com/a", operator: "In", values: ["a", "a"] }));
ok(NP, "In-over-50-values", pushReq({ key: "example.com/a", operator: "In", values: Array.from({ length: 60 }, (_, i) => `v${i}`) }));
ok(NP, "same-key-twice", pushReq({ key: "kubernetes.io/arch", operator: "In", values: ["arm64"] }));
for (const op of ["Gt", "Lt", "Gte", "Lte"]) {
  for (const [values, valid] of [
    [["0"], true],
    [["10"], true],
    [["+5"], true],
    [["007"], true],
    [["-1"], false],
    [["1.5"], false],
    [["a"], false],
    [[""], false],
    [[" 1"], false],
    [["1", "2"], false],
    [[], false],
    [["9223372036854775808"], false],
  ] as const) {
    add(NP, `${op}-values=${JSON.stringify(values)}`, valid, pushReq({ key: "karpenter.k8s.aws/instance-cpu", operator: op, values }), {
      field: valid ? undefined : REQ,
    });
  }
  bad(NP, `${op}-values-field-missing`, REQ, pushReq({ key: "karpenter.k8s.aws/instance-cpu", operator: op }));
}
// --- minValues ---
const mv = (n: any, op = "In", values: any = ["c", "m", "r"]) => (d: any) => {
  reqs(d)[3] = { key: "karpenter.k8s.aws/instance-category", operator: op, values, minValues: n };
};
ok(NP, "minValues-1", mv(1));
ok(NP, "minValues-equal-to-values", mv(3));
bad(NP, "minValues-above-values", REQ, mv(4), { fix: "minValues" });
bad(NP, "minValues-0", `${REQ}[3].minValues`, mv(0));
bad(NP, "minValues-negative", `${REQ}[3].minValues`, mv(-1));
bad(NP, "minValues-51", `${REQ}[3].minValues`, mv(51));
bad(NP, "minValues-string", `${REQ}[3].minValues`, mv("2"));
ok(NP, "minValues-50-of-60", mv(50, "In", Array.from({ length: 60 }, (_, i) => `v${i}`)));
ok(NP, "minValues-duplicates-counted", mv(2, "In", ["c", "c"]));
ok(NP, "minValues-NotIn", mv(5, "NotIn", ["t"]));
ok(NP, "minValues-Exists", mv(2, "Exists", undefined));
ok(NP, "minValues-Gt", (d) => (reqs(d)[4].minValues = 1));

// --- template labels and annotations ---
const labels = (ls: Record<string, string>) => (d: any) => (d.spec.template.metadata = { labels: ls });
const LABELS = "spec.template.metadata.labels";
for (const key of [
  "team",
  "example.com/team",
  "kops.k8s.io/instancegroup",
  "kubernetes.io/custom",
  "node-restriction.kubernetes.io/team",
  "node.kubernetes.io/custom",
  "sub.kubernetes.io/x",
  "k8s.io/x",
  "karpenter.sh/capacity-type",
  "karpenter.k8s.aws/instance-family",
  "karpenter.k8s.aws/instance-size",
  "karpenter.k8s.aws.example.com/x",
  "topology.kubernetes.io/zone",
])
  ok(NP, `label-key=${key}`, labels({ [key]: "x" }));
ok(NP, "label-empty-value", labels({ team: "" }));
ok(NP, "label-value-63", labels({ team: "v".repeat(63) }));
ok(NP, "labels-100", labels(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, "v"]))));
ok(NP, "annotations", (d) => (d.spec.template.metadata = { annotations: { "example.com/a": "any value at all" } }));
for (const key of [
  "karpenter.sh/nodepool",
  "karpenter.sh/custom",
  "sub.karpenter.sh/x",
  "karpenter.k8s.aws/custom",
  "karpenter.k8s.aws/instance-categroy",
  "kubernetes.io/hostname",
])
  bad(NP, `label-key=${key}`, LABELS, labels({ [key]: "x" }));
bad(NP, "label-value-64", `${LABELS}[team]`, labels({ team: "v".repeat(64) }));
bad(NP, "label-value-spaces", `${LABELS}[team]`, labels({ team: "data science" }));
bad(NP, "label-value-symbol", `${LABELS}[team]`, labels({ team: "???" }));
bad(NP, "label-value-trailing-dash", `${LABELS}[team]`, labels({ team: "abc-" }));
bad(NP, "labels-101", LABELS, labels(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"]))));

// --- nodeClassRef ---
const ref = (r: any) => (d: any) => (tmpl(d).nodeClassRef = r);
const REF = "spec.template.spec.nodeClassRef";
ok(NP, "nodeClassRef-other-provider", ref({ group: "example.com", kind: "OtherNodeClass", name: "x" }));
bad(NP, "nodeClassRef-empty-group", `${REF}.group`, ref({ group: "", kind: "EC2NodeClass", name: "default" }));
bad(NP, "nodeClassRef-empty-kind", `${REF}.kind`, ref({ group: "karpenter.k8s.aws", kind: "", name: "default" }));
bad(NP, "nodeClassRef-empty-name", `${REF}.name`, ref({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "" }));
bad(NP, "nodeClassRef-no-group", `${REF}.group`, ref({ kind: "EC2NodeClass", name: "default" }));
bad(NP, "nodeClassRef-no-kind", `${REF}.kind`, ref({ group: "karpenter.k8s.aws", name: "default" }));
bad(NP, "nodeClassRef-no-name", `${REF}.name`, ref({ group: "karpenter.k8s.aws", kind: "EC2NodeClass" }));
bad(NP, "nodeClassRef-group-with-slash", `${REF}.group`, ref({ group: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", name: "default" }));
bad(NP, "nodeClassRef-missing", REF, (d) => delete tmpl(d).nodeClassRef);

// --- weight, limits, replicas ---
for (const [w, valid] of [[1, true], [100, true], [50, true], [0, false], [101, false], [-1, false], ["10", false], [1.5, false]] as const)
  add(NP, `weight=${w}`, valid, (d) => (d.spec.weight = w), { field: valid ? undefined : "spec.weight" });
for (const [q, valid] of [
  [1000, true],
  ["1000", true],
  ["1.5", true],
  ["500m", true],
  ["1e3", true],
  ["64Gi", true],
  ["1Ki", true],
  ["-1", true],
  ["lots", false],
  ["1KB", false],
  ["1.2.3", false],
  ["", false],
] as const)
  add(NP, `limit=${q === "" ? "empty" : JSON.stringify(q)}`, valid, (d) => (d.spec.limits = { memory: q }), {
    field: valid ? undefined : "spec.limits[memory]",
  });
ok(NP, "limit-unknown-resource", (d) => (d.spec.limits = { cpus: "100" }));
ok(NP, "limit-extended-resource", (d) => (d.spec.limits = { "nvidia.com/gpu": "8", nodes: "10" }));
ok(NP, "limits-empty", (d) => (d.spec.limits = {}));
const stat = (n: any) => (d: any) => {
  d.spec.replicas = n;
  d.spec.limits = { nodes: "10" };
};
for (const n of [0, 1, 5, 1000000]) ok(NP, `static-replicas=${n}`, stat(n));
bad(NP, "static-replicas-negative", "spec.replicas", stat(-1));
bad(NP, "static-replicas-string", "spec.replicas", stat("3"));
for (const r of ["cpu", "memory", "pods", "ephemeral-storage"])
  bad(NP, `static-limits-${r}`, "spec", (d) => {
    d.spec.replicas = 2;
    d.spec.limits = { [r]: "10" };
  });
bad(NP, "static-limits-nodes-and-cpu", "spec", (d) => {
  d.spec.replicas = 2;
  d.spec.limits = { nodes: "10", cpu: "10" };
});
bad(NP, "static-weight", "spec", (d) => {
  stat(2)(d);
  d.spec.weight = 10;
});
ok(NP, "static-no-limits", (d) => {
  d.spec.replicas = 2;
  delete d.spec.limits;
});
ok(NP, "static-empty-limits", (d) => {
  d.spec.replicas = 2;
  d.spec.limits = {};
});
ok(NP, "static-with-budgets-labels-taints", (d) => {
  stat(3)(d);
  d.spec.disruption.budgets = [{ nodes: "1", reasons: ["Drifted"] }, { nodes: "0", schedule: "@daily", duration: "1h" }];
  d.spec.template.metadata = { labels: { team: "a" }, annotations: { a: "b" } };
  tmpl(d).taints = [{ key: "a", effect: "NoSchedule" }];
  tmpl(d).startupTaints = [{ key: "b", effect: "NoSchedule" }];
  tmpl(d).terminationGracePeriod = "1h";
  tmpl(d).expireAfter = "Never";
});

// --- structure ---
bad(NP, "unknown-spec-field", "spec.foo", (d) => (d.spec.foo = "bar"));
bad(NP, "unknown-template-field", "spec.template.spec.kubelet", (d) => (tmpl(d).kubelet = { maxPods: 10 }));
bad(NP, "v1beta1-consolidationPolicy", "spec.disruption.consolidationPolicy", (d) => (d.spec.disruption.consolidationPolicy = "WhenUnderutilized"));
bad(NP, "template-missing", "spec.template", (d) => delete d.spec.template);
bad(NP, "template-spec-missing", "spec.template.spec", (d) => delete d.spec.template.spec);
bad(NP, "requirements-not-a-list", REQ, (d) => (tmpl(d).requirements = { key: "a" }));

// --- updates (transition rules) ---
const upd = (id: string, valid: boolean, field: string | undefined, old: (d: any) => void, now: (d: any) => void) =>
  entries.push({ id: `nodepool/update-${id}`, kind: NP, old: base(NP, old), doc: base(NP, now), valid, ...(field ? { field } : {}) });
upd("same", true, undefined, () => {}, () => {});
upd("nodeClassRef-name", true, undefined, () => {}, (d) => (tmpl(d).nodeClassRef.name = "other"));
upd("nodeClassRef-group", false, REF, () => {}, (d) => (tmpl(d).nodeClassRef.group = "example.com"));
upd("nodeClassRef-kind", false, REF, () => {}, (d) => (tmpl(d).nodeClassRef.kind = "OtherNodeClass"));
upd("replicas-increase", true, undefined, stat(1), stat(5));
upd("static-nodes-limit", true, undefined, stat(2), (d) => {
  stat(2)(d);
  d.spec.limits = { nodes: "20" };
});
upd("static-to-dynamic", false, "spec", stat(2), (d) => (d.spec.limits = { nodes: "10" }));
upd("dynamic-to-static", false, "spec", (d) => (d.spec.limits = { nodes: "10" }), stat(2));
upd("requirements-change", true, undefined, () => {}, (d) => (reqs(d)[0].values = ["arm64"]));

// ============================== EC2NodeClass ==============================
const EC = "EC2NodeClass" as const;
ok(EC, "getting-started", () => {});
ok(EC, "instanceProfile", (d) => {
  delete d.spec.role;
  d.spec.instanceProfile = "KarpenterNodeInstanceProfile";
});
bad(EC, "role-and-instanceProfile", "spec", (d) => (d.spec.instanceProfile = "p"));
bad(EC, "neither-role-nor-instanceProfile", "spec", (d) => delete d.spec.role);
bad(EC, "empty-role", "spec.role", (d) => (d.spec.role = ""));
bad(EC, "empty-instanceProfile", "spec.instanceProfile", (d) => {
  delete d.spec.role;
  d.spec.instanceProfile = "";
});
ok(EC, "role-arn", (d) => (d.spec.role = "arn:aws:iam::123456789012:role/KarpenterNodeRole"));

// --- AMI selection ---
const ami = (terms: any[], family?: string) => (d: any) => {
  d.spec.amiSelectorTerms = terms;
  if (family !== undefined) d.spec.amiFamily = family;
};
const AMI = "spec.amiSelectorTerms";
for (const [alias, family, valid] of [
  ["al2@latest", undefined, true],
  ["al2@latest", "AL2", true],
  ["al2@latest", "Custom", true],
  ["al2@latest", "AL2023", false],
  ["al2@v20240807", undefined, true],
  ["al2023@latest", "AL2023", true],
  ["al2023@latest", "Custom", true],
  ["al2023@latest", "AL2", false],
  ["al2023@latest", "Bottlerocket", false],
  ["al2023@v20240807", undefined, true],
  ["bottlerocket@latest", "Bottlerocket", true],
  ["bottlerocket@v1.20.0", undefined, true],
  ["bottlerocket@latest", "AL2", false],
  ["windows2019@latest", "Windows2019", true],
  ["windows2019@latest", "Windows2022", false],
  ["windows2022@latest", "Windows2022", true],
  ["windows2022@latest", "Custom", true],
  ["windows2022@latest", "Windows2025", false],
  ["windows2025@latest", "Windows2025", true],
  ["windows2025@latest", undefined, true],
  ["al2023@latest@extra", undefined, true],
] as const)
  add(EC, `alias=${alias}${family ? `+${family}` : ""}`, valid, ami([{ alias }], family), { field: valid ? undefined : "spec" });
for (const [alias, fix] of [
  ["al2023", "family@version"],
  ["@latest", "family@version"],
  ["al2023@", "family@version"],
  ["al-2023@latest", "family@version"],
  ["AL2023@latest", undefined],
  ["ubuntu@latest", undefined],
  ["al2024@latest", undefined],
  ["windows2022@v1", "latest"],
  ["windows2019@2024.01", "latest"],
  ["bottlerocket@v1.20.0-with-a-very-long-suffix", undefined],
] as const)
  bad(EC, `alias=${alias}`, `${AMI}[0].alias`, ami([{ alias }]), fix ? { fix } : {});
bad(EC, "alias-empty", `${AMI}[0].alias`, ami([{ alias: "" }]));
bad(EC, "amiFamily-unknown", "spec.amiFamily", ami([{ alias: "al2023@latest" }], "Ubuntu"));
bad(EC, "amiFamily-lowercase", "spec.amiFamily", ami([{ id: "ami-123" }], "al2023"));
bad(EC, "no-alias-no-amiFamily", "spec", ami([{ id: "ami-123" }]), { fix: "amiFamily" });
bad(EC, "ssmParameter-no-amiFamily", "spec", ami([{ ssmParameter: "/aws/service/x" }]));
for (const family of ["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025"])
  ok(EC, `id+amiFamily=${family}`, ami([{ id: "ami-0123abcd" }], family));
ok(EC, "tags+amiFamily", ami([{ tags: { Name: "my-ami" } }], "AL2023"));
ok(EC, "name+owner", ami([{ name: "my-ami-*", owner: "self" }], "AL2023"));
ok(EC, "name-only", ami([{ name: "my-ami-*" }], "Custom"));
ok(EC, "ssmParameter", ami([{ ssmParameter: "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id" }], "Custom"));
ok(EC, "id-next-to-tags-term", ami([{ id: "ami-123" }, { tags: { a: "b" } }], "AL2023"));
ok(EC, "id-next-to-name-term", ami([{ id: "ami-123" }, { name: "x", owner: "amazon" }], "AL2"));
ok(EC, "ami-id-unanchored-pattern", ami([{ id: "my-ami-123" }], "AL2023"));
ok(EC, "ami-terms-30", ami(Array.from({ length: 30 }, (_, i) => ({ id: `ami-${i}` })), "AL2023"));
bad(EC, "ami-terms-31", AMI, ami(Array.from({ length: 31 }, (_, i) => ({ id: `ami-${i}` })), "AL2023"));
bad(EC, "ami-id-bad", `${AMI}[0].id`, ami([{ id: "img-123" }], "AL2023"));
bad(EC, "ami-id-uppercase", `${AMI}[0].id`, ami([{ id: "ami-ABC" }], "AL2023"));
bad(EC, "alias-with-id", AMI, ami([{ alias: "al2023@latest", id: "ami-123" }]));
bad(EC, "alias-with-tags", AMI, ami([{ alias: "al2023@latest", tags: { a: "b" } }]));
bad(EC, "alias-with-name", AMI, ami([{ alias: "al2023@latest", name: "x" }]));
bad(EC, "alias-with-owner", AMI, ami([{ alias: "al2023@latest", owner: "self" }]));
bad(EC, "alias-next-to-another-term", AMI, ami([{ alias: "al2023@latest" }, { id: "ami-123" }]));
bad(EC, "two-aliases", AMI, ami([{ alias: "al2023@latest" }, { alias: "al2@latest" }]));
bad(EC, "id-with-tags", AMI, ami([{ id: "ami-123", tags: { a: "b" } }], "AL2023"));
bad(EC, "id-with-name", AMI, ami([{ id: "ami-123", name: "x" }], "AL2023"));
bad(EC, "id-with-owner", AMI, ami([{ id: "ami-123", owner: "self" }], "AL2023"));
bad(EC, "id-with-tags-next-to-good-term", AMI, ami([{ id: "ami-123", tags: { a: "b" } }, { tags: { c: "d" } }], "AL2023"));
bad(EC, "ami-empty-term", AMI, ami([{}], "AL2023"));
bad(EC, "ami-owner-only", AMI, ami([{ owner: "self" }], "AL2023"));
bad(EC, "ami-terms-empty", AMI, ami([], "AL2023"));
bad(EC, "ami-terms-missing", AMI, (d) => delete d.spec.amiSelectorTerms);
bad(EC, "ami-tags-empty-value", `${AMI}[0].tags`, ami([{ tags: { a: "" } }], "AL2023"));
bad(EC, "ami-tags-empty-key", `${AMI}[0].tags`, ami([{ tags: { "": "b" } }], "AL2023"));
bad(EC, "ami-tags-21", `${AMI}[0].tags`, ami([{ tags: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"])) }], "AL2023"));
ok(EC, "ami-tags-20", ami([{ tags: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, "v"])) }], "AL2023"));
ok(EC, "ami-tags-wildcard", ami([{ tags: { Name: "*" } }], "AL2023"));

// --- subnets and security groups ---
const subnets = (terms: any) => (d: any) => (d.spec.subnetSelectorTerms = terms);
const sgs = (terms: any) => (d: any) => (d.spec.securityGroupSelectorTerms = terms);
const SUB = "spec.subnetSelectorTerms";
const SG = "spec.securityGroupSelectorTerms";
ok(EC, "subnet-id", subnets([{ id: "subnet-0123abcd" }]));
ok(EC, "subnet-ids-and-tags-terms", subnets([{ id: "subnet-1" }, { tags: { a: "b" } }]));
ok(EC, "subnet-id-unanchored", subnets([{ id: "my-subnet-1" }]));
ok(EC, "subnet-id-with-tags-next-to-good-term", subnets([{ id: "subnet-1", tags: { a: "b" } }, { tags: { c: "d" } }]));
ok(EC, "subnet-terms-30", subnets(Array.from({ length: 30 }, (_, i) => ({ id: `subnet-${i}` }))));
bad(EC, "subnet-terms-31", SUB, subnets(Array.from({ length: 31 }, (_, i) => ({ id: `subnet-${i}` }))));
bad(EC, "subnet-terms-empty", SUB, subnets([]));
bad(EC, "subnet-terms-missing", SUB, (d) => delete d.spec.subnetSelectorTerms);
bad(EC, "subnet-empty-term", SUB, subnets([{}]));
bad(EC, "subnet-id-with-tags", SUB, subnets([{ id: "subnet-1", tags: { a: "b" } }]));
bad(EC, "subnet-id-bad", `${SUB}[0].id`, subnets([{ id: "sn-1" }]));
bad(EC, "subnet-name-unsupported", `${SUB}[0].name`, subnets([{ name: "private" }]));
bad(EC, "subnet-tags-empty-value", `${SUB}[0].tags`, subnets([{ tags: { "karpenter.sh/discovery": "" } }]));
ok(EC, "sg-id", sgs([{ id: "sg-0123abcd" }]));
ok(EC, "sg-name", sgs([{ name: "my-sg" }]));
ok(EC, "sg-id-with-name-next-to-good-term", sgs([{ id: "sg-1", name: "x" }, { name: "y" }]));
ok(EC, "sg-name-with-tags-next-to-good-term", sgs([{ name: "x", tags: { a: "b" } }, { id: "sg-2" }]));
bad(EC, "sg-terms-empty", SG, sgs([]));
bad(EC, "sg-empty-term", SG, sgs([{}]));
bad(EC, "sg-id-with-tags", SG, sgs([{ id: "sg-1", tags: { a: "b" } }]));
bad(EC, "sg-id-with-name", SG, sgs([{ id: "sg-1", name: "x" }]));
bad(EC, "sg-name-with-tags", SG, sgs([{ name: "x", tags: { a: "b" } }]));
bad(EC, "sg-id-bad", `${SG}[0].id`, sgs([{ id: "group-1" }]));
bad(EC, "sg-tags-empty-key", `${SG}[0].tags`, sgs([{ tags: { "": "x" } }]));

// --- capacity reservations ---
const crs = (terms: any) => (d: any) => (d.spec.capacityReservationSelectorTerms = terms);
const CR = "spec.capacityReservationSelectorTerms";
ok(EC, "cr-id", crs([{ id: "cr-0123abcd" }]));
ok(EC, "cr-tags", crs([{ tags: { a: "b" } }]));
ok(EC, "cr-tags-ownerID", crs([{ tags: { a: "b" }, ownerID: "123456789012" }]));
ok(EC, "cr-instanceMatchCriteria-open", crs([{ instanceMatchCriteria: "open" }]));
ok(EC, "cr-instanceMatchCriteria-targeted-tags", crs([{ instanceMatchCriteria: "targeted", tags: { a: "b" } }]));
ok(EC, "cr-id-with-tags-next-to-good-term", crs([{ id: "cr-1", tags: { a: "b" } }, { tags: { c: "d" } }]));
bad(EC, "cr-id-uppercase", `${CR}[0].id`, crs([{ id: "cr-ABC" }]));
bad(EC, "cr-id-prefix", `${CR}[0].id`, crs([{ id: "my-cr-1" }]));
bad(EC, "cr-ownerID-only", CR, crs([{ ownerID: "123456789012" }]));
bad(EC, "cr-empty-term", CR, crs([{}]));
bad(EC, "cr-id-with-ownerID", CR, crs([{ id: "cr-1", ownerID: "123456789012" }]));
bad(EC, "cr-id-with-tags", CR, crs([{ id: "cr-1", tags: { a: "b" } }]));
bad(EC, "cr-id-with-instanceMatchCriteria", CR, crs([{ id: "cr-1", instanceMatchCriteria: "open" }]));
bad(EC, "cr-ownerID-short", `${CR}[0].ownerID`, crs([{ tags: { a: "b" }, ownerID: "1234" }]));
bad(EC, "cr-instanceMatchCriteria-unknown", `${CR}[0].instanceMatchCriteria`, crs([{ instanceMatchCriteria: "closed" }]));
// `!self.all(...)` is false on an empty list: Karpenter rejects an empty list of capacity reservation terms.
bad(EC, "cr-terms-empty", CR, crs([]));

// --- block devices ---
const bdm = (ms: any[]) => (d: any) => (d.spec.blockDeviceMappings = ms);
const BDM = "spec.blockDeviceMappings";
const vol = (ebs: any, extra: any = {}) => ({ deviceName: "/dev/xvda", ebs, ...extra });
ok(EC, "bdm-root", bdm([vol({ volumeSize: "100Gi", volumeType: "gp3", iops: 3000, throughput: 125, encrypted: true }, { rootVolume: true })]));
ok(EC, "bdm-two-not-root", bdm([vol({ volumeSize: "20Gi" }, { rootVolume: false }), { deviceName: "/dev/xvdb", ebs: { volumeSize: "20Gi" }, rootVolume: false }]));
ok(EC, "bdm-snapshot-only", bdm([vol({ snapshotID: "snap-123" })]));
ok(EC, "bdm-init-rate-with-snapshot", bdm([vol({ snapshotID: "snap-123", volumeInitializationRate: 100 })]));
ok(EC, "bdm-no-ebs", bdm([{ deviceName: "/dev/xvda" }]));
ok(EC, "bdm-throughput-on-gp2", bdm([vol({ volumeSize: "20Gi", volumeType: "gp2", throughput: 250 })]));
for (const [size, valid] of [
  ["1Gi", true],
  ["59000Gi", true],
  ["64000G", true],
  ["58Ti", true],
  ["64T", true],
  ["100G", true],
  ["59001Gi", false],
  ["64001G", false],
  ["59Ti", false],
  ["65T", false],
  ["0Gi", false],
  ["100GB", false],
  ["100", false],
  ["1.5Gi", false],
] as const)
  add(EC, `bdm-volumeSize=${size}`, valid, bdm([vol({ volumeSize: size })]), { field: valid ? undefined : `${BDM}[0].ebs.volumeSize` });
for (const t of ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"]) ok(EC, `bdm-volumeType=${t}`, bdm([vol({ volumeSize: "20Gi", volumeType: t })]));
bad(EC, "bdm-volumeType-gp4", `${BDM}[0].ebs.volumeType`, bdm([vol({ volumeSize: "20Gi", volumeType: "gp4" })]));
bad(EC, "bdm-two-roots", BDM, bdm([vol({ volumeSize: "20Gi" }, { rootVolume: true }), { deviceName: "/dev/xvdb", ebs: { volumeSize: "20Gi" }, rootVolume: true }]));
bad(EC, "bdm-ebs-without-size-or-snapshot", `${BDM}[0].ebs`, bdm([vol({ volumeType: "gp3" })]));
bad(EC, "bdm-init-rate-without-snapshot", `${BDM}[0].ebs`, bdm([vol({ volumeSize: "20Gi", volumeInitializationRate: 100 })]));
bad(EC, "bdm-init-rate-empty-snapshot", `${BDM}[0].ebs`, bdm([vol({ snapshotID: "", volumeSize: "20Gi", volumeInitializationRate: 100 })]));
bad(EC, "bdm-init-rate-99", `${BDM}[0].ebs.volumeInitializationRate`, bdm([vol({ snapshotID: "snap-1", volumeInitializationRate: 99 })]));
bad(EC, "bdm-init-rate-301", `${BDM}[0].ebs.volumeInitializationRate`, bdm([vol({ snapshotID: "snap-1", volumeInitializationRate: 301 })]));
bad(EC, "bdm-51", BDM, bdm(Array.from({ length: 51 }, (_, i) => ({ deviceName: `/dev/xvd${i}`, ebs: { volumeSize: "1Gi" } }))));

// --- metadata options ---
const mo = (m: any) => (d: any) => (d.spec.metadataOptions = m);
const MO = "spec.metadataOptions";
for (const [hop, valid] of [[1, true], [2, true], [64, true], [0, false], [65, false], [-1, false]] as const)
  add(EC, `hopLimit=${hop}`, valid, mo({ httpPutResponseHopLimit: hop }), { field: valid ? undefined : `${MO}.httpPutResponseHopLimit` });
ok(EC, "httpTokens-optional", mo({ httpTokens: "optional" }));
ok(EC, "httpEndpoint-disabled", mo({ httpEndpoint: "disabled" }));
ok(EC, "httpProtocolIPv6-enabled", mo({ httpProtocolIPv6: "enabled" }));
bad(EC, "httpTokens-maybe", `${MO}.httpTokens`, mo({ httpTokens: "maybe" }));
bad(EC, "httpEndpoint-off", `${MO}.httpEndpoint`, mo({ httpEndpoint: "off" }));
bad(EC, "httpProtocolIPv6-yes", `${MO}.httpProtocolIPv6`, mo({ httpProtocolIPv6: "yes" }));

// --- kubelet ---
const kl = (k: any) => (d: any) => (d.spec.kubelet = k);
const KL = "spec.kubelet";
ok(EC, "kubelet-full", kl({
  maxPods: 110,
  podsPerCore: 10,
  systemReserved: { cpu: "100m", memory: "100Mi", "ephemeral-storage": "1Gi", pid: "100" },
  kubeReserved: { cpu: "200m", memory: "100Mi" },
  evictionHard: { "memory.available": "5%", "nodefs.available": "10%", "pid.available": "10%" },
  evictionSoft: { "memory.available": "500Mi" },
  evictionSoftGracePeriod: { "memory.available": "1m" },
  evictionMaxPodGracePeriod: 60,
  imageGCHighThresholdPercent: 85,
  imageGCLowThresholdPercent: 80,
  cpuCFSQuota: true,
  clusterDNS: ["10.100.0.10"],
}));
ok(EC, "kubelet-maxPods-0", kl({ maxPods: 0 }));
ok(EC, "kubelet-clusterDNS-not-ip", kl({ clusterDNS: ["kube-dns"] }));
ok(EC, "kubelet-imageGC-high-only", kl({ imageGCHighThresholdPercent: 90 }));
ok(EC, "kubelet-empty", kl({}));
bad(EC, "kubelet-maxPods-negative", `${KL}.maxPods`, kl({ maxPods: -1 }));
bad(EC, "kubelet-podsPerCore-negative", `${KL}.podsPerCore`, kl({ podsPerCore: -1 }));
bad(EC, "kubelet-imageGC-inverted", KL, kl({ imageGCHighThresholdPercent: 50, imageGCLowThresholdPercent: 80 }));
bad(EC, "kubelet-imageGC-equal", KL, kl({ imageGCHighThresholdPercent: 80, imageGCLowThresholdPercent: 80 }));
bad(EC, "kubelet-imageGC-101", `${KL}.imageGCHighThresholdPercent`, kl({ imageGCHighThresholdPercent: 101 }));
bad(EC, "kubelet-evictionHard-unknown-signal", `${KL}.evictionHard`, kl({ evictionHard: { "memory.free": "5%" } }));
bad(EC, "kubelet-evictionHard-bad-value", `${KL}.evictionHard[memory.available]`, kl({ evictionHard: { "memory.available": "lots" } }));
bad(EC, "kubelet-evictionHard-101%", `${KL}.evictionHard[memory.available]`, kl({ evictionHard: { "memory.available": "101%" } }));
bad(EC, "kubelet-evictionSoft-without-grace", KL, kl({ evictionSoft: { "memory.available": "5%" } }));
bad(EC, "kubelet-grace-without-evictionSoft", KL, kl({ evictionSoftGracePeriod: { "memory.available": "1m" } }));
bad(EC, "kubelet-evictionSoft-grace-mismatch", KL, kl({ evictionSoft: { "memory.available": "5%" }, evictionSoftGracePeriod: { "nodefs.available": "1m" } }));
bad(EC, "kubelet-systemReserved-gpu", `${KL}.systemReserved`, kl({ systemReserved: { gpu: "1" } }));
bad(EC, "kubelet-kubeReserved-negative", `${KL}.kubeReserved`, kl({ kubeReserved: { cpu: "-1" } }));
bad(EC, "kubelet-kubeReserved-percent", `${KL}.kubeReserved[cpu]`, kl({ kubeReserved: { cpu: "10%" } }));
bad(EC, "kubelet-unknown-field", `${KL}.maxpods`, kl({ maxpods: 10 }));

// --- tags ---
const tags = (t: any) => (d: any) => (d.spec.tags = t);
ok(EC, "tags", tags({ team: "platform", "example.com/owner": "me" }));
ok(EC, "tags-aws-prefix", tags({ "aws:team": "x" }));
ok(EC, "tags-empty-value", tags({ team: "" }));
ok(EC, "tags-kubernetes.io-other", tags({ "kubernetes.io/role": "x" }));
for (const key of [
  "kubernetes.io/cluster/my-cluster",
  "kubernetes.io/clusterfoo",
  "eks:eks-cluster-name",
  "karpenter.sh/nodepool",
  "karpenter.sh/nodeclaim",
  "karpenter.k8s.aws/ec2nodeclass",
  "",
])
  bad(EC, `tag-restricted=${key || "empty"}`, "spec.tags", tags({ [key]: "x" }));

// --- network interfaces, placement, connection tracking, misc ---
const nis = (n: any[]) => (d: any) => (d.spec.networkInterfaces = n);
const NI = "spec.networkInterfaces";
const ni = (networkCardIndex: number, deviceIndex: number, interfaceType: string) => ({ networkCardIndex, deviceIndex, interfaceType });
ok(EC, "ni-empty", nis([]));
ok(EC, "ni-primary", nis([ni(0, 0, "interface")]));
ok(EC, "ni-primary-and-efa", nis([ni(0, 0, "interface"), ni(1, 0, "efa-only"), ni(2, 0, "efa-only")]));
ok(EC, "ni-primary-and-secondary", nis([ni(0, 0, "interface"), ni(0, 1, "efa-only")]));
bad(EC, "ni-no-primary", NI, nis([ni(0, 0, "efa-only")]));
bad(EC, "ni-primary-on-card-1", NI, nis([ni(1, 0, "interface")]));
bad(EC, "ni-duplicate", NI, nis([ni(0, 0, "interface"), ni(0, 0, "interface")]));
bad(EC, "ni-two-efa-one-card", NI, nis([ni(0, 0, "interface"), ni(1, 0, "efa-only"), ni(1, 1, "efa-only")]));
bad(EC, "ni-type-unknown", `${NI}[0].interfaceType`, nis([ni(0, 0, "eni")]));
bad(EC, "ni-missing-field", `${NI}[0].deviceIndex`, nis([{ networkCardIndex: 0, interfaceType: "interface" }]));
bad(EC, "ni-negative-index", `${NI}[1].deviceIndex`, nis([ni(0, 0, "interface"), ni(1, -1, "efa-only")]));
const pg = (p: any) => (d: any) => (d.spec.placementGroupSelector = p);
ok(EC, "pg-name", pg({ name: "my-pg" }));
ok(EC, "pg-id", pg({ id: "pg-0123abcd" }));
bad(EC, "pg-empty", "spec.placementGroupSelector", pg({}));
bad(EC, "pg-name-and-id", "spec.placementGroupSelector", pg({ name: "x", id: "pg-1" }));
bad(EC, "pg-id-bad", "spec.placementGroupSelector.id", pg({ id: "pg-ABC" }));
const ct = (c: any) => (d: any) => (d.spec.connectionTracking = c);
ok(EC, "ct-tcp", ct({ tcpEstablishedTimeout: 60 }));
ok(EC, "ct-all", ct({ tcpEstablishedTimeout: 432000, udpStreamTimeout: 180, udpTimeout: 30 }));
bad(EC, "ct-empty", "spec.connectionTracking", ct({}));
bad(EC, "ct-tcp-59", "spec.connectionTracking.tcpEstablishedTimeout", ct({ tcpEstablishedTimeout: 59 }));
bad(EC, "ct-udp-61", "spec.connectionTracking.udpTimeout", ct({ udpTimeout: 61 }));
bad(EC, "ct-udpStream-181", "spec.connectionTracking.udpStreamTimeout", ct({ udpStreamTimeout: 181 }));
ok(EC, "cpu-nested-virt", (d) => (d.spec.cpuOptions = { nestedVirtualization: "enabled" }));
bad(EC, "cpu-nested-virt-on", "spec.cpuOptions.nestedVirtualization", (d) => (d.spec.cpuOptions = { nestedVirtualization: "on" }));
ok(EC, "instanceStorePolicy-RAID0", (d) => (d.spec.instanceStorePolicy = "RAID0"));
bad(EC, "instanceStorePolicy-RAID1", "spec.instanceStorePolicy", (d) => (d.spec.instanceStorePolicy = "RAID1"));
ok(EC, "ipPrefixCount-0", (d) => (d.spec.ipPrefixCount = 0));
bad(EC, "ipPrefixCount-negative", "spec.ipPrefixCount", (d) => (d.spec.ipPrefixCount = -1));
ok(EC, "misc-fields", (d) => {
  d.spec.associatePublicIPAddress = true;
  d.spec.detailedMonitoring = true;
  d.spec.userData = "#!/bin/bash\necho hello\n";
  d.spec.context = "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-1";
});
bad(EC, "unknown-field-amiSelector", "spec.amiSelector", (d) => (d.spec.amiSelector = { "aws-ids": "ami-1" }));
bad(EC, "associatePublicIPAddress-string", "spec.associatePublicIPAddress", (d) => (d.spec.associatePublicIPAddress = "yes"));
entries.push({
  id: "ec2nodeclass/update-role-change",
  kind: EC,
  old: base(EC),
  doc: base(EC, (d) => (d.spec.role = "OtherRole")),
  valid: true,
});

// ============================== NodeClaim ==============================
const NC = "NodeClaim" as const;
const creqs = (d: any) => d.spec.requirements;
ok(NC, "basic", () => {});
ok(NC, "nodepool-key-allowed", (d) => creqs(d).push({ key: "karpenter.sh/nodepool", operator: "In", values: ["default"] }));
ok(NC, "aws-key", (d) => creqs(d).push({ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5"] }));
ok(NC, "NotIn-empty", (d) => creqs(d).push({ key: "example.com/a", operator: "NotIn", values: [] }));
ok(NC, "resources", (d) => (d.spec.resources = { requests: { cpu: "1", memory: "1Gi", pods: 10 } }));
ok(NC, "taints", (d) => (d.spec.taints = [{ key: "a", effect: "NoSchedule" }]));
ok(NC, "expireAfter-Never", (d) => (d.spec.expireAfter = "Never"));
ok(NC, "terminationGracePeriod", (d) => (d.spec.terminationGracePeriod = "1h"));
ok(NC, "minValues", (d) => (creqs(d)[0] = { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large", "m5.xlarge"], minValues: 2 }));
bad(NC, "hostname-key", "spec.requirements[2].key", (d) => creqs(d).push({ key: "kubernetes.io/hostname", operator: "In", values: ["a"] }));
bad(NC, "restricted-karpenter.sh", "spec.requirements[2].key", (d) => creqs(d).push({ key: "karpenter.sh/foo", operator: "Exists" }));
bad(NC, "restricted-karpenter.k8s.aws", "spec.requirements[2].key", (d) => creqs(d).push({ key: "karpenter.k8s.aws/foo", operator: "Exists" }));
bad(NC, "In-without-values", "spec.requirements", (d) => (creqs(d)[0].values = []));
bad(NC, "Gt-not-integer", "spec.requirements", (d) => creqs(d).push({ key: "karpenter.k8s.aws/instance-cpu", operator: "Gt", values: ["x"] }));
bad(NC, "minValues-above-values", "spec.requirements", (d) => (creqs(d)[0].minValues = 3));
bad(NC, "missing-nodeClassRef", "spec.nodeClassRef", (d) => delete d.spec.nodeClassRef);
bad(NC, "missing-requirements", "spec.requirements", (d) => delete d.spec.requirements);
bad(NC, "empty-nodeClassRef-group", "spec.nodeClassRef.group", (d) => (d.spec.nodeClassRef.group = ""));
bad(NC, "resources-not-quantity", "spec.resources.requests[cpu]", (d) => (d.spec.resources = { requests: { cpu: "lots" } }));
bad(NC, "taint-bad-effect", "spec.taints[0].effect", (d) => (d.spec.taints = [{ key: "a", effect: "Never" }]));
bad(NC, "expireAfter-days", "spec.expireAfter", (d) => (d.spec.expireAfter = "1d"));
bad(NC, "terminationGracePeriod-Never", "spec.terminationGracePeriod", (d) => (d.spec.terminationGracePeriod = "Never"));
bad(NC, "unknown-field", "spec.nodePool", (d) => (d.spec.nodePool = "default"));
bad(NC, "missing-spec", "spec", (d) => delete d.spec);
entries.push(
  { id: "nodeclaim/update-same-spec", kind: NC, old: base(NC), doc: base(NC, (d) => (d.metadata.labels = { a: "b" })), valid: true },
  { id: "nodeclaim/update-spec-changed", kind: NC, old: base(NC), doc: base(NC, (d) => (creqs(d)[0].values = ["m5.xlarge"])), valid: false, field: "spec", fix: "NodePool" },
  { id: "nodeclaim/update-expireAfter-changed", kind: NC, old: base(NC), doc: base(NC, (d) => (d.spec.expireAfter = "1h")), valid: false, field: "spec" },
);

// ============================== NodeOverlay ==============================
const NO = "NodeOverlay" as const;
const oreqs = (d: any) => d.spec.requirements;
ok(NO, "priceAdjustment", () => {});
for (const [v, valid] of [
  ["-10%", true],
  ["+10%", true],
  ["-100%", true],
  ["-50.5%", true],
  ["+0.5", true],
  ["-0.5", true],
  ["+150%", true],
  ["-101%", false],
  ["-100.5%", false],
  ["10%", false],
  ["10", false],
  ["+", false],
  ["%", false],
] as const)
  add(NO, `priceAdjustment=${v}`, valid, (d) => (d.spec.priceAdjustment = v), { field: valid ? undefined : "spec.priceAdjustment" });
for (const [v, valid] of [["1.5", true], ["0", true], ["10", true], ["$1", false], ["1.", false], ["-1", false], [".5", false]] as const)
  add(NO, `price=${v}`, valid, (d) => {
    delete d.spec.priceAdjustment;
    d.spec.price = v;
  }, { field: valid ? undefined : "spec.price" });
bad(NO, "price-and-priceAdjustment", "spec", (d) => (d.spec.price = "1.0"));
ok(NO, "capacity-extended", (d) => (d.spec.capacity = { "example.com/gpu": "1", "hugepages-2Mi": "1Gi" }));
for (const r of ["cpu", "memory", "ephemeral-storage", "pods"])
  bad(NO, `capacity-restricted-${r}`, "spec.capacity", (d) => (d.spec.capacity = { [r]: "1" }));
bad(NO, "capacity-not-quantity", "spec.capacity[example.com/fuse]", (d) => (d.spec.capacity = { "example.com/fuse": "lots" }));
ok(NO, "no-price-no-capacity", (d) => delete d.spec.priceAdjustment);
for (const [w, valid] of [[1, true], [10000, true], [0, false], [10001, false]] as const)
  add(NO, `weight=${w}`, valid, (d) => (d.spec.weight = w), { field: valid ? undefined : "spec.weight" });
bad(NO, "NotIn-without-values", "spec.requirements", (d) => oreqs(d).push({ key: "example.com/a", operator: "NotIn", values: [] }));
bad(NO, "In-without-values", "spec.requirements", (d) => (oreqs(d)[0].values = []));
bad(NO, "Gt-not-integer", "spec.requirements", (d) => oreqs(d).push({ key: "karpenter.k8s.aws/instance-cpu", operator: "Gt", values: ["x"] }));
ok(NO, "Gte", (d) => oreqs(d).push({ key: "karpenter.k8s.aws/instance-cpu", operator: "Gte", values: ["4"] }));
ok(NO, "requirements-empty", (d) => (d.spec.requirements = []));
ok(NO, "instance-type-key", (d) => (d.spec.requirements = [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }]));
ok(NO, "capacity-type-key", (d) => oreqs(d).push({ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }));
ok(NO, "nodepool-key", (d) => oreqs(d).push({ key: "karpenter.sh/nodepool", operator: "In", values: ["default"] }));
ok(NO, "ec2nodeclass-key", (d) => oreqs(d).push({ key: "karpenter.k8s.aws/ec2nodeclass", operator: "In", values: ["default"] }));
for (const key of ["karpenter.k8s.aws/instance-tenancy", "karpenter.k8s.aws/capacity-reservation-id", "karpenter.k8s.aws/placement-group-id", "karpenter.k8s.aws/foo", "karpenter.sh/foo", "kubernetes.io/hostname"])
  bad(NO, `key=${key}`, "spec.requirements[1].key", (d) => oreqs(d).push({ key, operator: "Exists" }));
bad(NO, "minValues-unknown-field", "spec.requirements[0].minValues", (d) => (oreqs(d)[0].minValues = 1));
bad(NO, "requirements-missing", "spec.requirements", (d) => delete d.spec.requirements);

export const CORPUS: readonly CorpusEntry[] = entries;
