// NodePool static-template hash (`karpenter.sh/nodepool-hash` + `-version`), computed with Karpenter's own
// algorithm (hashstructure v2 over NodeClaimTemplate; see src/apis/karpenterHash.ts), so NodeClaims that Karpenter
// launched keep matching after a takeover. Requirements and everything outside spec.template are not hashed.
export {
  NODEPOOL_HASH_ANNOTATION,
  NODEPOOL_HASH_VERSION,
  NODEPOOL_HASH_VERSION_ANNOTATION,
  nodePoolHash,
  nodePoolHashAnnotations,
} from "../apis/karpenterHash";
