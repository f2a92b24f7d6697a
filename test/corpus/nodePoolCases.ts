// The corpus's NodePool cases (see karpenterCorpus.ts).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { add, ok, bad, base, entries, type CorpusKind } from "./corpusBase";

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

