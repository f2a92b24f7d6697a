// Pod-level facts the scheduler needs: identity, effective requests, host ports, tolerations, label selectors.
import { addResources, maxResources, parseResources, type ResourceMap } from "../apis/quantity";
import type { Pod, Taint, Toleration } from "./types";
import { podKey } from "../apis/pods";
export { podKey, isOwnedByDaemonSet as isDaemonSetPod } from "../apis/pods";

export function podNamespace(p: Pod): string {
  return p.metadata.namespace ?? "default";
}

/**
 * Effective requests like kube-scheduler: max(sum of app containers + restartable (sidecar) init containers,
 * each regular init container + the sidecars started before it) + pod overhead; plus one `pods` slot.
 */
export function podRequests(p: Pod): ResourceMap {
  let r = requestsByPod.get(p);
  if (!r) requestsByPod.set(p, (r = computeRequests(p)));
  return r;
}

// Per pod object, across solves (pod objects are replaced, never mutated, and the maps are only read): every
// batch binds every bound pod of every node again, and parsing their quantities each time grew with the cluster.
const requestsByPod = new WeakMap<Pod, ResourceMap>();

function computeRequests(p: Pod): ResourceMap {
  const field = `pod ${podKey(p)} spec`;
  let app: ResourceMap = {};
  p.spec.containers.forEach((c, i) => {
    app = addResources(app, parseResources(c.resources?.requests, `${field}.containers[${i}].resources.requests`));
  });
  let sidecars: ResourceMap = {};
  let initMax: ResourceMap = {};
  (p.spec.initContainers ?? []).forEach((c, i) => {
    const r = parseResources(c.resources?.requests, `${field}.initContainers[${i}].resources.requests`);
    if (c.restartPolicy === "Always") sidecars = addResources(sidecars, r);
    else initMax = maxResources(initMax, addResources(r, sidecars));
  });
  let total = maxResources(addResources(app, sidecars), initMax);
  if (p.spec.overhead) total = addResources(total, parseResources(p.spec.overhead, `${field}.overhead`));
  total.pods = (total.pods ?? 0) + 1;
  return total;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}
// Per pod object, as requestsByPod: every batch binds every bound pod again. Frozen: callers share the array.
const portsByPod = new WeakMap<Pod, readonly HostPort[]>();
const NO_PORTS: readonly HostPort[] = Object.freeze([]);

export function podHostPorts(p: Pod): readonly HostPort[] {
  let ports = portsByPod.get(p);
  if (!ports) {
    const found = computeHostPorts(p);
    portsByPod.set(p, (ports = found.length ? Object.freeze(found) : NO_PORTS));
  }
  return ports;
}

function computeHostPorts(p: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(p.spec.initContainers ?? []), ...p.spec.containers])
    for (const port of c.ports ?? []) {
      if (port.hostPort)
        out.push({
          ip: port.hostIP && port.hostIP !== "" ? port.hostIP : "0.0.0.0",
          protocol: port.protocol ?? "TCP",
          port: port.hostPort,
        });
    }
  return out;
}

/** True when `a` and `b` cannot share a node (same port/protocol, overlapping IP; 0.0.0.0 overlaps everything). */
export function hostPortsConflict(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.ip === b.ip || a.ip === "0.0.0.0" || b.ip === "0.0.0.0");
}

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === "Exists") return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? "") === (taint.value ?? "");
}

/** The first taint the pod does not tolerate, or undefined. */
export function untoleratedTaint(
  taints: Taint[] | undefined,
  tolerations: Toleration[] | undefined,
): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!(tolerations ?? []).some((t) => tolerates(t, taint))) return taint;
  }
  return undefined;
}
