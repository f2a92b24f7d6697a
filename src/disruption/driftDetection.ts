// Drift detection (what sets the NodeClaim `Drifted` condition) and the Drift method (which rolls drifted nodes,
// replacement first). Detection order follows Karpenter: NodePool static hash, then requirements, then the cloud
// provider's own reason (AMI/subnet/security group/NodeClass hash), computed by the caller via CloudProvider.isDrifted.
import {
  NODEPOOL_HASH_ANNOTATION,
  NODEPOOL_HASH_VERSION,
  NODEPOOL_HASH_VERSION_ANNOTATION,
  nodePoolHash,
} from "./hash";
import type { NodeInfo, NodePoolLike } from "./types";
import { Requirement, RequirementError, type NodeSelectorRequirement } from "../apis/requirements";

/**
 * Whether the NodeClaim's labels still satisfy one NodePool requirement, as Karpenter's StrictlyCompatible: an
 * absent label satisfies only NotIn/DoesNotExist, a bounded operator needs an integer label. A requirement the
 * model rejects (unknown operator, bad bound: the CRDs deny both) is not a reason to roll nodes.
 */
function satisfies(req: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const r = Requirement.parse(req);
  if (r instanceof RequirementError) return true;
  return r.allows(labels[r.key]);
}

/**
 * Returns the drift reason for a node against its NodePool ("" when not drifted), in Karpenter's order:
 * `NodePoolDrifted` when the NodeClaim's recorded hash differs from the NodePool's at the same hash version (either
 * annotation missing, or a version change, is not drift: the hash controller re-annotates), `RequirementsDrifted`
 * when its labels no longer satisfy the pool's requirements, else the cloud provider's reason.
 */
export function driftReason(node: NodeInfo, nodePool: NodePoolLike, cloudProviderReason = ""): string {
  const ann = node.nodeClaimAnnotations ?? {};
  const recorded = ann[NODEPOOL_HASH_ANNOTATION];
  const version = ann[NODEPOOL_HASH_VERSION_ANNOTATION];
  // The NodePool's annotation is what Karpenter compares; until the hash controller wrote it, the current hash.
  const poolAnn = nodePool.metadata.annotations ?? {};
  const poolVersion = poolAnn[NODEPOOL_HASH_VERSION_ANNOTATION] ?? NODEPOOL_HASH_VERSION;
  const poolHash = poolVersion === NODEPOOL_HASH_VERSION ? nodePoolHash(nodePool) : poolAnn[NODEPOOL_HASH_ANNOTATION];
  if (recorded !== undefined && version !== undefined && version === poolVersion && poolHash !== undefined) {
    if (recorded !== poolHash) return "NodePoolDrifted";
  }
  for (const req of nodePool.spec.template.spec.requirements ?? []) {
    if (!satisfies(req, node.labels)) return "RequirementsDrifted";
  }
  return cloudProviderReason;
}

/** The Drifted condition as recorded on the NodeClaim by the lifecycle controller. */
export function isMarkedDrifted(node: NodeInfo): string | undefined {
  const c = node.conditions.find((x) => x.type === "Drifted" && x.status === "True");
  return c ? (c.reason ?? "Drifted") : undefined;
}
