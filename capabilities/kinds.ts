// Pepr/kfc kind classes for capsicum's custom resources, typed by the generated API types (src/apis/generated).
// Registered once so When(NodePool)/K8s(NodePool) know their group/version/kind.
import { RegisterKind, a } from "pepr";
import type {
  AWSNodeTemplateSpec,
  AWSNodeTemplateStatus,
  ProvisionerSpec,
  ProvisionerStatus,
  EC2NodeClassSpec,
  EC2NodeClassStatus,
  NodeClaimSpec,
  NodeClaimStatus,
  NodeOverlaySpec,
  NodeOverlayStatus,
  NodePoolSpec,
  NodePoolStatus,
} from "../src/apis/generated";

export class NodePool extends a.GenericKind {
  declare spec?: NodePoolSpec;
  declare status?: NodePoolStatus;
}
export class NodeClaim extends a.GenericKind {
  declare spec?: NodeClaimSpec;
  declare status?: NodeClaimStatus;
}
export class EC2NodeClass extends a.GenericKind {
  declare spec?: EC2NodeClassSpec;
  declare status?: EC2NodeClassStatus;
}
export class NodeOverlay extends a.GenericKind {
  declare spec?: NodeOverlaySpec;
  declare status?: NodeOverlayStatus;
}

/** storage.k8s.io/v1 CSINode (kfc has no model for it): per-node CSI attach limits. */
export class CSINode extends a.GenericKind {
  declare spec?: { drivers?: Array<{ name: string; nodeID?: string; allocatable?: { count?: number } }> };
}

/** v1alpha5-era kinds, served for compatibility; capabilities/migration.ts converts them to v1. */
export class Provisioner extends a.GenericKind {
  declare spec?: ProvisionerSpec;
  declare status?: ProvisionerStatus;
}
export class AWSNodeTemplate extends a.GenericKind {
  declare spec?: AWSNodeTemplateSpec;
  declare status?: AWSNodeTemplateStatus;
}

RegisterKind(NodePool, { group: "karpenter.sh", version: "v1", kind: "NodePool", plural: "nodepools" });
RegisterKind(NodeClaim, { group: "karpenter.sh", version: "v1", kind: "NodeClaim", plural: "nodeclaims" });
RegisterKind(EC2NodeClass, {
  group: "karpenter.k8s.aws",
  version: "v1",
  kind: "EC2NodeClass",
  plural: "ec2nodeclasses",
});
RegisterKind(NodeOverlay, { group: "karpenter.sh", version: "v1alpha1", kind: "NodeOverlay", plural: "nodeoverlays" });
RegisterKind(CSINode, { group: "storage.k8s.io", version: "v1", kind: "CSINode", plural: "csinodes" });
RegisterKind(Provisioner, { group: "karpenter.sh", version: "v1alpha5", kind: "Provisioner", plural: "provisioners" });
RegisterKind(AWSNodeTemplate, {
  group: "karpenter.k8s.aws",
  version: "v1alpha1",
  kind: "AWSNodeTemplate",
  plural: "awsnodetemplates",
});
