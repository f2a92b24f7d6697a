// NodePool documents whose hashes were printed by sigs.k8s.io/karpenter v1.14.1 NodePool.Hash() (Go, decoding this
// exact JSON); the expected values live in karpenterHash.test.ts. The base is the fixture of Karpenter's
// pkg/controllers/nodepool/hash/suite_test.go with the CRD defaults the apiserver adds.
/* eslint-disable @typescript-eslint/no-explicit-any */
export const nodePoolFixture = (): any => ({
  apiVersion: "karpenter.sh/v1",
  kind: "NodePool",
  metadata: { name: "default" },
  spec: {
    template: {
      metadata: {
        annotations: { keyAnnotation: "valueAnnotation", keyAnnotation2: "valueAnnotation2" },
        labels: { keyLabel: "valueLabel" },
      },
      spec: {
        taints: [{ key: "key", effect: "NoExecute" }],
        startupTaints: [{ key: "key", effect: "NoExecute" }],
        expireAfter: "5m",
        terminationGracePeriod: "5m",
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }],
      },
    },
    disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "0s", budgets: [{ nodes: "10%" }] },
  },
});

export const NODEPOOL_CASES: Array<[string, (np: any) => void]> = [
  ["base", () => {}],
  ["labels changed", (np) => (np.spec.template.metadata.labels = { keyLabeltest: "valueLabeltest" })],
  ["annotations reordered", (np) => (np.spec.template.metadata.annotations = { keyAnnotation2: "valueAnnotation2", keyAnnotation: "valueAnnotation" })],
  ["taint value", (np) => (np.spec.template.spec.taints[0].value = "v")],
  ["taints reordered", (np) => (np.spec.template.spec.taints = [{ key: "b", effect: "NoSchedule" }, { key: "key", effect: "NoExecute" }])],
  ["taints reversed", (np) => (np.spec.template.spec.taints = [{ key: "key", effect: "NoExecute" }, { key: "b", effect: "NoSchedule" }])],
  ["taint timeAdded", (np) => (np.spec.template.spec.taints[0].timeAdded = "2024-05-01T10:20:30Z")],
  ["no startupTaints", (np) => delete np.spec.template.spec.startupTaints],
  ["empty startupTaints", (np) => (np.spec.template.spec.startupTaints = [])],
  ["expireAfter 720h", (np) => (np.spec.template.spec.expireAfter = "720h")],
  ["expireAfter Never", (np) => (np.spec.template.spec.expireAfter = "Never")],
  ["expireAfter 1h30m", (np) => (np.spec.template.spec.expireAfter = "1h30m")],
  ["no terminationGracePeriod", (np) => delete np.spec.template.spec.terminationGracePeriod],
  ["terminationGracePeriod 48h", (np) => (np.spec.template.spec.terminationGracePeriod = "48h")],
  ["nodeClassRef name", (np) => (np.spec.template.spec.nodeClassRef.name = "other")],
  ["requirements changed (ignored)", (np) => (np.spec.template.spec.requirements = [{ key: "a", operator: "Exists" }])],
  ["disruption/limits/weight changed (outside the template)", (np) => Object.assign(np.spec, { weight: 80, limits: { cpu: "16" }, disruption: { consolidateAfter: "30s" } })],
  ["no metadata", (np) => delete np.spec.template.metadata],
  ["empty labels", (np) => (np.spec.template.metadata.labels = {})],
  [
    "getting started guide",
    (np) => {
      np.spec.template = {
        spec: {
          requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }],
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          expireAfter: "720h",
        },
      };
    },
  ],
];
