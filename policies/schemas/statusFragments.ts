// Status fragments the node-class and v1alpha5 kinds share: a resolved AMI's requirement list, the resolved
// security groups and subnets. v1 (EC2NodeClass) adds minValues, an atomic values list and the subnet zoneID.
import type { Schema } from "./types";

/** A NodeSelectorRequirement item (v1alpha5 Provisioner spec.requirements, resolved AMIs' requirements). */
export function requirementItemsSchema(v1 = false): Schema {
  const values: Schema = { type: "array", items: { type: "string" } };
  return {
    type: "array",
    items: {
      type: "object",
      required: ["key", "operator"],
      properties: v1
        ? {
            key: { type: "string" },
            minValues: { type: "integer" },
            operator: { type: "string" },
            values: { ...values, "x-kubernetes-list-type": "atomic" },
          }
        : { key: { type: "string" }, operator: { type: "string" }, values },
    },
  };
}

/** status.securityGroups: the groups the selector terms resolved to. */
export function securityGroupsStatusSchema(): Schema {
  return {
    type: "array",
    items: { type: "object", required: ["id"], properties: { id: { type: "string" }, name: { type: "string" } } },
  };
}

/** status.subnets: the subnets the selector terms resolved to (v1 also records the zone ID). */
export function subnetsStatusSchema(v1 = false): Schema {
  return {
    type: "array",
    items: {
      type: "object",
      required: ["id", "zone"],
      properties: v1
        ? { id: { type: "string" }, zone: { type: "string" }, zoneID: { type: "string" } }
        : { id: { type: "string" }, zone: { type: "string" } },
    },
  };
}
