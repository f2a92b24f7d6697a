// Pepr/kfc kind classes for capsicum's custom resources, typed by the generated API types (src/apis/generated).
// Registered once so When(NodePool)/K8s(NodePool) know their group/version/kind.
import { RegisterKind, a } from "pepr";
import type {
  EC2NodeClassSpec, EC2NodeClassStatus, NodeClaimSpec, NodeClaimStatus, NodeOverlaySpec, NodeOverlayStatus,
  NodePoolSpec, NodePoolStatus,
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

RegisterKind(NodePool, { group: "karpenter.sh", version: "v1", kind: "NodePool", plural: "nodepools" });
RegisterKind(NodeClaim, { group: "karpenter.sh", version: "v1", kind: "NodeClaim", plural: "nodeclaims" });
RegisterKind(EC2NodeClass, { group: "karpenter.k8s.aws", version: "v1", kind: "EC2NodeClass", plural: "ec2nodeclasses" });
RegisterKind(NodeOverlay, { group: "karpenter.sh", version: "v1alpha1", kind: "NodeOverlay", plural: "nodeoverlays" });
