// The watcher's one Pod watch: kubernetes-fluent-client's Watcher (LIST, then a watch from its resourceVersion,
// reconnects, 410 relists and the periodic relist diff) instead of Pepr's When(a.Pod).Watch bindings. Pepr 1.1.4
// keeps one full-object cache per binding (two for Pods: created-or-updated and deleted) and pretty-prints every
// LIST it receives before its debug log drops it; at 20,000 pods that was the largest part of the module's RSS.
// kfc still caches what it delivers (keyed by uid, for its relist diff), so each delivered object is cut down in
// place to the metadata that diff reads, once the cluster state has taken its own slim copy (slim.ts).
import { EventEmitter } from "node:events";
import { K8s, kind, WatchCfg, WatchEvent } from "kubernetes-fluent-client";
import type { KubeObject } from "./client";
import type { Phase } from "./clusterState";

export interface PodWatchOptions {
  /** Seconds between kfc's checks that the watch is still alive (reconnect when no event for lastSeenLimit). */
  resyncDelaySec?: number;
  /** Seconds between full relists (kfc emits only the differences). */
  relistIntervalSec?: number;
  /** Seconds without any event before kfc reconnects (LIST + watch). */
  lastSeenLimitSeconds?: number;
  /** Watch errors and reconnects, for the log. */
  onWarning?: (message: string, err?: unknown) => void;
}

export interface PodWatch {
  close(): void;
}

/** The fields kfc's relist diff reads (uid, resourceVersion) and the state's key (namespace/name). */
export function stubInPlace(obj: KubeObject): void {
  const m = obj.metadata ?? {};
  const keep = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion };
  for (const k of Object.keys(obj)) if (k !== "metadata") delete (obj as Record<string, unknown>)[k];
  obj.metadata = keep as KubeObject["metadata"];
}

export type WatchFactory = (
  cb: (obj: KubeObject, phase: string) => void,
  cfg: WatchCfg,
) => { start(): Promise<unknown>; close(): void; events: EventEmitter };

const kfcPodWatch: WatchFactory = (cb, cfg) =>
  K8s(kind.Pod).Watch((obj, phase) => cb(obj as unknown as KubeObject, phase), cfg);

/**
 * Starts the Pod watch and resolves once its initial LIST has been handed to `onEvent` (every pod as ADDED), so
 * the engine can act on a complete state; rejects (and closes the watch) when that LIST fails. Never gives up
 * afterwards: kfc retries a broken watch every resyncDelaySec for as long as it takes.
 */
export async function startPodWatch(
  onEvent: (obj: KubeObject, phase: Phase) => void,
  o: PodWatchOptions = {},
  factory: WatchFactory = kfcPodWatch,
): Promise<PodWatch> {
  let listed = false;
  let listError: unknown;
  const watcher = factory(
    (obj, phase) => {
      if (phase !== "ADDED" && phase !== "MODIFIED" && phase !== "DELETED") return;
      try {
        onEvent(obj, phase);
      } finally {
        stubInPlace(obj);
      }
    },
    {
      resyncDelaySec: o.resyncDelaySec ?? 5,
      relistIntervalSec: o.relistIntervalSec ?? 600,
      lastSeenLimitSeconds: o.lastSeenLimitSeconds ?? 300,
    },
  );
  const warn = o.onWarning ?? (() => undefined);
  watcher.events.on(WatchEvent.LIST, () => (listed = true));
  watcher.events.on(WatchEvent.LIST_ERROR, (err: unknown) => {
    listError ??= err;
    warn("pod LIST failed", err);
  });
  watcher.events.on(WatchEvent.WATCH_ERROR, (err: unknown) => warn("pod watch failed", err));
  watcher.events.on(WatchEvent.NETWORK_ERROR, (err: unknown) => warn("pod watch connection lost", err));
  watcher.events.on(WatchEvent.DATA_ERROR, (err: unknown) => warn("pod watch event failed", err));
  watcher.events.on(WatchEvent.OLD_RESOURCE_VERSION, () => warn("pod watch resourceVersion expired: relisting"));
  await watcher.start();
  if (!listed) {
    watcher.close();
    const why = (listError as Error | undefined)?.message ?? String(listError ?? "no response");
    throw new Error(`initial pod LIST failed: ${why}`);
  }
  return { close: () => watcher.close() };
}
