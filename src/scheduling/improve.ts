// Cost improvement after first-fit-decreasing: try to empty the cheapest-to-remove planned NodeClaims by moving
// their pods into other planned NodeClaims (which may grow to a larger instance type) whenever the fleet's total
// $/h drops. Only pods without topology or host-port constraints move, so no spread/affinity decision changes.
import type { Pod } from "./types";

interface Claim { pods: Pod[]; reqs: unknown }

const movable = (p: Pod): boolean =>
  !p.spec.topologySpreadConstraints?.length && !p.spec.affinity?.podAffinity && !p.spec.affinity?.podAntiAffinity &&
  !p.spec.containers.some(c => c.ports?.some(x => x.hostPort)) && !(p.spec.initContainers ?? []).some(c => c.ports?.some(x => x.hostPort));

export function improve<C extends Claim>(claims: C[], price: (c: C) => number, refit: (c: C, pods: Pod[]) => boolean, maxClaims = 200): void {
  if (claims.length < 2 || claims.length > maxClaims) return;
  // Candidates to empty: smallest first (fewest pods), deterministic by index.
  const order = claims.map((c, i) => ({ c, i })).sort((a, b) => a.c.pods.length - b.c.pods.length || a.i - b.i);
  for (const { c: victim } of order) {
    if (victim.pods.length === 0 || !victim.pods.every(movable)) continue;
    const before = price(victim);
    // Snapshot of receivers so we can roll back.
    const snapshot = claims.map(c => ({ c, pods: [...c.pods] }));
    let added = 0;
    let ok = true;
    const touched = new Set<C>();
    for (const p of [...victim.pods]) {
      let placed = false;
      for (const r of claims) {
        if (r === victim || r.pods.length === 0) continue;
        if ((r as unknown as { template: unknown }).template !== (victim as unknown as { template: unknown }).template) continue;
        const old = touched.has(r) ? 0 : price(r);
        if (refit(r, [...r.pods, p])) { if (!touched.has(r)) { added -= old; touched.add(r); } placed = true; break; }
      }
      if (!placed) { ok = false; break; }
    }
    if (ok) {
      for (const r of touched) added += price(r);
      if (added < before - 1e-9) { refit(victim, []) || (victim.pods.length = 0); victim.pods.length = 0; continue; }
    }
    // Roll back.
    for (const s of snapshot) if (s.c.pods.length !== s.pods.length) refit(s.c, s.pods);
  }
}
