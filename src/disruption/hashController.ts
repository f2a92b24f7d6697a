// Karpenter's nodepool.hash and nodeclass.hash controllers: keep `karpenter.sh/nodepool-hash` (+ -version) on each
// NodePool and `karpenter.k8s.aws/ec2nodeclass-hash` (+ -version) on each EC2NodeClass. When an object's recorded
// hash version is not the current one (a cluster taken over from an older Karpenter, or a capsicum upgrade that
// changed the hash), its NodeClaims are re-stamped with the new version — and the new hash unless they are already
// Drifted — so a hash-algorithm change never rolls a fleet, exactly as Karpenter's drift-hash-versioning design.
import { JsonPatchOp, KubeObject, Kinds, ResourceKind, isNotFound, jsonPointerEscape } from "../kube/client";
import {
  EC2NODECLASS_HASH_ANNOTATION,
  EC2NODECLASS_HASH_VERSION_ANNOTATION,
  NODEPOOL_HASH_ANNOTATION,
  NODEPOOL_HASH_VERSION_ANNOTATION,
  nodePoolHashAnnotations,
} from "../apis/karpenterHash";
import type { EngineDeps } from "../kube/deps";

export type HashControllerDeps = Pick<EngineDeps, "client" | "state" | "log">;

/** JSON-patch ops setting `values` into metadata.annotations (creating the map when absent). */
export function annotationOps(obj: KubeObject, values: Record<string, string>): JsonPatchOp[] {
  const current = obj.metadata.annotations as Record<string, string> | undefined;
  const changed = Object.entries(values).filter(([k, v]) => current?.[k] !== v);
  if (changed.length === 0) return [];
  if (!current) return [{ op: "add", path: "/metadata/annotations", value: { ...values } }];
  return changed.map(([k, v]) => ({ op: "add", path: `/metadata/annotations/${jsonPointerEscape(k)}`, value: v }));
}

async function patchAnnotations(
  deps: HashControllerDeps,
  kindName: "NodePool" | "NodeClaim" | "EC2NodeClass",
  obj: KubeObject,
  values: Record<string, string>,
): Promise<void> {
  const ops = annotationOps(obj, values);
  if (!ops.length) return;
  try {
    const out = await deps.client.patch<KubeObject>(Kinds[kindName], obj.metadata.name, ops);
    deps.state.apply(kindName, out, "MODIFIED");
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

const isDrifted = (nc: KubeObject): boolean =>
  ((nc.status?.conditions ?? []) as Array<{ type: string }>).some((c) => c.type === "Drifted");

/** Re-stamps NodeClaims whose hash version differs from the controller's (Karpenter's updateNodeClaimHash). */
async function restampNodeClaims(
  deps: HashControllerDeps,
  nodeClaims: KubeObject[],
  hashKey: string,
  versionKey: string,
  hash: string,
  version: string,
): Promise<void> {
  for (const nc of nodeClaims) {
    const ann = (nc.metadata.annotations ?? {}) as Record<string, string>;
    if (ann[versionKey] === version) continue;
    // An already Drifted NodeClaim stays drifted: its old hash cannot be compared with the new algorithm.
    const values: Record<string, string> = isDrifted(nc)
      ? { [versionKey]: version }
      : { [versionKey]: version, [hashKey]: hash };
    await patchAnnotations(deps, "NodeClaim", nc, values);
  }
}

export async function reconcileNodePoolHash(deps: HashControllerDeps, name: string): Promise<void> {
  const np = deps.state.nodePools.get(name) as unknown as KubeObject | undefined;
  if (!np || np.metadata.deletionTimestamp) return;
  const want = nodePoolHashAnnotations(np as never);
  const ann = (np.metadata.annotations ?? {}) as Record<string, string>;
  if (ann[NODEPOOL_HASH_VERSION_ANNOTATION] !== want[NODEPOOL_HASH_VERSION_ANNOTATION]) {
    await restampNodeClaims(
      deps,
      deps.state.nodeClaimsOfPool(name) as unknown as KubeObject[],
      NODEPOOL_HASH_ANNOTATION,
      NODEPOOL_HASH_VERSION_ANNOTATION,
      want[NODEPOOL_HASH_ANNOTATION]!,
      want[NODEPOOL_HASH_VERSION_ANNOTATION]!,
    );
  }
  await patchAnnotations(deps, "NodePool", np, want);
}

export async function reconcileNodeClassHash(
  deps: HashControllerDeps,
  name: string,
  hashAnnotations: (nc: KubeObject) => Record<string, string>,
): Promise<void> {
  const ncl = deps.state.nodeClasses.get(name);
  if (!ncl || ncl.metadata.deletionTimestamp) return;
  const want = hashAnnotations(ncl);
  const ann = (ncl.metadata.annotations ?? {}) as Record<string, string>;
  if (ann[EC2NODECLASS_HASH_VERSION_ANNOTATION] !== want[EC2NODECLASS_HASH_VERSION_ANNOTATION]) {
    const claims = [...deps.state.nodeClaims.values()].filter(
      (nc) => nc.spec?.nodeClassRef?.name === name,
    ) as unknown as KubeObject[];
    await restampNodeClaims(
      deps,
      claims,
      EC2NODECLASS_HASH_ANNOTATION,
      EC2NODECLASS_HASH_VERSION_ANNOTATION,
      want[EC2NODECLASS_HASH_ANNOTATION]!,
      want[EC2NODECLASS_HASH_VERSION_ANNOTATION]!,
    );
  }
  await patchAnnotations(deps, "EC2NodeClass", ncl, want);
}
