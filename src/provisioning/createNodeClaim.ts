// The one NodeClaim creator: provisioning, static NodePools and disruption replacements all turn a planned NodeClaim
// into the karpenter.sh/v1 object (nodeClaimFromPlan), create it, record it in the cluster state before the next
// count (the duplicate guard), count karpenter_nodeclaims_created_total and log Karpenter's "created nodeclaim".
// Names: `<nodepool>-<5 random chars>` with a fresh draw on a collision, or a caller-chosen deterministic name
// (disruption: a retried command finds its own replacement instead of creating a second one).
import type { NodeClaim } from "../apis/generated/nodeclaims";
import type { NodePool } from "../apis/generated/nodepools";
import { KubeObject, Kinds, isConflict } from "../kube/client";
import type { NewNodeClaim } from "../scheduling/types";
import { MinValuesRelaxedAnnotation } from "../apis/labels";
import { describeInstanceTypes, nodeClaimFromPlan, randomSuffix } from "./nodeClaimFromPlan";
import type { EngineDeps } from "../kube/deps";

export interface NodeClaimCreatorDeps extends Pick<EngineDeps, "client" | "state" | "log" | "metrics"> {
  random?: () => number;
}

export interface CreateNodeClaimOptions {
  /** karpenter_nodeclaims_created_total's reason label: provisioning, static, drift, underutilized, ... */
  reason: string;
  /** A deterministic name: an existing live NodeClaim of that name is adopted (idempotent retry). */
  name?: string;
  /** Log message (default Karpenter's "created nodeclaim"). */
  message?: string;
}

export interface CreatedNodeClaim {
  nodeClaim: NodeClaim;
  /** False when a deterministic name found the NodeClaim already there (created by an earlier attempt). */
  created: boolean;
}

const NAME_ATTEMPTS = 3;

/** Creates the NodeClaim of a plan; throws the apiserver's error (the caller reports it) or on no free name. */
export async function createNodeClaim(
  deps: NodeClaimCreatorDeps,
  plan: NewNodeClaim,
  np: NodePool,
  opts: CreateNodeClaimOptions,
): Promise<CreatedNodeClaim> {
  const { client, state, log, metrics } = deps;
  const pool = np.metadata.name!;
  for (let attempt = 0; attempt < (opts.name ? 1 : NAME_ATTEMPTS); attempt++) {
    const name = opts.name ?? `${pool}-${randomSuffix(deps.random)}`;
    const obj = nodeClaimFromPlan(plan, np, name);
    try {
      const out = await client.create<KubeObject>(Kinds.NodeClaim, obj as unknown as KubeObject);
      state.apply("NodeClaim", out, "ADDED");
      metrics.nodeClaimsCreated.inc({
        nodepool: pool,
        reason: opts.reason,
        min_values_relaxed: obj.metadata.annotations?.[MinValuesRelaxedAnnotation] ?? "false",
      });
      log.info(
        {
          NodePool: { name: pool },
          NodeClaim: { name },
          requests: obj.spec.resources?.requests,
          "instance-types": describeInstanceTypes(plan.instanceTypeOptions.map((it) => it.name)),
        },
        opts.message ?? "created nodeclaim",
      );
      return { nodeClaim: out as unknown as NodeClaim, created: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
      if (!opts.name) continue; // random name collision: draw another suffix
      const existing = await client.get<KubeObject>(Kinds.NodeClaim, name);
      if (!existing || existing.metadata.deletionTimestamp)
        throw new Error(`nodeclaim ${name} exists but is being deleted`);
      state.apply("NodeClaim", existing, "MODIFIED");
      return { nodeClaim: existing as unknown as NodeClaim, created: false };
    }
  }
  throw new Error(`failed creating nodeclaim for nodepool ${pool}: no free name after ${NAME_ATTEMPTS} attempts`);
}
