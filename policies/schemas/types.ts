// The shape of a CRD definition in policies/: an OpenAPI v3 structural schema whose CEL rules also carry a
// TypeScript twin (`check`). The generator emits only rule+message; the webhook runs `check`, so both enforce
// the same rule with the same message from one place.

/** A CEL rule (`x-kubernetes-validations` entry) plus its TypeScript twin. */
export interface CelRule {
  rule: string;
  message: string;
  /** Same meaning as `rule`: true when valid. `oldSelf` is set only for transition rules on update. */
  check: (self: any, oldSelf?: any) => boolean;
  /**
   * A CEL messageExpression naming the offending value (and a "did you mean"), emitted into the CRD next to
   * `message` (the apiserver falls back to `message` if it fails), with `messageFor` its TypeScript twin: the
   * webhook and `capsicum validate` print the same text the apiserver does. `messageFor` alone (no expression):
   * the CRD keeps the static message (a messageExpression there would exceed the apiserver's CEL cost budget).
   */
  messageExpression?: string;
  messageFor?: (self: any, oldSelf?: any) => string;
}

export interface Schema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
  enum?: (string | number)[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  maxProperties?: number;
  anyOf?: Schema[];
  "x-kubernetes-validations"?: CelRule[];
  "x-kubernetes-int-or-string"?: true;
  "x-kubernetes-preserve-unknown-fields"?: true;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
}

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "date" | "number" | "boolean";
  jsonPath: string;
  priority?: number;
  description?: string;
}

export interface CrdDefinition {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  categories: string[];
  scope: "Cluster" | "Namespaced";
  spec: Schema;
  status: Schema;
  printerColumns: PrinterColumn[];
  /** Scale subresource paths (static NodePools). */
  scale?: { specReplicasPath: string; statusReplicasPath: string };
  /** true when the CRD, like Karpenter's, does not list spec as required. */
  specOptional?: true;
  /** File stem for crds/<stem>.yaml and src/apis/generated/<stem>.ts. */
  fileStem: string;
}

/** Helper so schema files read like the CRD: cel(rule, message, check). */
export function cel(rule: string, message: string, check: (self: any, oldSelf?: any) => boolean): CelRule {
  return { rule, message, check };
}

/** cel(...) plus a message naming the value (messageFor), and its CEL twin for the CRD where the cost allows. */
export function celMsg(
  rule: string,
  message: string,
  check: (self: any, oldSelf?: any) => boolean,
  messageExpression: string | undefined,
  messageFor: (self: any, oldSelf?: any) => string,
): CelRule {
  return { rule, message, check, messageExpression, messageFor };
}
