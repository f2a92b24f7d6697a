// NodeClaim consolidation marking (Karpenter's nodeclaim.podevents and the consolidation part of its nodeclaim
// disruption controller): persists `status.lastPodEventTime` and sets or clears the `Consolidatable` condition, so
// the consolidateAfter clock survives a restart of the watcher and users see which NodeClaims consolidation may
// pick (`kubectl get nodeclaims -o yaml`, Argo CD). The disruption pass decides from the same rule
// (disruption/candidates.ts), over the same pod events.
import { rfc3339 } from "../apis/goTime";
import { consolidateAfterElapsed, consolidateAfterMs } from "../disruption/candidates";
import { isNotFound, type KubeObject } from "../kube/client";
import type { EngineDeps } from "../kube/deps";
import { type Condition, getCondition, Initialized, setCondition } from "./conditions";
import { writeNodeClaimConditions } from "./nodeClaimConditions";

export const Consolidatable = "Consolidatable";

/** A metav1.Time has whole seconds: round up, so a restored clock never runs ahead of the event. */
export function lastPodEventStamp(ms: number): string {
  return rfc3339(Math.ceil(ms / 1000) * 1000);
}

function parseTime(s: unknown): number | undefined {
  if (typeof s !== "string") return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** The NodeClaim's last pod event: the newer of the persisted one and one seen since (`seenMs`). */
export function lastPodEventOf(nc: KubeObject, seenMs: number | undefined): number | undefined {
  const stored = parseTime(nc.status?.lastPodEventTime);
  if (stored === undefined) return seenMs;
  return seenMs === undefined ? stored : Math.max(stored, seenMs);
}

export interface ConsolidatableDecision {
  /** `status.lastPodEventTime` to write, when the one seen is newer than the stored one. */
  lastPodEventTime?: string;
  /** The conditions to write, when `Consolidatable` changes. */
  conditions?: Condition[];
}

/** What one NodeClaim's status should become (nothing to write: both fields undefined). */
export function decideConsolidatable(
  nc: KubeObject,
  nodePool: KubeObject,
  seenMs: number | undefined,
  nowMs: number,
): ConsolidatableDecision {
  const out: ConsolidatableDecision = {};
  const storedStamp = nc.status?.lastPodEventTime as string | undefined;
  if (seenMs !== undefined) {
    const stamp = lastPodEventStamp(seenMs);
    const stored = parseTime(storedStamp);
    if (stored === undefined || Date.parse(stamp) > stored) out.lastPodEventTime = stamp;
  }
  const conds = (nc.status?.conditions ?? []) as Condition[];
  const initialized = getCondition(conds, Initialized);
  const initializedAt = parseTime(initialized?.lastTransitionTime);
  const want =
    initialized?.status === "True" &&
    consolidateAfterElapsed(
      consolidateAfterMs(nodePool),
      lastPodEventOf(nc, seenMs),
      initializedAt ?? parseTime(nc.metadata.creationTimestamp) ?? nowMs,
      nowMs,
    );
  const cur = getCondition(conds, Consolidatable);
  if (want && cur?.status !== "True")
    out.conditions = setCondition(conds, Consolidatable, "True", Consolidatable, "", nowMs);
  else if (!want && cur) out.conditions = conds.filter((c) => c.type !== Consolidatable);
  return out;
}

export class ConsolidatableMarker {
  constructor(private readonly deps: Pick<EngineDeps, "client" | "state" | "clock" | "log">) {}

  /**
   * One pass over the NodeClaims. `lastPodEvent`: node name → the last pod bound to or leaving it (ms), as the
   * disruption controller records them; a NodeClaim's persisted time is only ever moved forward.
   */
  async mark(lastPodEvent: ReadonlyMap<string, number>): Promise<void> {
    const { state, clock, client, log } = this.deps;
    const now = clock.now();
    for (const nc of [...state.nodeClaims.values()] as KubeObject[]) {
      if (nc.metadata.deletionTimestamp) continue;
      const np = state.nodePools.get(nc.metadata.labels?.["karpenter.sh/nodepool"] ?? "") as KubeObject | undefined;
      if (!np) continue;
      const nodeName = nc.status?.nodeName as string | undefined;
      let decision: ConsolidatableDecision;
      try {
        decision = decideConsolidatable(nc, np, nodeName ? lastPodEvent.get(nodeName) : undefined, now);
      } catch (err) {
        // A consolidateAfter that does not parse: the disruption pass reports it (naming the field) each pass.
        log.debug({ NodeClaim: { name: nc.metadata.name }, error: String((err as Error).message) }, "not marking");
        continue;
      }
      if (!decision.conditions && !decision.lastPodEventTime) continue;
      const conditions = decision.conditions ?? ((nc.status?.conditions ?? []) as Condition[]);
      const extra = decision.lastPodEventTime ? { lastPodEventTime: decision.lastPodEventTime } : {};
      try {
        await writeNodeClaimConditions({ client, state }, nc, conditions, now, extra);
        if (decision.conditions)
          log.debug(
            {
              NodeClaim: { name: nc.metadata.name },
              consolidatable: getCondition(conditions, Consolidatable) !== undefined,
            },
            "marked nodeclaim consolidatable",
          );
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
}
