// Karpenter's preference relaxation: preferences are first treated as requirements; when a pod cannot schedule,
// relax exactly one thing at a time in this order (core scheduling/preferences.go):
// 1. drop the first required node-affinity term (only when several OR'd terms exist)
// 2. drop the heaviest preferred pod-affinity term  3. ... pod anti-affinity term
// 4. drop the heaviest preferred node-affinity term  5. drop ScheduleAnyway topology spread constraints
// 6. tolerate PreferNoSchedule taints.
import type { Pod } from "./types";

const byWeightDesc = <T extends { weight: number }>(a: T, b: T): number => b.weight - a.weight;

/** Returns a description of what was relaxed (mutating `pod`, which must be a private copy), or undefined. */
export function relax(pod: Pod): string | undefined {
  const aff = pod.spec.affinity;
  const terms = aff?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 1) {
    terms.shift();
    return "removed a required node affinity term";
  }
  const pa = aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (pa && pa.length > 0) {
    pa.sort(byWeightDesc).shift();
    return "removed a preferred pod affinity term";
  }
  const paa = aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (paa && paa.length > 0) {
    paa.sort(byWeightDesc).shift();
    return "removed a preferred pod anti-affinity term";
  }
  const pna = aff?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (pna && pna.length > 0) {
    pna.sort(byWeightDesc).shift();
    return "removed a preferred node affinity term";
  }
  const tsc = pod.spec.topologySpreadConstraints;
  if (tsc && tsc.some((t) => t.whenUnsatisfiable === "ScheduleAnyway")) {
    pod.spec.topologySpreadConstraints = tsc.filter((t) => t.whenUnsatisfiable !== "ScheduleAnyway");
    return "removed ScheduleAnyway topology spread constraints";
  }
  const tol = pod.spec.tolerations ?? [];
  if (!tol.some((t) => t.operator === "Exists" && !t.key && t.effect === "PreferNoSchedule")) {
    pod.spec.tolerations = [...tol, { operator: "Exists", effect: "PreferNoSchedule" }];
    return "tolerated PreferNoSchedule taints";
  }
  return undefined;
}

/** A private, relaxable copy of the pod's scheduling-relevant spec (metadata shared). */
export function relaxableCopy(pod: Pod): Pod {
  return {
    ...pod,
    spec: {
      ...pod.spec,
      affinity: pod.spec.affinity ? structuredClone(pod.spec.affinity) : undefined,
      topologySpreadConstraints: pod.spec.topologySpreadConstraints
        ? [...pod.spec.topologySpreadConstraints]
        : undefined,
      tolerations: pod.spec.tolerations ? [...pod.spec.tolerations] : undefined,
    },
  };
}

/** Ignore policy: drop every preference up front. */
export function dropPreferences(pod: Pod): Pod {
  const p = relaxableCopy(pod);
  const a = p.spec.affinity;
  if (a?.nodeAffinity) delete a.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution;
  if (a?.podAffinity) delete a.podAffinity.preferredDuringSchedulingIgnoredDuringExecution;
  if (a?.podAntiAffinity) delete a.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
  if (p.spec.topologySpreadConstraints)
    p.spec.topologySpreadConstraints = p.spec.topologySpreadConstraints.filter(
      (t) => t.whenUnsatisfiable !== "ScheduleAnyway",
    );
  return p;
}
