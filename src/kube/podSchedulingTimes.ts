// Karpenter's in-memory pod scheduling marks (state.Cluster's podAcks, podsSchedulingAttempted and
// podsSchedulableTimes): when the provisioner first saw a pod pending (ack), first decided about it (placed or
// not), and first thought it could schedule it. The pod metrics read them; every mark of a pod is dropped when the
// pod is deleted, bound and started, or finished, so memory follows the pending backlog, not the cluster.
export class PodSchedulingTimes {
  private readonly acks = new Map<string, number>();
  private readonly decisions = new Map<string, number>();
  private readonly schedulable = new Map<string, number>();

  /** The provisioner saw the pod pending; only the first time counts. */
  ack(key: string, now: number): void {
    if (!this.acks.has(key)) this.acks.set(key, now);
  }

  /**
   * One scheduling simulation's outcome. `errored` pods could not be placed (their schedulable mark is dropped);
   * `placed` pods could (marked schedulable the first time). Returns, for each pod decided for the first time
   * that had been acked, the seconds from its ack to now (karpenter_pods_scheduling_decision_duration_seconds).
   */
  markDecisions(now: number, errored: Iterable<string>, placed: Iterable<string>): number[] {
    const firstDecisions: number[] = [];
    const decide = (key: string) => {
      if (this.decisions.has(key)) return;
      this.decisions.set(key, now);
      const acked = this.acks.get(key);
      if (acked !== undefined) firstDecisions.push((now - acked) / 1000);
    };
    for (const key of errored) {
      this.schedulable.delete(key);
      decide(key);
    }
    for (const key of placed) {
      if (!this.schedulable.has(key)) this.schedulable.set(key, now);
      decide(key);
    }
    return firstDecisions;
  }

  ackTime(key: string): number | undefined {
    return this.acks.get(key);
  }
  decisionTime(key: string): number | undefined {
    return this.decisions.get(key);
  }
  /** When a simulation first placed the pod (cleared again if a later one could not). */
  schedulableTime(key: string): number | undefined {
    return this.schedulable.get(key);
  }

  clear(key: string): void {
    this.acks.delete(key);
    this.decisions.delete(key);
    this.schedulable.delete(key);
  }

  /** Pods with any mark (for tests and the memory bench). */
  get size(): number {
    return new Set([...this.acks.keys(), ...this.decisions.keys(), ...this.schedulable.keys()]).size;
  }
}
