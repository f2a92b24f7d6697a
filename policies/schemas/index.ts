// Every API kind capsicum serves, in generation order. This list is the single source for CRDs, TS types and validation.
import { AWSNodeTemplateDefinition } from "./awsnodetemplate";
import { EC2NodeClassDefinition } from "./ec2nodeclass";
import { NodeClaimDefinition } from "./nodeclaim";
import { NodeOverlayDefinition } from "./nodeoverlay";
import { NodePoolDefinition } from "./nodepool";
import { ProvisionerDefinition } from "./provisioner";
import type { CrdDefinition } from "./types";

export const Definitions: readonly CrdDefinition[] = [
  NodePoolDefinition,
  NodeClaimDefinition,
  EC2NodeClassDefinition,
  NodeOverlayDefinition,
  // v1alpha5-era kinds, served for compatibility and converted to v1 by src/migration
  ProvisionerDefinition,
  AWSNodeTemplateDefinition,
];
export type KindName = "NodePool" | "NodeClaim" | "EC2NodeClass" | "NodeOverlay" | "Provisioner" | "AWSNodeTemplate";

export function definitionFor(kind: KindName): CrdDefinition {
  const d = Definitions.find((x) => x.kind === kind);
  if (!d) throw new Error(`unknown kind ${kind}: expected one of ${Definitions.map((x) => x.kind).join(", ")}`);
  return d;
}

/** The full openAPIV3Schema of a kind (apiVersion/kind/metadata/spec/status), CEL rules still carrying `check`. */
export function openAPISchemaFor(def: CrdDefinition): import("./types").Schema {
  return {
    type: "object",
    ...(def.specOptional ? {} : { required: ["spec"] }),
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      spec: def.spec,
      status: def.status,
    },
  };
}

export {
  AWSNodeTemplateDefinition,
  EC2NodeClassDefinition,
  NodeClaimDefinition,
  NodeOverlayDefinition,
  NodePoolDefinition,
  ProvisionerDefinition,
};
export type { CrdDefinition };
