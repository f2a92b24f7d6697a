// Crash safety, both directions (Karpenter's nodeclaim/garbagecollection):
//  - an instance tagged for this cluster with no NodeClaim (e.g. we crashed between CreateFleet and writing
//    status, and the NodeClaim was then deleted) is terminated once older than the grace period;
//  - an instance tagged for a NodeClaim that records a different instance (a duplicate launch) is terminated;
//  - a launched NodeClaim whose instance no longer exists is deleted (its finalizer then cleans the Node).
// Runs only on a synced cluster state; otherwise a NodeClaim we have not seen yet would look like a leak.
import type { NodeClaim } from "../apis/generated/nodeclaims";
import { CloudProvider, CloudInstance, NodeClaimNotFoundError } from "../cloudprovider/types";
import { KubeObject, Kinds } from "../kube/client";
import { Condition, Launched, getCondition } from "./conditions";
import { LabelNodeClaimTag, nodeClaimRef } from "./constants";
import type { EngineDeps } from "../kube/deps";

export interface GcDeps extends Pick<EngineDeps, "client" | "state" | "clock" | "log" | "metrics"> {
  cloud: CloudProvider;
  gracePeriodMs: number;
}
export interface GcResult {
  terminatedInstances: string[];
  deletedNodeClaims: string[];
}

const GONE = new Set(["shutting-down", "terminated"]);

async function instanceGone(cloud: CloudProvider, providerID: string): Promise<boolean> {
  try {
    return GONE.has((await cloud.get(providerID)).state);
  } catch (e) {
    if (e instanceof NodeClaimNotFoundError) return true;
    return false; // unknown: act next pass
  }
}

export async function garbageCollect(deps: GcDeps): Promise<GcResult> {
  const out: GcResult = { terminatedInstances: [], deletedNodeClaims: [] };
  if (!deps.state.isSynced) return out;
  const now = deps.clock.now();
  const instances: CloudInstance[] = await deps.cloud.list();
  const live = instances.filter((i) => !GONE.has(i.state));
  const claimsByProvider = new Set<string>();
  for (const nc of deps.state.nodeClaims.values())
    if (nc.status?.providerID) claimsByProvider.add(nc.status.providerID);

  // The cache is only a hint (it can have missed an event or dropped an object at relist): before terminating
  // anything, ask the apiserver once which NodeClaims exist, and spare every instance one of them claims.
  let apiClaims: { byProvider: Set<string>; byName: Map<string, NodeClaim> } | undefined;
  const apiserverClaims = async () => {
    if (apiClaims) return apiClaims;
    const list = await deps.client.list<NodeClaim & KubeObject>(Kinds.NodeClaim);
    apiClaims = { byProvider: new Set(), byName: new Map() };
    for (const nc of list) {
      apiClaims.byName.set(nc.metadata.name!, nc);
      if (nc.status?.providerID) apiClaims.byProvider.add(nc.status.providerID);
    }
    return apiClaims;
  };

  for (const inst of live) {
    if (claimsByProvider.has(inst.providerID)) continue;
    const claimName = inst.tags[LabelNodeClaimTag];
    // Launched but status not written yet: the lifecycle reconcile will adopt it (create is idempotent by name).
    // But once that NodeClaim records another instance, this one is a duplicate launch for it: terminate it.
    const owner = claimName ? deps.state.nodeClaims.get(claimName) : undefined;
    if (owner && !owner.status?.providerID) continue;
    if (now - inst.launchTime.getTime() < deps.gracePeriodMs) continue;
    let api;
    try {
      api = await apiserverClaims();
    } catch (e) {
      deps.log.error({ error: (e as Error).message }, "garbage collection skipped, could not list nodeclaims");
      break;
    }
    const apiOwner = claimName ? api.byName.get(claimName) : undefined;
    if (api.byProvider.has(inst.providerID) || (apiOwner && !apiOwner.status?.providerID)) {
      deps.log.debug({ "provider-id": inst.providerID }, "instance has a nodeclaim the cache missed, not collecting");
      continue;
    }
    const ghost: NodeClaim = {
      apiVersion: "karpenter.sh/v1",
      kind: "NodeClaim",
      metadata: { name: claimName ?? inst.instanceID, labels: {} },
      spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "" }, requirements: [] },
      status: { providerID: inst.providerID },
    };
    try {
      await deps.cloud.delete(ghost as never);
    } catch (e) {
      if (!(e instanceof NodeClaimNotFoundError)) {
        deps.log.error(
          { "provider-id": inst.providerID, error: (e as Error).message },
          "failed garbage collecting instance",
        );
        continue;
      }
    }
    const node = deps.state.nodeForProviderID(inst.providerID);
    if (node)
      await deps.client
        .delete(Kinds.Node, node.metadata.name, undefined, { uid: node.metadata.uid })
        .catch(() => undefined);
    deps.log.info(
      {
        "provider-id": inst.providerID,
        NodeClaim: claimName ? { name: claimName } : undefined,
        "instance-type": inst.instanceType,
        ...(owner ? { reason: "duplicate", "nodeclaim-provider-id": owner.status?.providerID } : {}),
      },
      "garbage collected cloudprovider instance",
    );
    out.terminatedInstances.push(inst.providerID);
  }

  const liveIds = new Set(live.map((i) => i.providerID));
  for (const nc of deps.state.nodeClaims.values()) {
    const pid = nc.status?.providerID;
    if (!pid || liveIds.has(pid) || nc.metadata.deletionTimestamp) continue;
    const launched = getCondition(nc.status?.conditions as Condition[], Launched);
    const since = Date.parse(launched?.lastTransitionTime ?? nc.metadata.creationTimestamp ?? "");
    if (launched?.status !== "True" || !Number.isFinite(since) || now - since < deps.gracePeriodMs) continue;
    // A List can miss a fresh instance (EC2 eventual consistency): confirm it is gone by ID, and that the
    // NodeClaim still exists with this providerID, before deleting it.
    if (!(await instanceGone(deps.cloud, pid))) continue;
    const cur = await deps.client.get<NodeClaim & KubeObject>(Kinds.NodeClaim, nc.metadata.name!);
    if (!cur || cur.status?.providerID !== pid || cur.metadata.deletionTimestamp) continue;
    deps.log.info(
      { ...nodeClaimRef(nc), "provider-id": pid },
      "garbage collecting nodeclaim with no cloudprovider instance",
    );
    await deps.client.delete(Kinds.NodeClaim, nc.metadata.name!);
    out.deletedNodeClaims.push(nc.metadata.name!);
  }
  return out;
}
