// A pod's effective resource requests or limits as kube-scheduler counts them (Karpenter's resources.RequestsForPods):
// max(app containers + restartable init "sidecars", each init container + the sidecars started before it) + overhead.
// The cluster state's per-node totals and the node metrics both read it.
import { addResources, maxResources, parseResources, type ResourceMap } from "./quantity";

interface ContainerLike {
  restartPolicy?: string;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
}
export interface PodWithResources {
  metadata: { name?: string; namespace?: string };
  spec?: { containers?: ContainerLike[]; initContainers?: ContainerLike[]; overhead?: Record<string, string | number> };
}

/** Throws a QuantityError naming the pod on an unparsable quantity. */
export function podResources(p: PodWithResources, which: "requests" | "limits"): ResourceMap {
  const where = `pod ${p.metadata.namespace}/${p.metadata.name}`;
  let app: ResourceMap = {};
  for (const c of p.spec?.containers ?? []) app = addResources(app, parseResources(c.resources?.[which], where));
  let sidecars: ResourceMap = {};
  let init: ResourceMap = {};
  for (const c of p.spec?.initContainers ?? []) {
    const r = parseResources(c.resources?.[which], where);
    if (c.restartPolicy === "Always") sidecars = addResources(sidecars, r);
    else init = maxResources(init, addResources(r, sidecars));
  }
  let total = maxResources(addResources(app, sidecars), init);
  if (p.spec?.overhead) total = addResources(total, parseResources(p.spec.overhead, where));
  return total;
}

/** As podResources, but an unparsable quantity counts as nothing (admission and scheduling report it). */
export function podResourcesOrEmpty(p: PodWithResources, which: "requests" | "limits"): ResourceMap {
  try {
    return podResources(p, which);
  } catch {
    return {};
  }
}
