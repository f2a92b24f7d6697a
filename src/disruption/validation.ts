// Re-check a command against a fresh snapshot taken after COMMAND_VALIDATION_DELAY_MS (Karpenter: 15 s) before
// executing it: the cluster may have changed (pods scheduled onto a node, a do-not-disrupt pod arrived, budgets
// consumed, drift fixed). Pure: compares the snapshot the command was computed from with the new one.
import { allowedDisruptionsForCluster } from "./budgets";
import { isEmptyCandidate, selectCandidates } from "./candidates";
import { computeConsolidation } from "./consolidation";
import {
  DEFAULT_SETTINGS,
  type ClusterSnapshot,
  type Command,
  type DisruptionSettings,
  type NodeInfo,
  type Simulator,
} from "./types";

export type ValidationResult = { valid: true } | { valid: false; reason: string };

const podKeys = (n: NodeInfo): string =>
  n.pods
    .filter((p) => !p.deletionTimestamp)
    .map((p) => p.uid ?? `${p.namespace}/${p.name}`)
    .sort()
    .join(",");

export function validateCommand(
  cmd: Command,
  before: ClusterSnapshot,
  after: ClusterSnapshot,
  now: Date,
  opts: { simulator: Simulator; settings?: Partial<DisruptionSettings> },
): ValidationResult {
  const settings: DisruptionSettings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const { candidates } = selectCandidates(after, now, settings);
  const byName = new Map(candidates.map((c) => [c.node.name, c]));
  const beforeNodes = new Map(before.nodes.map((n) => [n.name, n]));
  const fresh = [];
  for (const old of cmd.candidates) {
    const c = byName.get(old.node.name);
    if (!c) return { valid: false, reason: `node ${old.node.name} is no longer a disruption candidate` };
    if (cmd.reason === "Drifted" && c.driftReason === undefined)
      return { valid: false, reason: `node ${c.node.name} is no longer drifted` };
    if (cmd.reason !== "Drifted" && !c.consolidatable)
      return { valid: false, reason: `node ${c.node.name} had a pod event since the decision` };
    if (cmd.reason === "Empty" && !isEmptyCandidate(c))
      return { valid: false, reason: `node ${c.node.name} is no longer empty` };
    const prev = beforeNodes.get(c.node.name);
    if (cmd.reason === "Underutilized" && prev && podKeys(prev) !== podKeys(c.node)) {
      return { valid: false, reason: `pods on node ${c.node.name} changed since the decision` };
    }
    fresh.push(c);
  }
  const budgets = allowedDisruptionsForCluster(after, now);
  const perPool = new Map<string, number>();
  for (const c of fresh) perPool.set(c.node.nodePoolName, (perPool.get(c.node.nodePoolName) ?? 0) + 1);
  for (const [pool, count] of perPool) {
    const allowed = budgets.get(pool)?.byReason[cmd.reason] ?? 0;
    if (count > allowed)
      return {
        valid: false,
        reason: `disruption budget for nodepool "${pool}" now allows ${allowed} ${cmd.reason} disruption(s), command needs ${count}`,
      };
  }
  if (cmd.reason === "Underutilized") {
    const outcome = computeConsolidation({
      snapshot: after,
      candidates: fresh,
      simulator: opts.simulator,
      settings,
      mode: fresh.length > 1 ? "multi" : "single",
      allCandidates: candidates,
    });
    if (!outcome.ok) return { valid: false, reason: outcome.reason };
    if (cmd.decision === "delete" && outcome.decision !== "delete")
      return { valid: false, reason: "deleting the node(s) now needs a replacement" };
  }
  return { valid: true };
}
