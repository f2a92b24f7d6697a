// NodeClaim lifecycle inputs: NodeClaims, Nodes (registration/initialization), EC2NodeClasses (status
// resolution) and VolumeAttachments (termination waits for a drained node's volumes to detach). Logic: src/lifecycle/ and src/cloudprovider/aws/.
import { Capability, a } from "pepr";
import { NodeClaim, EC2NodeClass } from "./kinds";
import { feed } from "./controllers";

export const Lifecycle = new Capability({
  name: "lifecycle",
  description: "NodeClaim launch, registration, initialization, termination and garbage collection",
});
const { When } = Lifecycle;

When(NodeClaim).IsCreatedOrUpdated().Watch(feed("NodeClaim"));
When(NodeClaim).IsDeleted().Watch(feed("NodeClaim"));
When(a.Node).IsCreatedOrUpdated().Watch(feed("Node"));
When(a.Node).IsDeleted().Watch(feed("Node"));
When(EC2NodeClass).IsCreatedOrUpdated().Watch(feed("EC2NodeClass"));
When(EC2NodeClass).IsDeleted().Watch(feed("EC2NodeClass"));
When(a.VolumeAttachment).IsCreatedOrUpdated().Watch(feed("VolumeAttachment"));
When(a.VolumeAttachment).IsDeleted().Watch(feed("VolumeAttachment"));
