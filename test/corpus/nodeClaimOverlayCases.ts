// The corpus's NodeClaim and NodeOverlay cases (see karpenterCorpus.ts).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { add, ok, bad, base, entries, type CorpusKind } from "./corpusBase";

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

