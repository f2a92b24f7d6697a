// Preferred pod anti-affinity under the Respect policy (Karpenter's makePreferencePods benchmark mix): preferences
// are requirements until a pod cannot schedule, then relaxed one at a time (heaviest anti-affinity term first).
// Karpenter does not track preferred anti-affinity "inversely": a placed pod's preferred term never blocks later pods.
import { relax, relaxableCopy } from "../../../src/scheduling/preferences";
import type { Pod } from "../../../src/scheduling/types";
import { HOST, pod, pods, run, ZONE } from "./helpers";

const nginx = { app: "nginx" };
const antiPref = (weight: number, topologyKey: string) => ({ weight, podAffinityTerm: { topologyKey, labelSelector: { matchLabels: nginx } } });
const zonePref = { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1a"] }] } }] };

/** The benchmark's pod: zone anti-preference (w10, unsatisfiable together with the zone preference), hostname anti-preference (w1). */
const preferencePod = (): Pod => pod({
  labels: nginx, cpu: "100m", memory: "128Mi",
  affinity: { nodeAffinity: zonePref, podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [antiPref(10, ZONE), antiPref(1, HOST)] } },
});
const hostnameOnlyPod = (): Pod => pod({
  labels: nginx, cpu: "100m", memory: "128Mi",
  affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [antiPref(1, HOST)] } },
});

describe("preferred pod anti-affinity (Respect)", () => {
  it("keeps the satisfiable hostname anti-preference after relaxing the zone one: one NodeClaim per pod", () => {
    const r = run({ pods: pods(5, preferencePod) });
    expect(r.unschedulable).toHaveLength(0);
    expect(r.newNodeClaims).toHaveLength(5);
    for (const c of r.newNodeClaims) expect(c.pods).toHaveLength(1);
  });
  it("keeps the zone node preference once the zone anti-preference is relaxed (every pod in us-east-1a)", () => {
    const r = run({ pods: pods(5, preferencePod) });
    expect(r.newNodeClaims.map(c => c.zone)).toEqual(Array(5).fill("us-east-1a"));
  });
  it("a hostname anti-preference alone spreads the pods one per NodeClaim", () => {
    const r = run({ pods: pods(5, hostnameOnlyPod) });
    expect(r.newNodeClaims).toHaveLength(5);
    for (const c of r.newNodeClaims) expect(c.pods).toHaveLength(1);
  });
  it("a placed pod's preferred anti-affinity does not block a later pod without it", () => {
    const first = pod({ name: "a-first", labels: nginx, cpu: "2", affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [antiPref(1, HOST)] } } });
    const plain = pod({ name: "b-plain", labels: nginx, cpu: "100m" });
    const r = run({ pods: [first, plain], options: { improve: false } });
    // Only the first pod's preference exists, and Karpenter never enforces preferences inversely.
    expect(r.newNodeClaims).toHaveLength(1);
    expect(r.newNodeClaims[0]!.pods).toHaveLength(2);
  });
  it("relaxation drops the heaviest anti-preference (zone, weight 10) first and keeps the hostname one", () => {
    const p = relaxableCopy(preferencePod());
    expect(relax(p)).toBe("removed a preferred pod anti-affinity term");
    expect(p.spec.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution!.map(t => t.podAffinityTerm.topologyKey)).toEqual([HOST]);
    expect(p.spec.affinity!.nodeAffinity!.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
  });
  it("relaxing a copy leaves the original pod's preferences intact", () => {
    const orig = preferencePod();
    relax(relaxableCopy(orig));
    expect(orig.spec.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(2);
  });
});
