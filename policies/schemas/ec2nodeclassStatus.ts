// EC2NodeClass status (aws pkg/apis/v1 EC2NodeClassStatus, v1.14.1): resolved AMIs, capacity reservations,
// conditions, instance profile, security groups and subnets.
import { conditionsSchema } from "./common";
import { requirementItemsSchema, securityGroupsStatusSchema, subnetsStatusSchema } from "./statusFragments";
import type { Schema } from "./types";

export const status: Schema = {
  type: "object",
  properties: {
    amis: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "requirements"],
        properties: {
          deprecated: { type: "boolean" },
          id: { type: "string" },
          name: { type: "string" },
          requirements: requirementItemsSchema(true),
        },
      },
    },
    capacityReservations: {
      type: "array",
      items: {
        type: "object",
        required: ["availabilityZone", "id", "instanceMatchCriteria", "instanceType", "ownerID"],
        properties: {
          availabilityZone: { type: "string" },
          endTime: { type: "string", format: "date-time" },
          id: { type: "string", pattern: "^cr-[0-9a-z]+$" },
          instanceMatchCriteria: { type: "string", enum: ["open", "targeted"] },
          instanceType: { type: "string" },
          interruptible: { type: "boolean" },
          ownerID: { type: "string", pattern: "^[0-9]{12}$" },
          reservationType: { type: "string", enum: ["default", "capacity-block"], default: "default" },
          state: { type: "string", enum: ["active", "expiring"], default: "active" },
        },
      },
    },
    // Karpenter's EC2NodeClass conditions are a plain list (no list-map keys).
    conditions: (({ "x-kubernetes-list-type": _t, "x-kubernetes-list-map-keys": _k, ...rest }) => rest)(
      conditionsSchema(),
    ),
    instanceProfile: { type: "string" },
    securityGroups: securityGroupsStatusSchema(),
    subnets: subnetsStatusSchema(true),
  },
};
