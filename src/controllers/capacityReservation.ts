// Karpenter AWS's capacityreservation controllers (ReservedCapacity gate), every minute:
// - capacityreservation.capacitytype: a reservation that ends leaves its instances running as on-demand; the
//   NodeClaim and its registered Node are relabelled `karpenter.sh/capacity-type: on-demand` without the
//   capacity-reservation labels (never the other way round);
// - capacityreservation.expiration: NodeClaims in a capacity block that is expiring (40 minutes before its end, 10
//   minutes before EC2 starts reclaiming it) are deleted, so they drain gracefully instead of being reclaimed.
import type { CloudInstance } from "../cloudprovider/types";
import type { CapacityReservationProvider } from "../cloudprovider/aws/capacityReservations";
import { reservationFromEC2 } from "../cloudprovider/aws/capacityReservations";
import { Kinds, KubeError, type JsonPatchOp, type KubeObject } from "../kube/client";
import { LabelRegistered } from "../lifecycle/constants";
import type { EngineDeps } from "../kube/deps";
import * as L from "../apis/labels";
import type { Controller } from "./controller";

const RESERVATION_LABELS = [
  L.LabelCapacityReservationID,
  L.LabelCapacityReservationType,
  L.LabelCapacityReservationInterruptible,
];
export const CAPACITY_RESERVATION_PERIOD_MS = 60_000;

const pointer = (key: string) => `/metadata/labels/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;

/** JSON patch demoting a reserved object to on-demand (guarded: only while it is still labelled reserved). */
export function demotionPatch(labels: Record<string, string>): JsonPatchOp[] {
  return [
    { op: "test", path: pointer(L.LabelCapacityType), value: L.CapacityTypeReserved },
    { op: "replace", path: pointer(L.LabelCapacityType), value: L.CapacityTypeOnDemand },
    ...RESERVATION_LABELS.filter((k) => k in labels).map((k) => ({ op: "remove" as const, path: pointer(k) })),
  ];
}

export function capacityTypeSync(deps: EngineDeps, o: { list: () => Promise<CloudInstance[]> }): Controller {
  const log = deps.log.child({ controller: "capacityreservation.capacitytype" });
  const run = async () => {
    try {
      const byProvider = new Map((await o.list()).map((i) => [i.providerID, i]));
      const updated: string[] = [];
      for (const nc of [...deps.state.nodeClaims.values()]) {
        if (nc.metadata.deletionTimestamp) continue;
        // Only reserved -> on-demand: an on-demand instance is never promoted (Karpenter does not either).
        if (byProvider.get(nc.status?.providerID ?? "")?.capacityType !== "on-demand") continue;
        let changed = false;
        const labels = (nc.metadata.labels ?? {}) as Record<string, string>;
        if (labels[L.LabelCapacityType] === L.CapacityTypeReserved) {
          changed = await demote(Kinds.NodeClaim, nc.metadata.name!, labels);
        }
        // A reservation that ended before the node registered: there may be no Node yet; next pass.
        const node = deps.state.stateNodeForNodeClaim(nc.metadata.name!)?.node;
        const nl = (node?.metadata.labels ?? {}) as Record<string, string>;
        if (node && !node.metadata.deletionTimestamp && nl[LabelRegistered] === "true") {
          if (nl[L.LabelCapacityType] === L.CapacityTypeReserved)
            changed = (await demote(Kinds.Node, node.metadata.name!, nl)) || changed;
        }
        if (changed) updated.push(nc.metadata.name!);
      }
      if (updated.length) log.info({ NodeClaims: updated }, "updated capacity type for nodeclaims");
    } catch (e) {
      log.error({ error: String((e as Error)?.message ?? e) }, "syncing capacity types failed");
    }
  };
  async function demote(kind: typeof Kinds.Node, name: string, labels: Record<string, string>): Promise<boolean> {
    try {
      const out = await deps.client.patch<KubeObject>(kind, name, demotionPatch(labels));
      deps.state.apply(kind === Kinds.Node ? "Node" : "NodeClaim", out, "MODIFIED");
      return true;
    } catch (e) {
      if (e instanceof KubeError && (e.status === 404 || e.status === 422)) return false; // gone, or no longer reserved (the test op failed)
      throw e;
    }
  }
  return { name: "capacityreservation.capacitytype", every: { ms: CAPACITY_RESERVATION_PERIOD_MS, run } };
}

export function capacityBlockExpiration(
  deps: EngineDeps,
  o: { reservations: Pick<CapacityReservationProvider, "list"> },
): Controller {
  const log = deps.log.child({ controller: "capacityreservation.expiration" });
  const run = async () => {
    try {
      const claims = [...deps.state.nodeClaims.values()].filter(
        (nc) => nc.metadata.labels?.[L.LabelCapacityReservationID] && !nc.metadata.deletionTimestamp,
      );
      if (claims.length === 0) return;
      const ids = [...new Set(claims.map((nc) => nc.metadata.labels![L.LabelCapacityReservationID]!))];
      const found = await o.reservations.list(ids.map((id) => ({ id })));
      const now = deps.clock.now();
      const expiring = new Set<string>();
      for (const r of found) {
        try {
          const s = reservationFromEC2(r, now);
          if (s.state === "expiring") expiring.add(s.id);
        } catch (e) {
          log.error(
            { "capacity-reservation-id": r.CapacityReservationId, error: (e as Error).message },
            "failed to parse capacity reservation",
          );
        }
      }
      for (const nc of claims) {
        const id = nc.metadata.labels![L.LabelCapacityReservationID]!;
        if (!expiring.has(id)) continue;
        await deps.client.delete(Kinds.NodeClaim, nc.metadata.name!);
        log.info(
          { NodeClaim: { name: nc.metadata.name }, "capacity-reservation-id": id },
          "initiating delete for capacity block expiration",
        );
      }
    } catch (e) {
      log.error({ error: String((e as Error)?.message ?? e) }, "capacity block expiration failed");
    }
  };
  return { name: "capacityreservation.expiration", every: { ms: CAPACITY_RESERVATION_PERIOD_MS, run } };
}
