// Karpenter AWS's registration hooks (cmd/controller: WithRegistrationHook). The placement-group hook holds a
// NodeClaim of a partition placement group in registration until its placement-group-partition label has a
// value: EC2 picks the partition of an instance that did not target one, and DescribeInstances may report it only
// after launch. Without the hook the Node would lose the karpenter.sh/unregistered taint with an empty partition
// label, and topology spread over that key would count it nowhere.
import { LabelPlacementGroupID, LabelPlacementGroupPartition } from "../../apis/labels";
import type { CloudInstance, NodeClaimLike, RegistrationHook, RegistrationHookResult } from "../types";
import { parseProviderID } from "./instances";

export class PlacementGroupRegistrationHook implements RegistrationHook {
  readonly name = "PlacementGroupRegistrationHook";

  /** `describe` reads the instance fresh from EC2 (no snapshot): undefined when EC2 does not know it. */
  constructor(private readonly describe: (instanceID: string) => Promise<CloudInstance | undefined>) {}

  async registered(nodeClaim: NodeClaimLike): Promise<RegistrationHookResult> {
    const labels = nodeClaim.metadata.labels ?? {};
    // Launched outside a placement group, or in one without partitions (the launch sets no partition label).
    if (labels[LabelPlacementGroupID] === undefined) return {};
    const partition = labels[LabelPlacementGroupPartition];
    if (partition === undefined || partition !== "") return {};
    const providerID = nodeClaim.status?.providerID;
    if (!providerID) return { requeue: true };
    const instanceID = parseProviderID(providerID);
    const inst = await this.describe(instanceID);
    if (!inst) throw new Error(`describing instance ${instanceID} for its partition number: instance not found`);
    if (inst.partitionNumber === undefined) return { requeue: true };
    return { labels: { [LabelPlacementGroupPartition]: String(inst.partitionNumber) } };
  }
}
