// The nodeoverlay controller (Karpenter v1.14 pkg/controllers/nodeoverlay): evaluates every NodeOverlay against every
// NodePool's catalog (runtime validation, same-weight conflicts), keeps the evaluation the running controller
// applies to each NodePool's catalog (provisioning, static pools, disruption pricing and replacements), and writes
// each overlay's ValidationSucceeded and Ready conditions. Behind the NodeOverlay feature gate, as in Karpenter;
// with the gate off no overlay is applied and each one says so (Ready=False, FeatureGateDisabled): never silence.
import type { NodePool } from "../apis/generated/nodepools";
import type { InstanceType } from "../cloudprovider/types";
import type { ClusterState } from "../kube/clusterState";
import { KubeClient, KubeObject, Kinds, isNotFound } from "../kube/client";
import type { Logger } from "../log";
import { transitionTime } from "../apis/conditions";
import { jsonEqual } from "../apis/jsonEqual";
import type { Condition } from "../lifecycle/conditions";
import type { OverlayEvaluation } from "../scheduling/overlay";
import type { NodeOverlay, NodePool as SchedNodePool } from "../scheduling/types";
import { evaluateOverlays, poolCatalog } from "./schedulingInput";

export const ConditionValidationSucceeded = "ValidationSucceeded";

export interface NodeOverlayDeps {
  client: KubeClient;
  state: ClusterState;
  log: Logger;
  now: () => number;
  /** Karpenter's NodeOverlay feature gate. */
  enabled: boolean;
  /** A NodePool's catalog before overlays (its EC2NodeClass's instance types). */
  baseCatalog: (np: NodePool) => Promise<InstanceType[]>;
}

export class NodeOverlayController {
  private current?: OverlayEvaluation;
  private warnedDisabled = false;

  constructor(private readonly deps: NodeOverlayDeps) {}

  /** The evaluation in force (undefined: gate off or no overlays). */
  get evaluation(): OverlayEvaluation | undefined {
    return this.current;
  }

  /** The NodePool's catalog with the overlays in force applied. */
  async catalog(np: NodePool): Promise<InstanceType[]> {
    const base = await this.deps.baseCatalog(np);
    return poolCatalog(np as unknown as SchedNodePool, base, this.current);
  }

  /** Re-evaluates all overlays and writes their conditions; returns whether the evaluation changed what applies. */
  async reconcile(): Promise<void> {
    const { state, log, enabled } = this.deps;
    const overlays = [...state.nodeOverlays.values()]
      .filter((o) => !o.metadata.deletionTimestamp)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)) as unknown as NodeOverlay[];
    if (!enabled) {
      this.current = undefined;
      if (overlays.length && !this.warnedDisabled) {
        this.warnedDisabled = true;
        log.error(
          { NodeOverlays: overlays.map((o) => o.metadata.name) },
          "NodeOverlays exist but the NodeOverlay feature gate is off; they are not applied (set FEATURE_GATES=NodeOverlay=true)",
        );
      }
      for (const o of overlays)
        await this.writeConditions(o, [
          [
            "Ready",
            "False",
            "FeatureGateDisabled",
            "not applied: the NodeOverlay feature gate is off; set FEATURE_GATES=NodeOverlay=true",
          ],
        ]);
      return;
    }
    if (overlays.length === 0) {
      this.current = undefined;
      return;
    }
    const nodePools = [...state.nodePools.values()]
      .filter((np) => !np.metadata.deletionTimestamp)
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
    const catalogs: Record<string, InstanceType[]> = {};
    for (const np of nodePools) {
      try {
        catalogs[np.metadata.name!] = await this.deps.baseCatalog(np);
      } catch {
        catalogs[np.metadata.name!] = []; // a broken EC2NodeClass is reported by its own controller
      }
    }
    const ev = evaluateOverlays(overlays, nodePools as unknown as SchedNodePool[], catalogs);
    this.current = ev;
    for (const v of ev.verdicts) {
      const o = overlays.find((x) => x.metadata.name === v.name);
      if (!o) continue;
      if (!v.valid)
        log.error({ NodeOverlay: { name: v.name }, reason: v.reason, error: v.message }, "nodeoverlay not applied");
      await this.writeConditions(
        o,
        v.valid
          ? [[ConditionValidationSucceeded, "True", ConditionValidationSucceeded, ""]]
          : [[ConditionValidationSucceeded, "False", v.reason!, v.message ?? ""]],
      );
    }
  }

  private async writeConditions(o: NodeOverlay, sets: [[string, Condition["status"], string, string]]): Promise<void> {
    const cur = o as unknown as KubeObject;
    const before = (cur.status?.conditions ?? []) as Condition[];
    const now = this.deps.now();
    const prev = (t: string) => before.find((c) => c.type === t);
    const cond = (type: string, status: Condition["status"], reason: string, message: string): Condition => ({
      type,
      status,
      reason,
      message,
      lastTransitionTime: transitionTime(prev(type), status, now),
    });
    // Ready mirrors ValidationSucceeded and carries its message (Argo CD's health shows Ready's message); with the
    // gate off only Ready is written.
    const [type, status, reason, message] = sets[0]!;
    let conds: Condition[] =
      type === "Ready"
        ? [cond("Ready", status, reason, message)]
        : [cond("Ready", status, status === "True" ? "Ready" : reason, message), cond(type, status, reason, message)];
    const gen = cur.metadata.generation as number | undefined;
    if (gen !== undefined) conds = conds.map((c) => ({ ...c, observedGeneration: gen }));
    const strip = (cs: Condition[]) => cs.map(({ lastTransitionTime: _t, ...c }) => c);
    if (jsonEqual(strip(conds), strip(before))) return;
    try {
      const out = await this.deps.client.patchStatus<KubeObject>(Kinds.NodeOverlay, cur.metadata.name, {
        conditions: conds,
      });
      this.deps.state.apply("NodeOverlay", out, "MODIFIED");
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
