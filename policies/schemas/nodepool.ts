// NodePool karpenter.sh/v1 — field for field as Karpenter v1.14 (core pkg/apis/v1/nodepool.go + AWS-injected rules).
import {
  AWS_ALLOWED_REQUIREMENT_KEYS,
  DURATION_PATTERN,
  KARPENTER_SH_ALLOWED_KEYS,
  LABEL_VALUE_PATTERN,
  NILLABLE_DURATION_PATTERN,
  QUANTITY_PATTERN,
  conditionsSchema,
  has,
  mapKeyDomainRule,
  mapKeyNotRule,
  nodeClassRefSchema,
  quantityMap,
  requirementsSchema,
  taintsSchema,
} from "./common";
import { cel, type CrdDefinition, type Schema } from "./types";
import { BUDGET_SCHEDULE_PATTERN } from "../../src/apis/cron";

export const BUDGET_NODES_PATTERN = "^((100|[0-9]{1,2})%|[0-9]+)$";
export { BUDGET_SCHEDULE_PATTERN } from "../../src/apis/cron";
export const BUDGET_DURATION_PATTERN = "^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$";
export const DISRUPTION_REASONS = ["Underutilized", "Empty", "Drifted"];
export const CONSOLIDATION_POLICIES = ["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"];

const nodeClassRef = nodeClassRefSchema();
nodeClassRef["x-kubernetes-validations"] = [
  cel("self.group == oldSelf.group", "nodeClassRef.group is immutable", (s, o) => s?.group === o?.group),
  cel("self.kind == oldSelf.kind", "nodeClassRef.kind is immutable", (s, o) => s?.kind === o?.kind),
];

const spec: Schema = {
  type: "object",
  required: ["template"],
  properties: {
    disruption: {
      type: "object",
      default: { consolidateAfter: "0s" },
      required: ["consolidateAfter"],
      properties: {
        budgets: {
          type: "array",
          default: [{ nodes: "10%" }],
          maxItems: 50,
          "x-kubernetes-list-type": "atomic",
          items: {
            type: "object",
            required: ["nodes"],
            properties: {
              duration: { type: "string", pattern: BUDGET_DURATION_PATTERN },
              nodes: { type: "string", default: "10%", pattern: BUDGET_NODES_PATTERN },
              reasons: {
                type: "array",
                maxItems: 50,
                "x-kubernetes-list-type": "set",
                items: { type: "string", enum: DISRUPTION_REASONS },
              },
              schedule: { type: "string", pattern: BUDGET_SCHEDULE_PATTERN },
            },
          },
          "x-kubernetes-validations": [
            cel(
              "self.all(x, has(x.schedule) == has(x.duration))",
              "'schedule' must be set with 'duration'",
              (xs: any[]) => xs.every((x) => has(x, "schedule") === has(x, "duration")),
            ),
          ],
        },
        consolidateAfter: { type: "string", pattern: NILLABLE_DURATION_PATTERN },
        consolidationPolicy: { type: "string", enum: CONSOLIDATION_POLICIES, default: "WhenEmptyOrUnderutilized" },
      },
    },
    limits: {
      type: "object",
      additionalProperties: {
        anyOf: [{ type: "integer" }, { type: "string" }],
        pattern: QUANTITY_PATTERN,
        "x-kubernetes-int-or-string": true,
      },
    },
    replicas: { type: "integer", format: "int64", minimum: 0 },
    template: {
      type: "object",
      required: ["spec"],
      properties: {
        metadata: {
          type: "object",
          properties: {
            annotations: {
              type: "object",
              additionalProperties: { type: "string" },
              "x-kubernetes-map-type": "granular",
            },
            labels: {
              type: "object",
              maxProperties: 100,
              additionalProperties: { type: "string", maxLength: 63, pattern: LABEL_VALUE_PATTERN },
              "x-kubernetes-map-type": "atomic",
              "x-kubernetes-validations": [
                mapKeyDomainRule("karpenter.sh", KARPENTER_SH_ALLOWED_KEYS),
                mapKeyNotRule("karpenter.sh/nodepool"),
                mapKeyNotRule("kubernetes.io/hostname"),
                mapKeyDomainRule("karpenter.k8s.aws", AWS_ALLOWED_REQUIREMENT_KEYS),
              ],
            },
          },
        },
        spec: {
          type: "object",
          required: ["nodeClassRef", "requirements"],
          properties: {
            expireAfter: { type: "string", default: "720h", pattern: NILLABLE_DURATION_PATTERN },
            nodeClassRef,
            requirements: requirementsSchema("nodepool"),
            startupTaints: taintsSchema(),
            taints: taintsSchema(),
            terminationGracePeriod: { type: "string", pattern: DURATION_PATTERN },
          },
        },
      },
    },
    weight: { type: "integer", format: "int32", minimum: 1, maximum: 100 },
  },
  "x-kubernetes-validations": [
    cel(
      "has(self.replicas) == has(oldSelf.replicas)",
      "Cannot transition NodePool between static (replicas set) and dynamic (replicas unset) provisioning modes",
      (s, o) => has(s, "replicas") === has(o, "replicas"),
    ),
    cel(
      "!has(self.replicas) || (!has(self.limits) || size(self.limits) == 0 || (size(self.limits) == 1 && 'nodes' in self.limits))",
      "only 'limits.nodes' is supported on static NodePools",
      (s) => {
        if (!has(s, "replicas") || !has(s, "limits")) return true;
        const keys = Object.keys(s.limits ?? {});
        return keys.length === 0 || (keys.length === 1 && keys[0] === "nodes");
      },
    ),
    cel(
      "!has(self.replicas) || !has(self.weight)",
      "'weight' is not supported on static NodePools",
      (s) => !has(s, "replicas") || !has(s, "weight"),
    ),
  ],
};

const status: Schema = {
  type: "object",
  properties: {
    conditions: conditionsSchema(),
    nodeClassObservedGeneration: { type: "integer", format: "int64" },
    nodes: { type: "integer", format: "int64", default: 0 },
    resources: quantityMap(),
  },
};

export const NodePoolDefinition: CrdDefinition = {
  group: "karpenter.sh",
  version: "v1",
  kind: "NodePool",
  plural: "nodepools",
  singular: "nodepool",
  categories: ["karpenter"],
  scope: "Cluster",
  spec,
  status,
  scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.nodes" },
  printerColumns: [
    { name: "NodeClass", type: "string", jsonPath: ".spec.template.spec.nodeClassRef.name" },
    { name: "Nodes", type: "string", jsonPath: ".status.nodes" },
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
    { name: "Weight", type: "integer", jsonPath: ".spec.weight", priority: 1 },
    { name: "CPU", type: "string", jsonPath: ".status.resources.cpu", priority: 1 },
    { name: "Memory", type: "string", jsonPath: ".status.resources.memory", priority: 1 },
  ],
  fileStem: "karpenter.sh_nodepools",
};
