// Karpenter's nodepoolhealth tracker: the outcome of each NodePool's last 4 NodeClaim launches (registered, or
// deleted for a launch or registration timeout). Half of them failed → the pool's NodeRegistrationHealthy=False
// (provisioning/nodePoolCounter.ts writes the condition). In memory, keyed by the pool's UID; after a restart a
// pool starts from the condition it has (True → one success, False → two failures), as Karpenter's SetStatus.

export const BUFFER_SIZE = 4;
const UNHEALTHY_FAILURES = BUFFER_SIZE / 2;

export type RegistrationStatus = "Unknown" | "Healthy" | "Unhealthy";

/** Why a NodeClaim of the pool did not join: the NodePool condition's reason and message when it turns False. */
export interface RegistrationFailure {
  reason: string;
  message: string;
}

interface Track {
  outcomes: boolean[];
  lastFailure?: RegistrationFailure;
}

export class NodePoolHealth {
  private readonly pools = new Map<string, Track>();

  private track(uid: string): Track {
    let t = this.pools.get(uid);
    if (!t) this.pools.set(uid, (t = { outcomes: [] }));
    return t;
  }

  /** A NodeClaim of the pool registered (`failure` undefined) or was deleted for a timeout. */
  record(uid: string, failure?: RegistrationFailure): void {
    const t = this.track(uid);
    t.outcomes.push(failure === undefined);
    if (t.outcomes.length > BUFFER_SIZE) t.outcomes.shift();
    if (failure) t.lastFailure = failure;
  }

  status(uid: string): RegistrationStatus {
    const t = this.pools.get(uid);
    if (!t || t.outcomes.length === 0) return "Unknown";
    const failures = t.outcomes.filter((ok) => !ok).length;
    return failures >= UNHEALTHY_FAILURES ? "Unhealthy" : "Healthy";
  }

  lastFailure(uid: string): RegistrationFailure | undefined {
    return this.pools.get(uid)?.lastFailure;
  }

  /** Whether anything is known of the pool since this process started (seeded or recorded). */
  knows(uid: string): boolean {
    return this.pools.has(uid);
  }

  /** The pool or its node class changed: what its launches did before no longer says anything. */
  reset(uid: string): void {
    this.pools.set(uid, { outcomes: [] });
  }

  /** After a restart: continue from the condition the pool carries. */
  seed(uid: string, condition: { status: string; reason?: string; message?: string } | undefined): void {
    if (this.pools.has(uid)) return;
    this.reset(uid);
    if (condition?.status === "True") this.record(uid);
    else if (condition?.status === "False") {
      const failure = { reason: condition.reason ?? "RegistrationFailed", message: condition.message ?? "" };
      for (let i = 0; i < UNHEALTHY_FAILURES; i++) this.record(uid, failure);
    }
  }

  forget(uid: string): void {
    this.pools.delete(uid);
  }
}
