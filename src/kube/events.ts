// Kubernetes Events recorder. Karpenter de-duplicates identical events (same object, reason and message) for a
// while and rate-limits the rest; without that, one batch of 1,000 unschedulable pods re-evaluated every few
// seconds would flood etcd with Events.
import { createHash } from "node:crypto";
import { Clock, realClock } from "./clock";
import { KubeClient, KubeObject } from "./client";

export interface InvolvedObject {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}
export interface EventSpec {
  involved: InvolvedObject;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  /**
   * Karpenter's DedupeValues: when set, the event is a duplicate of any recent one with the same reason and values,
   * whatever its message says (e.g. a waiting event whose list of names shrinks is still one event per object).
   */
  dedupeValues?: string[];
}

export interface EventRecorderOptions {
  clock?: Clock;
  /** Identical events inside this window are dropped. Karpenter uses 2 minutes by default. */
  dedupeMs?: number;
  /** Token bucket: sustained events per second and burst size. */
  ratePerSecond?: number;
  burst?: number;
  /** Cap of dedupe keys kept in memory (oldest are forgotten first). */
  maxKeys?: number;
  onError?: (err: unknown, ev: EventSpec) => void;
}

/** The first character is a capital letter (its lowercase differs), as every Kubernetes Kind's is. */
function startsUpper(s: string): boolean {
  const c = s.charAt(0);
  return c !== "" && c !== c.toLowerCase();
}

function hasSlash(a: string, b: string, c: string, d: string): boolean {
  return a.includes("/") || b.includes("/") || c.includes("/") || d.includes("/");
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  /** `seen`'s object-event entries again, by name, namespace, kind, reason and message id (see `recent`). */
  private readonly byParts: Nest = new Map();
  private readonly seenOwn = new Map<string, { until: number }>();
  private tokens: number;
  private lastRefill: number;
  private seq = 0;
  private readonly clock: Clock;
  dropped = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: EventRecorderOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.tokens = opts.burst ?? 100;
    this.lastRefill = this.clock.now();
  }

  /**
   * Records an event unless it duplicates a recent one (within `o.dedupeMs`, else the recorder's window) or the rate
   * limit is exhausted. Returns whether it was sent.
   */
  publish(ev: EventSpec, o?: { dedupeMs?: number }): boolean {
    const now = this.clock.now();
    // Events with their own (longer) window are kept apart: `seen` relies on one window for its age-ordered eviction.
    const own = o?.dedupeMs !== undefined && o.dedupeMs !== (this.opts.dedupeMs ?? 120_000);
    const { kind, namespace = "", name } = ev.involved;
    const msg = ev.dedupeValues ? "" : this.messageId(ev.message);
    const objectEvent = !own && !ev.dedupeValues;
    if (objectEvent) {
      const hit = this.recent(name, namespace, kind, ev.reason, msg);
      if (hit !== undefined && now < hit.until) return false;
    }
    const keyOf = (): string =>
      ev.dedupeValues
        ? `${ev.reason.toLowerCase()}-${ev.dedupeValues.join("-")}`
        : `${kind}/${namespace}/${name}/${ev.reason}/${msg}`;
    let key: string | undefined;
    // `recent` has already answered for an object event whose key string names its parts alone (no "/" in kind,
    // namespace, name or reason, as Kubernetes names never have) and cannot be a dedupeValues key (those start with
    // the lowercased reason; a Kind starts with a capital): its key string is built only if the event is sent. The
    // backlog's FailedScheduling events that miss (message changed, entry evicted) are nearly all rate-limited.
    if (!objectEvent || !startsUpper(kind) || hasSlash(kind, namespace, name, ev.reason)) {
      key = keyOf();
      const last = own ? this.seenOwn.get(key) : this.seen.get(key);
      if (last !== undefined && now < last.until) return false;
    }
    this.refill(now);
    if (this.tokens < 1) {
      this.dropped++;
      return false;
    }
    key ??= keyOf();
    this.tokens -= 1;
    if (own) {
      for (const [k, v] of this.seenOwn) if (v.until <= now) this.seenOwn.delete(k);
      this.seenOwn.set(key, { until: now + o!.dedupeMs! });
    } else {
      this.forget(key);
      const entry: Seen = { until: now + (this.opts.dedupeMs ?? 120_000) };
      if (!ev.dedupeValues) {
        entry.parts = [name, namespace, kind, ev.reason, msg];
        setPath(this.byParts, entry.parts, entry);
      }
      this.seen.set(key, entry);
      this.evict(now);
    }
    const ts = new Date(now).toISOString();
    const obj: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: {
        name: `${ev.involved.name}.${now.toString(16)}${(++this.seq).toString(16)}`,
        namespace: ev.involved.namespace ?? "default",
      },
      involvedObject: { ...ev.involved },
      reason: ev.reason,
      message: ev.message,
      type: ev.type,
      source: { component: "karpenter" },
      reportingComponent: "karpenter",
      reportingInstance: "capsicum",
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    };
    this.client.createEvent(obj).catch((err) => this.opts.onError?.(err, ev));
    return true;
  }

  private readonly digests = new Map<string, string>();

  /**
   * A long message stands in the dedupe key as its digest (derived from the text, so equal messages always get the
   * same one). A FailedScheduling message lists every NodePool's reason, hundreds of characters: building and
   * hashing a key with the whole text for each of thousands of unschedulable pods per batch was most of a batch's
   * event cost. Callers pass one string object per distinct message, so the cache hit compares pointers.
   */
  private messageId(message: string): string {
    if (message.length <= 64) return message;
    let d = this.digests.get(message);
    if (d === undefined) {
      if (this.digests.size >= 1000) this.digests.clear();
      d = `#${createHash("sha256").update(message).digest("base64")}`;
      this.digests.set(message, d);
    }
    return d;
  }

  private refill(now: number): void {
    const rate = this.opts.ratePerSecond ?? 20,
      burst = this.opts.burst ?? 100;
    this.tokens = Math.min(burst, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
  }

  private evict(now: number): void {
    const max = this.opts.maxKeys ?? 10_000;
    for (const [k, t] of this.seen) {
      if (this.seen.size <= max && t.until > now) break; // one window: insertion order = expiry order
      this.forget(k);
    }
  }

  /** Drops a `seen` entry and its mirror in `byParts`. */
  private forget(key: string): void {
    const e = this.seen.get(key);
    if (!e) return;
    this.seen.delete(key);
    if (e.parts) deletePath(this.byParts, e.parts);
  }

  /**
   * The `seen` entry of an object event, found from the strings the caller already has: a batch publishes a
   * FailedScheduling event for each of thousands of pending pods, nearly all duplicates, and building each one's
   * key string to look it up was most of the event path's cost (and garbage).
   */
  private recent(name: string, ns: string, kind: string, reason: string, msg: string): Seen | undefined {
    const a = this.byParts.get(name) as Nest | undefined;
    const b = a?.get(ns) as Nest | undefined;
    const c = b?.get(kind) as Nest | undefined;
    const d = c?.get(reason) as Nest | undefined;
    return d?.get(msg) as Seen | undefined;
  }
}

interface Seen {
  until: number;
  /** An object event's name, namespace, kind, reason and message id: its path in `byParts`. */
  parts?: readonly string[];
}
type Nest = Map<string, Nest | Seen>;

function setPath(root: Nest, parts: readonly string[], v: Seen): void {
  let m = root;
  for (let i = 0; i < parts.length - 1; i++) {
    let next = m.get(parts[i]!) as Nest | undefined;
    if (!next) m.set(parts[i]!, (next = new Map()));
    m = next;
  }
  m.set(parts[parts.length - 1]!, v);
}

/** Removes the leaf and every map it leaves empty (pods come and go: no empty maps left behind). */
function deletePath(root: Nest, parts: readonly string[]): void {
  const trail: Nest[] = [root];
  for (let i = 0; i < parts.length - 1; i++) {
    const next = trail[i]!.get(parts[i]!) as Nest | undefined;
    if (!next) return;
    trail.push(next);
  }
  for (let i = parts.length - 1; i >= 0; i--) {
    trail[i]!.delete(parts[i]!);
    if (trail[i]!.size > 0) break;
  }
}
