// Karpenter AWS's launch filters for a reserved CreateFleet (pkg/providers/instance/filter): one request can carry
// only one market type, one capacity block, and one reservation per (instance type, zone) pool.
import type { LaunchOption } from "./launchOptions";

/** ODCRs first, then capacity blocks, then interruptible ODCRs (Karpenter's CapacityReservationTypeFilter order). */
function partitionRank(o: LaunchOption): number {
  const r = o.reservation!;
  if (r.type === "capacity-block") return 1;
  return r.interruptible ? 2 : 0;
}

/**
 * Narrows reserved launch options to what one CreateFleet can request: the best-ranked reservation kind present;
 * for capacity blocks only the cheapest one; otherwise per instance type and zone the reservation with the most
 * room.
 */
export function narrowReserved(options: LaunchOption[]): LaunchOption[] {
  const reserved = options.filter((o) => o.reservation);
  if (reserved.length === 0) return [];
  const best = Math.min(...reserved.map(partitionRank));
  const kind = reserved.filter((o) => partitionRank(o) === best);
  if (best === 1) {
    const cheapest = [...kind].sort(
      (a, b) =>
        a.price - b.price ||
        a.instanceType.name.localeCompare(b.instanceType.name) ||
        a.zone.localeCompare(b.zone) ||
        a.reservation!.id.localeCompare(b.reservation!.id),
    )[0]!;
    return [cheapest];
  }
  const perPool = new Map<string, LaunchOption>();
  for (const o of kind) {
    const key = `${o.instanceType.name}/${o.zone}`;
    const cur = perPool.get(key);
    if (
      !cur ||
      o.reservation!.capacity > cur.reservation!.capacity ||
      (o.reservation!.capacity === cur.reservation!.capacity && o.reservation!.id < cur.reservation!.id)
    )
      perPool.set(key, o);
  }
  return kind.filter((o) => perPool.get(`${o.instanceType.name}/${o.zone}`) === o);
}
