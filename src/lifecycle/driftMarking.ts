// NodeClaim drift marking (Karpenter's nodeclaim disruption controller, drift part): sets or clears the
// `Drifted` condition of every launched NodeClaim — NodePool hash/requirements first, then the cloud provider's
// reason (cached per NodeClaim: each answer may cost a DescribeInstances call). The disruption pass reads it.
import type { NodeClaim } from "../apis/generated/nodeclaims";
import type { CloudProvider } from "../cloudprovider/types";
import { KubeObject, isNotFound } from "../kube/client";
import type { EngineDeps } from "../kube/deps";
import { driftReason } from "../disruption/driftDetection";
import type { NodeInfo, NodePoolLike } from "../disruption/types";
import { Condition, getCondition, setCondition } from "./conditions";
import { writeNodeClaimConditions } from "./nodeClaimConditions";

/** How long a cloud provider drift answer is reused (each answer may cost a DescribeInstances call). */
export const CLOUD_DRIFT_CACHE_MS = 60_000;

export class DriftMarker {
  private readonly cloudDrift = new Map<string, { reason: string; at: number }>();

  constructor(
    private readonly deps: Pick<EngineDeps, "client" | "state" | "clock" | "log"> & {
      cloud: Pick<CloudProvider, "isDrifted">;
    },
  ) {}

  /** Sets (or clears) the NodeClaim `Drifted` condition: NodePool hash/requirements first, then the cloud's reason. */
  async markDrift(): Promise<void> {
    const { state, clock, client, log } = this.deps;
    const now = clock.now();
    for (const nc of [...state.nodeClaims.values()]) {
      if (nc.metadata.deletionTimestamp) continue;
      const conds = (nc.status?.conditions ?? []) as Condition[];
      if (getCondition(conds, "Launched")?.status !== "True") continue;
      const np = state.nodePools.get(nc.metadata.labels?.["karpenter.sh/nodepool"] ?? "");
      if (!np) continue;
      const node = state.stateNodeForNodeClaim(nc.metadata.name!)?.node;
      const info = {
        nodeClaimAnnotations: nc.metadata.annotations,
        labels: { ...(nc.metadata.labels ?? {}), ...(node?.metadata.labels ?? {}) },
      } as NodeInfo;
      let reason = driftReason(info, np as unknown as NodePoolLike, "");
      if (!reason) reason = await this.cloudDriftReason(nc as unknown as NodeClaim, now);
      const cur = getCondition(conds, "Drifted");
      let next: Condition[] | undefined;
      if (reason && (cur?.status !== "True" || cur.reason !== reason)) {
        next = setCondition(conds, "Drifted", "True", reason, driftMessage(reason), now);
      } else if (!reason && cur) {
        next = conds.filter((c) => c.type !== "Drifted");
      }
      if (!next) continue;
      try {
        await writeNodeClaimConditions({ client, state }, nc as KubeObject, next, now);
        if (reason) log.info({ NodeClaim: { name: nc.metadata.name }, reason }, "marked nodeclaim drifted");
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    for (const name of this.cloudDrift.keys()) if (!state.nodeClaims.has(name)) this.cloudDrift.delete(name);
  }

  private async cloudDriftReason(nc: NodeClaim, now: number): Promise<string> {
    const name = nc.metadata.name!;
    const cached = this.cloudDrift.get(name);
    if (cached && now - cached.at < CLOUD_DRIFT_CACHE_MS) return cached.reason;
    let reason = "";
    try {
      reason = await this.deps.cloud.isDrifted(nc as never);
    } catch (err) {
      this.deps.log.debug({ NodeClaim: { name }, error: String((err as Error)?.message ?? err) }, "drift check failed");
      return cached?.reason ?? "";
    }
    this.cloudDrift.set(name, { reason, at: now });
    return reason;
  }
}

function driftMessage(reason: string): string {
  switch (reason) {
    case "NodePoolDrifted":
      return "NodePool template changed (karpenter.sh/nodepool-hash differs)";
    case "RequirementsDrifted":
      return "NodeClaim labels no longer satisfy the NodePool requirements";
    default:
      return `Cloud provider reports drift: ${reason}`;
  }
}
