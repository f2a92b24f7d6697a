// NodeClaim karpenter.sh/v1 — core pkg/apis/v1/nodeclaim.go. The whole spec is immutable.
import {
  DURATION_PATTERN,
  NILLABLE_DURATION_PATTERN,
  conditionsSchema,
  nodeClassRefSchema,
  quantityMap,
  requirementsSchema,
  taintsSchema,
} from "./common";
import { cel, type CrdDefinition, type Schema } from "./types";

/** Structural deep equality, as CEL `self == oldSelf` compares (map key order irrelevant, list order relevant). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a))
    return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a as object),
    kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as any)[k], (b as any)[k]));
}

const spec: Schema = {
  type: "object",
  required: ["nodeClassRef", "requirements"],
  properties: {
    expireAfter: { type: "string", default: "720h", pattern: NILLABLE_DURATION_PATTERN },
    nodeClassRef: nodeClassRefSchema(),
    requirements: requirementsSchema("nodeclaim"),
    resources: { type: "object", properties: { requests: quantityMap() } },
    startupTaints: taintsSchema(),
    taints: taintsSchema(),
    terminationGracePeriod: { type: "string", pattern: DURATION_PATTERN },
  },
  "x-kubernetes-validations": [cel("self == oldSelf", "spec is immutable", (s, o) => deepEqual(s, o))],
};

const status: Schema = {
  type: "object",
  properties: {
    allocatable: quantityMap(),
    capacity: quantityMap(),
    conditions: conditionsSchema("^([A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?|)$"),
    imageID: { type: "string" },
    lastPodEventTime: { type: "string", format: "date-time" },
    nodeName: { type: "string" },
    providerID: { type: "string" },
  },
};
// NodeClaim conditions may carry an empty reason, and need no reason or message (as Karpenter's CRD).
delete status.properties!.conditions!.items!.properties!.reason!.minLength;
status.properties!.conditions!.items!.required = ["lastTransitionTime", "status", "type"];

export const NodeClaimDefinition: CrdDefinition = {
  group: "karpenter.sh",
  version: "v1",
  kind: "NodeClaim",
  plural: "nodeclaims",
  singular: "nodeclaim",
  categories: ["karpenter"],
  scope: "Cluster",
  spec,
  status,
  printerColumns: [
    { name: "Type", type: "string", jsonPath: ".metadata.labels.node\\.kubernetes\\.io/instance-type" },
    { name: "Capacity", type: "string", jsonPath: ".metadata.labels.karpenter\\.sh/capacity-type" },
    { name: "Zone", type: "string", jsonPath: ".metadata.labels.topology\\.kubernetes\\.io/zone" },
    { name: "Node", type: "string", jsonPath: ".status.nodeName" },
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
    { name: "ImageID", type: "string", jsonPath: ".status.imageID", priority: 1 },
    { name: "ID", type: "string", jsonPath: ".status.providerID", priority: 1 },
    { name: "NodePool", type: "string", jsonPath: ".metadata.labels.karpenter\\.sh/nodepool", priority: 1 },
    { name: "NodeClass", type: "string", jsonPath: ".spec.nodeClassRef.name", priority: 1 },
    { name: "Drifted", type: "string", jsonPath: '.status.conditions[?(@.type=="Drifted")].status', priority: 1 },
  ],
  fileStem: "karpenter.sh_nodeclaims",
};
