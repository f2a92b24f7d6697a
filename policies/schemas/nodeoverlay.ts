// NodeOverlay karpenter.sh/v1alpha1 — adjusts simulated price/capacity of matching instance types.
import { QUANTITY_PATTERN, conditionsSchema, has, requirementsSchema } from "./common";
import { cel, type CrdDefinition, type Schema } from "./types";

const spec: Schema = {
  type: "object",
  required: ["requirements"],
  properties: {
    capacity: {
      type: "object",
      additionalProperties: {
        anyOf: [{ type: "integer" }, { type: "string" }],
        pattern: QUANTITY_PATTERN,
        "x-kubernetes-int-or-string": true,
      },
      "x-kubernetes-validations": [
        cel("self.all(x, !(x in ['cpu', 'memory', 'ephemeral-storage', 'pods']))", "invalid resource restricted", (m) =>
          Object.keys(m ?? {}).every((k) => !["cpu", "memory", "ephemeral-storage", "pods"].includes(k)),
        ),
      ],
    },
    price: { type: "string", pattern: "^\\d+(\\.\\d+)?$" },
    priceAdjustment: {
      type: "string",
      pattern: "^(([+-]{1}(\\d*\\.?\\d+))|(\\+{1}\\d*\\.?\\d+%)|(^(-\\d{1,2}(\\.\\d+)?%)$)|(-100%))$",
    },
    requirements: requirementsSchema("overlay"),
    weight: { type: "integer", format: "int32", minimum: 1, maximum: 10000 },
  },
  "x-kubernetes-validations": [
    cel(
      "!has(self.price) || !has(self.priceAdjustment)",
      "cannot set both 'price' and 'priceAdjustment'",
      (s) => !has(s, "price") || !has(s, "priceAdjustment"),
    ),
  ],
};

export const NodeOverlayDefinition: CrdDefinition = {
  group: "karpenter.sh",
  version: "v1alpha1",
  kind: "NodeOverlay",
  plural: "nodeoverlays",
  singular: "nodeoverlay",
  shortNames: ["overlays"],
  categories: ["karpenter"],
  scope: "Cluster",
  spec,
  status: { type: "object", properties: { conditions: conditionsSchema() } },
  printerColumns: [
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
    { name: "Weight", type: "integer", jsonPath: ".spec.weight", priority: 1 },
  ],
  fileStem: "karpenter.sh_nodeoverlays",
};
