// Status conditions as Karpenter writes them: lastTransitionTime only moves when the status flips, and the
// root `Ready` is True only when its dependents all are (a NodeClaim's: Launched, Registered, Initialized).
import { transitionTime } from "../apis/conditions";
import type { Condition } from "../apis/conditions";
import { jsonEqual } from "../apis/jsonEqual";
export type { Condition };

export const Launched = "Launched";
export const Registered = "Registered";
export const Initialized = "Initialized";
export const Ready = "Ready";
export const InstanceTerminating = "InstanceTerminating";
const READY_DEPENDS_ON = [Launched, Registered, Initialized];

export function getCondition(conds: Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}

export function isTrue(conds: Condition[] | undefined, type: string): boolean {
  return getCondition(conds, type)?.status === "True";
}

/** Returns a new list with `type` set; keeps lastTransitionTime when the status does not change. */
export function setCondition(
  conds: Condition[] | undefined,
  type: string,
  status: Condition["status"],
  reason: string,
  message: string,
  now: number,
  readyDependsOn: readonly string[] = READY_DEPENDS_ON,
): Condition[] {
  const list = (conds ?? []).filter((c) => c.type !== type);
  const prev = getCondition(conds, type);
  list.push({
    type,
    status,
    reason: reason || type,
    message,
    lastTransitionTime: transitionTime(prev, status, now),
  });
  return withReady(list, now, readyDependsOn);
}

/** Initial conditions of a fresh NodeClaim: everything Unknown. */
export function initialConditions(now: number): Condition[] {
  let c: Condition[] = [];
  for (const t of READY_DEPENDS_ON)
    c = setCondition(c, t, "Unknown", "AwaitingReconciliation", "object is awaiting reconciliation", now);
  return c;
}

/** Recomputes the root `Ready` from its dependents (NodeClaim: Launched, Registered, Initialized by default). */
function withReady(list: Condition[], now: number, readyDependsOn: readonly string[]): Condition[] {
  const deps = readyDependsOn.map((t) => getCondition(list, t));
  const rest = list.filter((c) => c.type !== Ready);
  const prev = getCondition(list, Ready);
  let status: Condition["status"] = "True",
    reason = Ready,
    message = "";
  const notTrue = deps.find((d) => d?.status !== "True");
  if (notTrue || deps.some((d) => !d)) {
    const failed = deps.find((d) => d?.status === "False");
    status = failed ? "False" : "Unknown";
    const culprit = failed ?? notTrue;
    reason = failed ? `${failed.type}False` : "UnhealthyDependents";
    message = culprit ? `${culprit.type}=${culprit.status}` : "dependents not reconciled";
  }
  rest.push({ type: Ready, status, reason, message, lastTransitionTime: transitionTime(prev, status, now) });
  return rest.sort((a, b) => a.type.localeCompare(b.type));
}

/** Same conditions in the same order; field order does not matter (the apiserver serves them with sorted keys). */
export function sameConditions(a: Condition[] | undefined, b: Condition[] | undefined): boolean {
  return jsonEqual(a ?? [], b ?? []);
}

/**
 * Three-way merge of a writer's condition changes onto the latest conditions: what the writer changed from the
 * list it read (`base` → `desired`: set, changed or removed types) is applied to `latest`, and everything another
 * writer changed meanwhile is kept. Without it, a writer that read the NodeClaim before an await (a launch, a
 * termination, a drift check) would send its whole stale list and drop a condition set in between, such as the
 * disruption queue's DisruptionReason. Ready is recomputed from the merged dependents.
 */
export function rebaseConditions(
  base: Condition[] | undefined,
  desired: Condition[],
  latest: Condition[] | undefined,
  now: number,
): Condition[] {
  const key = (c: Condition) => [c.status, c.reason, c.message, c.lastTransitionTime, c.observedGeneration].join("\0");
  const before = new Map((base ?? []).map((c) => [c.type, key(c)]));
  const wanted = new Set(desired.map((c) => c.type));
  let out = (latest ?? []).filter((c) => !before.has(c.type) || wanted.has(c.type));
  for (const c of desired) {
    if (c.type === Ready || before.get(c.type) === key(c)) continue;
    out = [...out.filter((x) => x.type !== c.type), c];
  }
  return out.some((c) => READY_DEPENDS_ON.includes(c.type) || c.type === Ready)
    ? withReady(out, now, READY_DEPENDS_ON)
    : out.sort((a, b) => a.type.localeCompare(b.type));
}
