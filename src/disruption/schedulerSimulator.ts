// Adapts the provisioning scheduler (`schedule()` in src/scheduling) to the disruption Simulator seam: "if these
// nodes were gone, where would their pods go?". Removed nodes are passed as markedForDeletion so they take no pods;
// their reschedulable pods are re-submitted unbound. The scheduler is injected so this module only depends on its
// types, and the same function the provisioner uses is reused (no second scheduler).
import { Requirements } from "../apis/requirements";
import type { ExistingNode, NewNodeClaim, Node, Pod, SchedulingInput, SchedulingResult } from "../scheduling/types";
import type { NodeInfo, PodInfo, ReplacementOption, SimulatedNodeClaim, Simulator } from "./types";

export type ScheduleFn = (input: SchedulingInput) => SchedulingResult;

function podOf(p: PodInfo): Pod {
  if (!p.pod)
    throw new Error(`pod ${p.namespace}/${p.name}: PodInfo.pod must hold the Pod object for the scheduler simulation`);
  return p.pod;
}

function nodeOf(n: NodeInfo): Node {
  const node = n.stateNode?.node;
  if (!node)
    throw new Error(`node ${n.name}: NodeInfo.stateNode must hold the registered Node for the scheduler simulation`);
  return node as unknown as Node;
}

/** Re-submitted pods must not look bound to the node that is going away. */
function unbound(p: Pod): Pod {
  if (p.spec.nodeName === undefined) return p;
  const { nodeName: _bound, ...spec } = p.spec;
  return { ...p, spec };
}

/** Every available offering of every instance-type option compatible with the NodeClaim's requirements. */
export function replacementOptions(nc: NewNodeClaim): ReplacementOption[] {
  const reqs = Requirements.fromNodeSelector(nc.requirements);
  const ct = reqs.get("karpenter.sh/capacity-type");
  const zone = reqs.get("topology.kubernetes.io/zone");
  const out: ReplacementOption[] = [];
  for (const it of nc.instanceTypeOptions) {
    for (const o of it.offerings) {
      if (!o.available || (ct && !ct.has(o.capacityType)) || (zone && !zone.has(o.zone))) continue;
      out.push({ instanceType: it.name, capacityType: o.capacityType, zone: o.zone, pricePerHour: o.price });
    }
  }
  return out;
}

export function schedulerSimulator(
  schedule: ScheduleFn,
  base: Omit<SchedulingInput, "pods" | "existingNodes">,
): Simulator {
  return {
    simulate({ snapshot, pods, removedNodes, cancelled }) {
      const existingNodes: ExistingNode[] = snapshot.nodes.map((n) => ({
        node: nodeOf(n),
        pods: n.pods.filter((p) => p.pod !== undefined).map(podOf),
        markedForDeletion: n.markedForDeletion || removedNodes.has(n.name),
        ...(n.stateNode ? { taints: n.stateNode.schedulingTaints(), allocatable: n.stateNode.allocatable() } : {}),
      }));
      const byKey = new Map(pods.map((p) => [`${p.namespace}/${p.name}`, p]));
      const options = cancelled ? { ...base.options, cancelled } : base.options;
      const result = schedule({ ...base, pods: pods.map((p) => unbound(podOf(p))), existingNodes, options });
      return {
        ...(result.cancelled ? { cancelled: true } : {}),
        unschedulable: result.unschedulable.map((u) => {
          const key = `${u.pod.metadata.namespace ?? "default"}/${u.pod.metadata.name ?? ""}`;
          return {
            pod: byKey.get(key) ?? {
              namespace: u.pod.metadata.namespace ?? "default",
              name: u.pod.metadata.name ?? u.key,
            },
            reason: u.reason,
          };
        }),
        newNodeClaims: result.newNodeClaims.map(
          (nc): SimulatedNodeClaim => ({
            nodePoolName: nc.nodePool,
            options: replacementOptions(nc),
            podCount: nc.pods.length,
            raw: nc,
          }),
        ),
      };
    },
  };
}
