// Turns one scheduler-planned NodeClaim into the karpenter.sh/v1 NodeClaim object we create: Karpenter's name
// format `<nodepool>-<5 chars>`, nodepool label + template labels/annotations + a value for each custom key the
// requirements allow (Karpenter's Requirements.Labels), the NodePool hash annotations
// (drift detection), owner reference, requirements with the instance-type options (≤ 60, cheapest first),
// resources.requests, taints/startupTaints and expireAfter/terminationGracePeriod from the NodePool.
import type { NodeClaim } from "../apis/generated/nodeclaims";
import type { NodePool } from "../apis/generated/nodepools";
import { formatResources } from "../apis/quantity";
import { Requirements } from "../apis/requirements";
import { nodePoolHashAnnotations } from "../disruption/hash";
import { MinValuesRelaxedAnnotation } from "../apis/labels";
import type { NewNodeClaim } from "../scheduling/types";

const ALPHABET = "bcdfghjklmnpqrstvwxz2456789"; // as k8s' rand.String: no vowels, so names never spell words
export const MAX_INSTANCE_TYPES = 60;

export function randomSuffix(random: () => number = Math.random, n = 5): string {
  let s = "";
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

export function nodeClaimFromPlan(plan: NewNodeClaim, nodePool: NodePool, name: string): NodeClaim {
  const tpl = nodePool.spec.template;
  const options = plan.instanceTypeOptions.slice(0, MAX_INSTANCE_TYPES).map((it) => it.name);
  const requirements = plan.requirements
    .filter((r) => r.key !== "node.kubernetes.io/instance-type")
    .map((r) => ({ ...r })) as NodeClaim["spec"]["requirements"];
  requirements.push({ key: "node.kubernetes.io/instance-type", operator: "In", values: options });
  const spec: NodeClaim["spec"] = {
    nodeClassRef: { ...plan.nodeClassRef },
    requirements,
    resources: { requests: formatResources(plan.requests) },
    expireAfter: tpl.spec.expireAfter ?? "720h",
  };
  if (plan.taints.length) spec.taints = plan.taints as NodeClaim["spec"]["taints"];
  if (plan.startupTaints.length) spec.startupTaints = plan.startupTaints as NodeClaim["spec"]["startupTaints"];
  if (tpl.spec.terminationGracePeriod) spec.terminationGracePeriod = tpl.spec.terminationGracePeriod;
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: {
      name,
      labels: {
        ...Requirements.fromNodeSelector(plan.requirements).customLabels(),
        ...(tpl.metadata?.labels ?? {}),
        ...plan.labels,
        "karpenter.sh/nodepool": nodePool.metadata.name!,
      },
      // Karpenter's scheduler annotates every NodeClaim it plans, "false" when no minValues was relaxed.
      annotations: {
        ...(tpl.metadata?.annotations ?? {}),
        ...nodePoolHashAnnotations(nodePool as never),
        [MinValuesRelaxedAnnotation]: String(plan.minValuesRelaxed === true),
      },
      ownerReferences: nodePool.metadata.uid
        ? [
            {
              apiVersion: "karpenter.sh/v1",
              kind: "NodePool",
              name: nodePool.metadata.name!,
              uid: nodePool.metadata.uid,
              blockOwnerDeletion: true,
            },
          ]
        : undefined,
    },
    spec,
  };
}

/** "c5.large, c5.xlarge and 55 other(s)": Karpenter's compact instance-type list for logs. */
export function describeInstanceTypes(names: string[], shown = 5): string {
  if (names.length <= shown) return names.join(", ");
  return `${names.slice(0, shown).join(", ")} and ${names.length - shown} other(s)`;
}
