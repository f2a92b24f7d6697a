// Cost improvement after first-fit-decreasing: try to empty the least-loaded planned NodeClaims by moving their
// pods into other planned NodeClaims of the same NodePool (which may grow to a larger instance type) whenever the
// fleet's total $/h drops. Only pods without topology or host-port constraints move, so no spread/affinity
// decision changes.
import { fits, type ResourceMap } from "../apis/quantity";
import type { Pod } from "./types";

export interface ImproveOps<C> {
  price(c: C): number;
  /** Adds the pod if the claim can still hold it; false (and unchanged) otherwise. */
  tryAdd(c: C, p: Pod): boolean;
  /** Requests of the claim's pods (no daemon overhead). */
  load(c: C): ResourceMap;
  /** How much more the claim could take if it grew to its largest compatible type. */
  spare(c: C): ResourceMap;
  group(c: C): unknown;
  save(c: C): unknown;
  restore(c: C, state: unknown): void;
}

export const isMovable = (p: Pod): boolean =>
  !p.spec.topologySpreadConstraints?.length &&
  !p.spec.affinity?.podAffinity &&
  !p.spec.affinity?.podAntiAffinity &&
  ![...p.spec.containers, ...(p.spec.initContainers ?? [])].some((c) => c.ports?.some((x) => x.hostPort));

export function improve<C extends { pods: Pod[] }>(
  claims: C[],
  ops: ImproveOps<C>,
  maxVictims = 8,
  movable: (p: Pod) => boolean = isMovable,
): number {
  let saved = 0;
  if (claims.length < 2) return saved;
  const order = claims.map((c, i) => ({ c, i })).sort((a, b) => a.c.pods.length - b.c.pods.length || a.i - b.i);
  for (const { c: victim } of order.slice(0, maxVictims)) {
    if (victim.pods.length === 0 || !victim.pods.every(movable)) continue;
    const receivers = claims.filter((r) => r !== victim && r.pods.length > 0 && ops.group(r) === ops.group(victim));
    // Cheap gate: the receivers' total headroom must cover the victim's load.
    const room: ResourceMap = {};
    for (const r of receivers)
      for (const [k, v] of Object.entries(ops.spare(r))) room[k] = (room[k] ?? 0) + Math.max(0, v);
    if (!fits(ops.load(victim), room)) continue;
    const before = new Map<C, number>();
    const snapshot = new Map<C, unknown>();
    let ok = true;
    for (const p of victim.pods) {
      let placed = false;
      for (const r of receivers) {
        if (!before.has(r)) {
          before.set(r, ops.price(r));
          snapshot.set(r, ops.save(r));
        }
        if (ops.tryAdd(r, p)) {
          placed = true;
          break;
        }
      }
      if (!placed) {
        ok = false;
        break;
      }
    }
    let delta = Infinity;
    if (ok) {
      delta = -ops.price(victim);
      for (const [r, old] of before) delta += ops.price(r) - old;
    }
    if (ok && delta < -1e-9) {
      victim.pods.length = 0;
      saved -= delta;
      continue;
    }
    for (const [r, state] of snapshot) ops.restore(r, state);
  }
  return saved;
}
