// Provisioner karpenter.sh/v1alpha5 — field for field as Karpenter v0.31/v0.32 (core pkg/apis/v1alpha5). Served so
// seed-era YAML applies unchanged; src/migration converts each Provisioner into a v1 NodePool. Karpenter validated
// v1alpha5 in its webhook, not with CEL, so the CRD carries only cheap spec-level rules; per-item rules live in
// policies/validate/provisioner.ts (the same messages Karpenter's webhook printed).
import { QUANTITY_PATTERN, has } from "./common";
import { cel, type CrdDefinition, type Schema } from "./types";
import { requirementItemsSchema } from "./statusFragments";

const quantityMap = (): Schema => ({
  type: "object",
  additionalProperties: {
    anyOf: [{ type: "integer" }, { type: "string" }],
    pattern: QUANTITY_PATTERN,
    "x-kubernetes-int-or-string": true,
  },
});
const stringMap = (): Schema => ({ type: "object", additionalProperties: { type: "string" } });

const taints = (): Schema => ({
  type: "array",
  items: {
    type: "object",
    required: ["effect", "key"],
    properties: {
      effect: { type: "string" },
      key: { type: "string" },
      timeAdded: { type: "string", format: "date-time" },
      value: { type: "string" },
    },
  },
});

const nonNegative = (field: string) => cel("self >= 0", `${field} cannot be negative`, (n: number) => n >= 0);

const spec: Schema = {
  type: "object",
  properties: {
    annotations: stringMap(),
    consolidation: { type: "object", properties: { enabled: { type: "boolean" } } },
    kubeletConfiguration: {
      type: "object",
      properties: {
        clusterDNS: { type: "array", items: { type: "string" } },
        containerRuntime: { type: "string" },
        cpuCFSQuota: { type: "boolean" },
        evictionHard: stringMap(),
        evictionMaxPodGracePeriod: { type: "integer", format: "int32" },
        evictionSoft: stringMap(),
        evictionSoftGracePeriod: stringMap(),
        imageGCHighThresholdPercent: { type: "integer", format: "int32", minimum: 0, maximum: 100 },
        imageGCLowThresholdPercent: { type: "integer", format: "int32", minimum: 0, maximum: 100 },
        kubeReserved: quantityMap(),
        maxPods: { type: "integer", format: "int32", minimum: 0 },
        podsPerCore: { type: "integer", format: "int32", minimum: 0 },
        systemReserved: quantityMap(),
      },
    },
    labels: stringMap(),
    limits: { type: "object", properties: { resources: quantityMap() } },
    provider: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    providerRef: {
      type: "object",
      properties: { apiVersion: { type: "string" }, kind: { type: "string" }, name: { type: "string" } },
    },
    requirements: requirementItemsSchema(),
    startupTaints: taints(),
    taints: taints(),
    ttlSecondsAfterEmpty: {
      type: "integer",
      format: "int64",
      "x-kubernetes-validations": [nonNegative("ttlSecondsAfterEmpty")],
    },
    ttlSecondsUntilExpired: {
      type: "integer",
      format: "int64",
      "x-kubernetes-validations": [nonNegative("ttlSecondsUntilExpired")],
    },
    weight: { type: "integer", format: "int32", minimum: 1, maximum: 100 },
  },
  "x-kubernetes-validations": [
    cel(
      "!(has(self.ttlSecondsAfterEmpty) && has(self.consolidation) && has(self.consolidation.enabled) && self.consolidation.enabled)",
      "expected exactly one, got both: consolidation.enabled, ttlSecondsAfterEmpty",
      (s) => !(has(s, "ttlSecondsAfterEmpty") && s.consolidation?.enabled === true),
    ),
    cel(
      "!(has(self.provider) && has(self.providerRef))",
      "expected exactly one, got both: provider, providerRef",
      (s) => !(has(s, "provider") && has(s, "providerRef")),
    ),
  ],
};

/** Knative-style condition (v1alpha5 used knative.dev/pkg apis.Condition). */
export const v1alpha5Conditions = (): Schema => ({
  type: "array",
  items: {
    type: "object",
    required: ["status", "type"],
    properties: {
      lastTransitionTime: { type: "string" },
      message: { type: "string" },
      reason: { type: "string" },
      severity: { type: "string" },
      status: { type: "string" },
      type: { type: "string" },
    },
  },
});

const status: Schema = {
  type: "object",
  properties: {
    conditions: v1alpha5Conditions(),
    lastScaleTime: { type: "string", format: "date-time" },
    resources: quantityMap(),
  },
};

export const ProvisionerDefinition: CrdDefinition = {
  group: "karpenter.sh",
  version: "v1alpha5",
  kind: "Provisioner",
  plural: "provisioners",
  singular: "provisioner",
  categories: ["karpenter"],
  scope: "Cluster",
  spec,
  status,
  printerColumns: [
    { name: "Template", type: "string", jsonPath: ".spec.providerRef.name" },
    { name: "Weight", type: "string", jsonPath: ".spec.weight", priority: 1 },
    { name: "Converted", type: "string", jsonPath: '.status.conditions[?(@.type=="Converted")].status' },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
  fileStem: "karpenter.sh_provisioners",
};
