// Provisioning inputs: pods (pending ones drive launches, bound ones are capacity in use), daemonsets
// (per-node overhead), NodePools and NodeOverlays (price/capacity adjustments, behind the NodeOverlay gate), and the
// storage objects behind pods' volumes (claims, PVs, StorageClasses: volume topology; CSINodes: attach limits).
// Logic: src/provisioning/, src/scheduling/volumes.ts.
import { Capability, a } from "pepr";
import { CSINode, NodeOverlay, NodePool } from "./kinds";
import { feed } from "./controllers";

export const Provisioning = new Capability({
  name: "provisioning",
  description: "Pending pods → NodeClaims (Karpenter provisioning) — feeds the engine's cluster state",
});
const { When } = Provisioning;

// Two pod bindings (pepr 1.1.4 exposes no "any event" selector): created/updated and deleted.
When(a.Pod).IsCreatedOrUpdated().Watch(feed("Pod"));
When(a.Pod).IsDeleted().Watch(feed("Pod"));
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
