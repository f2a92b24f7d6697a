// Turns a planned NodeClaim into a karpenter.sh/v1 NodeClaim manifest the provisioner can create.
import { LabelNodePool } from "../apis/labels";
import { formatResources } from "../apis/quantity";
import type { NewNodeClaim, NodeClaim, NodePool } from "./types";

export function toNodeClaimManifest(nc: NewNodeClaim, nodePool: NodePool, name?: string): NodeClaim & { spec: Record<string, unknown> } {
  const tpl = nodePool.spec.template;
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: {
      ...(name ? { name } : { generateName: `${nc.nodePool}-` }),
      labels: { ...(tpl.metadata?.labels ?? {}), ...nc.labels, [LabelNodePool]: nc.nodePool },
      annotations: { ...(tpl.metadata?.annotations ?? {}) },
      ownerReferences: nodePool.metadata.uid ? [{ apiVersion: "karpenter.sh/v1", kind: "NodePool", name: nc.nodePool, uid: nodePool.metadata.uid, controller: false }] : undefined,
    },
    spec: {
      nodeClassRef: nc.nodeClassRef,
      requirements: nc.requirements,
      taints: nc.taints.length ? nc.taints : undefined,
      startupTaints: nc.startupTaints.length ? nc.startupTaints : undefined,
      resources: { requests: formatResources(nc.requests) },
      ...(tpl.spec.expireAfter ? { expireAfter: tpl.spec.expireAfter } : {}),
      ...(tpl.spec.terminationGracePeriod ? { terminationGracePeriod: tpl.spec.terminationGracePeriod } : {}),
    },
  };
}
