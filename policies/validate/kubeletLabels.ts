// Labels a kubelet may set on its own Node (k8s.io/kubernetes pkg/kubelet/apis, the NodeRestriction rules): in the
// kubernetes.io and k8s.io domains only this set and the kubelet.kubernetes.io / node.kubernetes.io namespaces.
// Karpenter's CRDs accept other kubernetes.io labels, but a node given one in --node-labels never starts: the
// kubelet exits with "unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels".
// The list itself is data (policies/data/kubeletLabels.json), shared with the sandbox kubelet.
import kubeletLabels from "../data/kubeletLabels.json";

const KUBELET_LABELS: readonly string[] = kubeletLabels.labels;
const KUBELET_NAMESPACES: readonly string[] = kubeletLabels.namespaces;
const inDomain = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

/** Why the kubelet would refuse to set `key` on its Node, or undefined when it may. */
export function kubeletRefusal(key: string): string | undefined {
  const ns = key.includes("/") ? key.slice(0, key.indexOf("/")) : "";
  if (!(inDomain(ns, "kubernetes.io") || inDomain(ns, "k8s.io"))) return undefined;
  if (KUBELET_LABELS.includes(key) || KUBELET_NAMESPACES.some((allowed) => inDomain(ns, allowed))) return undefined;
  return (
    `the kubelet refuses "${key}" in --node-labels (only ${KUBELET_NAMESPACES.map((n) => `${n}/`).join(", ")} and ` +
    `the well-known kubernetes.io labels are allowed), so nodes with it never join; ` +
    `use your own domain (e.g. example.com/${key.slice(key.indexOf("/") + 1)}) or node.kubernetes.io/${key.slice(key.indexOf("/") + 1)}`
  );
}
