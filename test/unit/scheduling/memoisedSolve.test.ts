// The scheduler memoises per pod object across solves (requests, host ports, equivalence / zone / topology /
// selector classes as interned ids) so a batch over a standing backlog does not redo that work. A solve must give
// exactly what a solve over fresh copies of the same objects (every memo cold) gives, batch after batch, while the
// cluster changes as it does between batches: pods added and deleted, a pod bound to a node that joined, a NodePool
// limit reached or raised, and the intern table emptied (its bound reached). Inputs are randomised (seeded).
import { forgetInternedClasses } from "../../../src/scheduling/podClasses";
import { schedule } from "../../../src/scheduling/scheduler";
import type { ExistingNode, Pod, SchedulingInput, SchedulingResult } from "../../../src/scheduling/types";
import { HOST, ZONE, catalog, labelOf, node, nodePool, pod } from "./helpers";

function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

interface App {
  name: string;
  cpu: string;
  memory: string;
  spread: boolean;
  anti: boolean;
  port?: number;
  affinityTo?: string;
}

function apps(rnd: () => number): App[] {
  const n = 2 + Math.floor(rnd() * 5);
  return Array.from({ length: n }, (_, i) => ({
    name: `app${i}`,
    cpu: ["250m", "500m", "1", "2", "3500m"][Math.floor(rnd() * 5)]!,
    memory: ["256Mi", "1Gi", "3Gi", "8Gi"][Math.floor(rnd() * 4)]!,
    spread: rnd() < 0.35,
    anti: rnd() < 0.15,
    port: rnd() < 0.1 ? 8080 : undefined,
    affinityTo: i > 0 && rnd() < 0.15 ? `app${i - 1}` : undefined,
  }));
}

function replica(a: App, i: number, nodeName?: string): Pod {
  const labels = { app: a.name };
  const p = pod({
    name: `${a.name}-${String(i).padStart(4, "0")}`,
    labels,
    cpu: a.cpu,
    memory: a.memory,
    ...(a.spread
      ? {
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: ZONE,
              whenUnsatisfiable: "DoNotSchedule",
              labelSelector: { matchLabels: labels },
            },
          ],
        }
      : {}),
    ...(a.anti || a.affinityTo
      ? {
          affinity: {
            ...(a.anti
              ? {
                  podAntiAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                      { topologyKey: HOST, labelSelector: { matchLabels: labels } },
                    ],
                  },
                }
              : {}),
            ...(a.affinityTo
              ? {
                  podAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                      { topologyKey: ZONE, labelSelector: { matchLabels: { app: a.affinityTo } } },
                    ],
                  },
                }
              : {}),
          },
        }
      : {}),
  });
  if (a.port) p.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: a.port }];
  if (nodeName) p.spec.nodeName = nodeName;
  p.status = { phase: nodeName ? "Running" : "Pending" };
  return p;
}

/** What a caller sees of a result (the objects themselves differ between the two solves). */
function summary(r: SchedulingResult): unknown {
  const names = (ps: Pod[]) => ps.map((p) => p.metadata.name);
  return {
    claims: r.newNodeClaims.map((c) => ({
      name: c.name,
      pool: c.nodePool,
      type: c.instanceType,
      zone: c.zone,
      ct: c.capacityType,
      options: c.instanceTypeOptions.map((t) => t.name),
      requirements: c.requirements,
      pods: names(c.pods),
    })),
    existing: r.existingNodes.map((e) => ({ name: e.name, kind: e.kind, pods: names(e.pods) })),
    unschedulable: r.unschedulable.map((u) => [u.key, u.reason]),
    price: r.totalPricePerHour,
    zones: r.pendingPodsByEffectiveZone,
  };
}

const cold = <T>(x: T): T => structuredClone(x);

describe("a solve over memoised pod objects equals a solve over fresh copies", () => {
  for (const seed of [1, 7, 42, 1234, 99991, 31337]) {
    it(`seed ${seed}: batch after batch while the cluster changes`, () => {
      const rnd = prng(seed);
      const mix = apps(rnd);
      const zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
      let seq = 0;
      let pending: Pod[] = [];
      for (const a of mix) for (let i = Math.floor(rnd() * 12); i > 0; i--) pending.push(replica(a, seq++));
      const nodes: ExistingNode[] = [];
      let limit = 4 + Math.floor(rnd() * 40);
      for (let batch = 0; batch < 8; batch++) {
        const input: SchedulingInput = {
          pods: pending,
          nodePools: [nodePool("default", { limits: { cpu: String(limit) } })],
          instanceTypes: catalog,
          existingNodes: nodes,
        };
        const warm = schedule(input);
        expect(summary(warm)).toEqual(summary(schedule(cold(input))));
        // Between batches, as the cluster state changes: one change or several.
        const change = Math.floor(rnd() * 5);
        if (change === 0 && warm.newNodeClaims.length) {
          // The first planned NodeClaim joined as a Node and its pods were bound (new pod objects, as the watch has).
          const c = warm.newNodeClaims[0]!;
          const name = `node-${batch}`;
          const placed = new Set(c.pods.map((p) => p.metadata.name));
          const bound = pending
            .filter((p) => placed.has(p.metadata.name))
            .map((p) => ({ ...p, spec: { ...p.spec, nodeName: name }, status: { phase: "Running" } }));
          pending = pending.filter((p) => !placed.has(p.metadata.name));
          const alloc = catalog.find((t) => t.name === c.instanceType)!.allocatable;
          nodes.push(
            node(
              name,
              {
                [ZONE]: c.zone ?? zones[batch % 3]!,
                "kubernetes.io/arch": labelOf(c.instanceType, "kubernetes.io/arch"),
                "karpenter.sh/nodepool": "default",
              },
              { cpu: `${alloc.cpu}m`, memory: String(alloc.memory), pods: String(alloc.pods ?? 110) },
              bound,
            ),
          );
        } else if (change === 1)
          pending = pending.filter(() => rnd() < 0.7); // pods deleted
        else if (change === 2)
          limit = rnd() < 0.5 ? 1 : limit + 16; // the limit reached, or raised
        else if (change === 3) forgetInternedClasses(); // the intern table's bound reached
        const a = mix[Math.floor(rnd() * mix.length)]!;
        for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--) pending.push(replica(a, seq++)); // new pods arrive
      }
    });
  }

  it("replicas interned before and after the table is emptied still share a verdict only when equal", () => {
    const a: App = { name: "web", cpu: "2", memory: "1Gi", spread: false, anti: false };
    const before = Array.from({ length: 20 }, (_, i) => replica(a, i));
    forgetInternedClasses();
    const after = Array.from({ length: 20 }, (_, i) => replica(a, 100 + i));
    const input: SchedulingInput = {
      pods: [...before, ...after],
      nodePools: [nodePool("default", { limits: { cpu: "9" } })],
      instanceTypes: catalog,
    };
    const r = schedule(input);
    expect(summary(r)).toEqual(summary(schedule(cold(input))));
    expect(r.unschedulable.length).toBeGreaterThan(30);
    expect(new Set(r.unschedulable.map((u) => u.reason)).size).toBe(1);
  });
});
