// Provisioning inputs: pods (pending ones drive launches, bound ones are capacity in use), daemonsets
// (per-node overhead), NodePools and NodeOverlays (price/capacity adjustments, behind the NodeOverlay gate), and the
// storage objects behind pods' volumes (claims, PVs, StorageClasses: volume topology; CSINodes: attach limits), and
// Namespaces (labels for pod affinity namespaceSelectors).
// Logic: src/provisioning/, src/scheduling/volumes.ts.
import { Capability, a } from "pepr";
import { CSINode, NodeOverlay, NodePool } from "./kinds";
import { feed, startInWatcher } from "./controllers";

export const Provisioning = new Capability({
  name: "provisioning",
  description: "Pending pods → NodeClaims (Karpenter provisioning) — feeds the engine's cluster state",
});
const { When } = Provisioning;

// No Pod bindings: each would keep its own full-object cache of every pod in the cluster. The engine watches Pods
// itself (src/kube/podWatch.ts), started here in the watcher process.
startInWatcher();
When(a.DaemonSet).IsCreatedOrUpdated().Watch(feed("DaemonSet"));
When(a.DaemonSet).IsDeleted().Watch(feed("DaemonSet"));
When(NodePool).IsCreatedOrUpdated().Watch(feed("NodePool"));
When(NodePool).IsDeleted().Watch(feed("NodePool"));
When(NodeOverlay).IsCreatedOrUpdated().Watch(feed("NodeOverlay"));
When(NodeOverlay).IsDeleted().Watch(feed("NodeOverlay"));
When(a.PersistentVolumeClaim).IsCreatedOrUpdated().Watch(feed("PersistentVolumeClaim"));
When(a.PersistentVolumeClaim).IsDeleted().Watch(feed("PersistentVolumeClaim"));
When(a.PersistentVolume).IsCreatedOrUpdated().Watch(feed("PersistentVolume"));
When(a.PersistentVolume).IsDeleted().Watch(feed("PersistentVolume"));
When(a.StorageClass).IsCreatedOrUpdated().Watch(feed("StorageClass"));
When(a.StorageClass).IsDeleted().Watch(feed("StorageClass"));
When(CSINode).IsCreatedOrUpdated().Watch(feed("CSINode"));
When(CSINode).IsDeleted().Watch(feed("CSINode"));
// Namespace labels for pod (anti-)affinity namespaceSelectors (the engine keeps name and labels only).
When(a.Namespace).IsCreatedOrUpdated().Watch(feed("Namespace"));
When(a.Namespace).IsDeleted().Watch(feed("Namespace"));
