// Where the basic shape's time goes, read after the run from the objects' own timestamps (the apiserver's,
// second resolution; Events' eventTime has microseconds): each stage's first, median and last time in seconds
// since the apply. The stages alternate between the control plane (kube-controller-manager creates the pods,
// kube-scheduler marks them unschedulable and later binds them, KWOK runs them), the module (Nominated events,
// NodeClaims) and the node agent standing in for EC2 + kubelets (Launched → Registered → Ready).

type Obj = any;

export interface Stage {
  stage: string;
  /** Who does this step: the part of "to all Running" it stands for. */
  by: "control plane" | "module" | "node agent";
  n: number;
  firstS: number;
  p50S: number;
  lastS: number;
}

const cond = (o: Obj, type: string): number =>
  Date.parse(o.status?.conditions?.find((c: Obj) => c.type === type && c.status === "True")?.lastTransitionTime ?? "");

/** Earliest event time per involved object name, for events of `reason` (from `component`, when given). */
function firstEvent(events: Obj[], reason: string, component?: string): number[] {
  const at = new Map<string, number>();
  for (const e of events) {
    if (e.reason !== reason) continue;
    if (component && (e.reportingComponent || e.source?.component) !== component) continue;
    const t = Date.parse(e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? "");
    const k = e.involvedObject?.name;
    if (k && Number.isFinite(t)) at.set(k, Math.min(at.get(k) ?? Infinity, t));
  }
  return [...at.values()];
}

function stage(name: string, by: Stage["by"], times: number[], t0: number): Stage {
  const s = times
    .filter(Number.isFinite)
    .map((t) => (t - t0) / 1000)
    .sort((a, b) => a - b);
  return {
    stage: name,
    by,
    n: s.length,
    firstS: s[0] ?? NaN,
    p50S: s[Math.floor(s.length / 2)] ?? NaN,
    lastS: s[s.length - 1] ?? NaN,
  };
}

export function timeline(t0: number, pods: Obj[], events: Obj[], claims: Obj[], nodes: Obj[]): Stage[] {
  const created = (o: Obj) => Date.parse(o.metadata.creationTimestamp);
  return [
    stage("pods created (ReplicaSet controller)", "control plane", pods.map(created), t0),
    stage(
      "pods marked unschedulable (FailedScheduling)",
      "control plane",
      firstEvent(events, "FailedScheduling", "default-scheduler"),
      t0,
    ),
    stage("pods nominated (Nominated event)", "module", firstEvent(events, "Nominated"), t0),
    stage("NodeClaims created", "module", claims.map(created), t0),
    stage(
      "NodeClaims Launched (CreateFleet done)",
      "module",
      claims.map((c) => cond(c, "Launched")),
      t0,
    ),
    stage("Nodes registered (Node created)", "node agent", nodes.map(created), t0),
    stage(
      "NodeClaims Registered",
      "module",
      claims.map((c) => cond(c, "Registered")),
      t0,
    ),
    stage(
      "Nodes Ready",
      "node agent",
      nodes.map((n) => cond(n, "Ready")),
      t0,
    ),
    stage(
      "NodeClaims Initialized",
      "module",
      claims.map((c) => cond(c, "Initialized")),
      t0,
    ),
    stage(
      "pods bound (PodScheduled)",
      "control plane",
      pods.map((p) => cond(p, "PodScheduled")),
      t0,
    ),
    stage(
      "pods Running (Ready)",
      "control plane",
      pods.map((p) => cond(p, "Ready") || Date.parse(p.status?.startTime ?? "")),
      t0,
    ),
  ];
}
