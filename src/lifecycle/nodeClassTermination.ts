// The EC2NodeClass termination finalizer (karpenter.k8s.aws/termination), as Karpenter AWS's nodeclass controller:
// added to every EC2NodeClass; on deletion it waits while NodeClaims still reference the class (a Normal
// WaitingOnNodeClaimTermination Event, re-fired periodically), then removes the instance profile and launch
// templates capsicum created for it, then the finalizer. Crash-safe: every step is idempotent.
import { KubeObject, Kinds, isNotFound, rvGuard } from "../kube/client";
import type { EventRecorder } from "../kube/events";
import type { EngineDeps } from "../kube/deps";

export const NODECLASS_TERMINATION_FINALIZER = "karpenter.k8s.aws/termination";

export interface NodeClassTerminationDeps extends Pick<EngineDeps, "client" | "state" | "log"> {
  events: Pick<EventRecorder, "publish">;
  /** Cloud cleanup of what capsicum created for the class (instance profile, launch templates). */
  finalize?: (nodeClass: KubeObject) => Promise<unknown>;
}

/** Karpenter's PrettySlice: the first `n` names, then "and N other(s)". */
function prettySlice(names: string[], n = 5): string {
  const shown = names.slice(0, n).join(", ");
  return names.length > n ? `${shown} and ${names.length - n} other(s)` : shown;
}

/** Returns a requeue delay (ms) while waiting on NodeClaims, else undefined. */
export async function reconcileNodeClassTermination(
  deps: NodeClassTerminationDeps,
  name: string,
): Promise<number | undefined> {
  const ncl = deps.state.nodeClasses.get(name);
  if (!ncl) return undefined;
  const finalizers = (ncl.metadata.finalizers ?? []) as string[];
  if (!ncl.metadata.deletionTimestamp) {
    if (finalizers.includes(NODECLASS_TERMINATION_FINALIZER)) return undefined;
    const out = await deps.client.patch<KubeObject>(Kinds.EC2NodeClass, name, [
      rvGuard(ncl.metadata.resourceVersion),
      ncl.metadata.finalizers
        ? { op: "add", path: "/metadata/finalizers/-", value: NODECLASS_TERMINATION_FINALIZER }
        : { op: "add", path: "/metadata/finalizers", value: [NODECLASS_TERMINATION_FINALIZER] },
    ]);
    deps.state.apply("EC2NodeClass", out, "MODIFIED");
    return undefined;
  }
  if (!finalizers.includes(NODECLASS_TERMINATION_FINALIZER)) return undefined;
  // Ask the apiserver, not the cache: a NodeClaim the watch has not delivered yet must still block deletion.
  // Karpenter's ForNodeClass: group, kind and name (a NodeClaim of another provider's class of that name is not ours).
  const claims = (await deps.client.list<KubeObject>(Kinds.NodeClaim)).filter((nc) => {
    const ref = nc.spec?.nodeClassRef;
    return ref?.name === name && ref.group === "karpenter.k8s.aws" && ref.kind === "EC2NodeClass";
  });
  if (claims.length) {
    const uid = ncl.metadata.uid as string;
    deps.events.publish({
      involved: { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", name, uid },
      type: "Normal",
      reason: "WaitingOnNodeClaimTermination",
      message: `Waiting on NodeClaim termination for ${prettySlice(claims.map((c) => c.metadata.name))}`,
      dedupeValues: [uid],
    });
    return 10 * 60_000;
  }
  if (deps.finalize) await deps.finalize(ncl);
  const idx = finalizers.indexOf(NODECLASS_TERMINATION_FINALIZER);
  try {
    const out = await deps.client.patch<KubeObject>(Kinds.EC2NodeClass, name, [
      rvGuard(ncl.metadata.resourceVersion),
      { op: "test", path: `/metadata/finalizers/${idx}`, value: NODECLASS_TERMINATION_FINALIZER },
      { op: "remove", path: `/metadata/finalizers/${idx}` },
    ]);
    deps.state.apply("EC2NodeClass", out, "MODIFIED");
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  deps.log.info({ EC2NodeClass: { name } }, "deleted ec2nodeclass resources, removed finalizer");
  return undefined;
}
