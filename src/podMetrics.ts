// Karpenter's metrics.pod controller, less karpenter_pods_state (stateMetrics.ts): per-pod gauges while a pod waits
// (unbound, unstarted, and their provisioning_* twins from the provisioner's first placement; undecided from its
// first sight), and the bound/startup histograms once it stops waiting. As Karpenter's, a pod is followed only once
// it has been seen Pending, and its series are deleted as soon as it is bound, started, finished or deleted, so the
// series (and the sets below) follow the pending backlog, never the 20k pods of the cluster.
import { isTerminal } from "./apis/pods";
import type { KubeObject } from "./kube/client";
import type { PodSchedulingTimes } from "./kube/podSchedulingTimes";
import type { Metrics } from "./metrics";

type Cond = { type: string; status: string; lastTransitionTime?: string };
const condition = (p: KubeObject, type: string): Cond | undefined =>
  ((p.status?.conditions ?? []) as Cond[]).find((c) => c.type === type);
const seconds = (ms: number) => ms / 1000;

export class PodMetrics {
  /** Pods seen Pending and not yet started (Karpenter's pendingPods). */
  private readonly unstarted = new Set<string>();
  /** Pods seen Pending and not yet bound (Karpenter's unscheduledPods). */
  private readonly unbound = new Set<string>();

  constructor(
    private readonly metrics: Metrics,
    private readonly times: PodSchedulingTimes,
  ) {}

  /** One reconcile of a pod (an event, or the periodic refresh of a pod still waiting). */
  observe(key: string, pod: KubeObject, now: number): void {
    const labels = { name: pod.metadata.name, namespace: pod.metadata.namespace ?? "" };
    const created = Date.parse(pod.metadata.creationTimestamp ?? "");
    const createdAt = Number.isFinite(created) ? created : now;
    const schedulable = this.times.schedulableTime(key);
    this.undecided(key, pod, labels, now);
    this.startup(key, pod, labels, now, createdAt, schedulable);
    this.bound(key, pod, labels, now, createdAt, schedulable);
  }

  /** The pod is gone: every series and mark of it goes too. */
  forget(key: string, name: string, namespace: string): void {
    const labels = { name, namespace };
    this.unstarted.delete(key);
    this.unbound.delete(key);
    this.metrics.podsUnstartedTime.remove(labels);
    this.metrics.podsProvisioningUnstartedTime.remove(labels);
    this.metrics.podsUnboundTime.remove(labels);
    this.metrics.podsProvisioningUnboundTime.remove(labels);
    this.metrics.podsSchedulingUndecidedTime.remove(labels);
    this.times.clear(key);
  }

  /** Keys of the pods still followed (the periodic pass refreshes their gauges, as Karpenter's 30 s requeue). */
  waiting(): string[] {
    return [...new Set([...this.unstarted, ...this.unbound])];
  }

  private undecided(key: string, pod: KubeObject, labels: Labels, now: number): void {
    const scheduled = condition(pod, "PodScheduled")?.status === "True";
    if (this.times.decisionTime(key) !== undefined || scheduled || pod.spec?.nodeName || isTerminal(pod)) {
      this.metrics.podsSchedulingUndecidedTime.remove(labels);
      return;
    }
    const acked = this.times.ackTime(key);
    if (acked !== undefined) this.metrics.podsSchedulingUndecidedTime.set(labels, seconds(now - acked));
  }

  private startup(key: string, pod: KubeObject, labels: Labels, now: number, created: number, sched?: number): void {
    const m = this.metrics;
    const waiting = () => {
      m.podsUnstartedTime.set(labels, seconds(now - created));
      if (sched !== undefined) m.podsProvisioningUnstartedTime.set(labels, seconds(now - sched));
      else m.podsProvisioningUnstartedTime.remove(labels);
    };
    if (pod.status?.phase === "Pending") {
      waiting();
      this.unstarted.add(key);
      return;
    }
    if (!this.unstarted.has(key)) return;
    const ready = condition(pod, "Ready");
    if (ready?.status === "True") {
      const at = transitionTime(ready, now);
      m.podsUnstartedTime.remove(labels);
      m.podsProvisioningUnstartedTime.remove(labels);
      m.podsStartupDuration.observe(seconds(at - created));
      if (sched !== undefined) m.podsProvisioningStartupDuration.observe(seconds(at - sched));
      this.unstarted.delete(key);
      this.times.clear(key); // started: the provisioner's marks are no longer needed
    } else if (isTerminal(pod)) {
      // Finished without being Ready (Ready False): no startup observation, it would be negative or meaningless.
      m.podsUnstartedTime.remove(labels);
      m.podsProvisioningUnstartedTime.remove(labels);
      this.unstarted.delete(key);
      this.times.clear(key);
    } else waiting();
  }

  private bound(key: string, pod: KubeObject, labels: Labels, now: number, created: number, sched?: number): void {
    const m = this.metrics;
    const cond = condition(pod, "PodScheduled");
    if (pod.status?.phase === "Pending") {
      // Bound but still Pending (PodScheduled True): the gauges keep their last value until the phase moves on.
      if (cond?.status !== "True") {
        m.podsUnboundTime.set(labels, seconds(now - created));
        if (sched !== undefined) m.podsProvisioningUnboundTime.set(labels, seconds(now - sched));
        else m.podsProvisioningUnboundTime.remove(labels);
      }
      this.unbound.add(key);
      return;
    }
    if (this.unbound.has(key) && cond?.status === "True") {
      const at = transitionTime(cond, now);
      m.podsUnboundTime.remove(labels);
      m.podsProvisioningUnboundTime.remove(labels);
      m.podsBoundDuration.observe(seconds(at - created));
      if (sched !== undefined) m.podsProvisioningBoundDuration.observe(seconds(at - sched));
      this.unbound.delete(key);
    }
  }
}

type Labels = { name: string; namespace: string };

function transitionTime(c: Cond, now: number): number {
  const t = Date.parse(c.lastTransitionTime ?? "");
  return Number.isFinite(t) ? t : now;
}
