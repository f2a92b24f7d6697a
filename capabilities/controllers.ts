// The watcher's one controller instance. Pepr runs Watch bindings only in the watcher (or dev) process; the
// first event starts the engine, which owns its queues, retries and timers (Pepr has no requeue/resync).
import { Log } from "pepr";
import { loadSettings } from "../src/settings";
import { startControllers, Controllers } from "../src/controllers";
import { Backoff } from "../src/kube/backoff";
import type { KindName } from "../src/kube/client";
import type { Phase } from "../src/kube/clusterState";
import { startPodWatch } from "../src/kube/podWatch";
import { watchConfig } from "./watchConfig";

let running: Promise<Controllers> | undefined;
let started: Controllers | undefined;
/** Set by SIGTERM: the process is going away, nothing (re)starts. */
let stopping = false;
// A failed start (e.g. a 403 on the initial LIST) is retried on a timer with exponential backoff, not on the
// next watch event: events arrive by the hundred and would otherwise hammer the apiserver. Events seen before
// the start are not lost: the engine rebuilds its state from a LIST when it starts.
const backoff = new Backoff({ initialMs: 1000, maxMs: 300_000 });

function start(): void {
  if (running || stopping) return;
  running = Promise.resolve()
    .then(() => startControllers(loadSettings(process.env), { podWatch }))
    .then(
      (c) => {
        started = c;
        backoff.reset();
        return c;
      },
      (err) => {
        const delay = backoff.next();
        Log.error(
          { err: String(err?.message ?? err), retryInMs: delay },
          "capsicum controllers failed to start; retrying",
        );
        setTimeout(() => {
          running = undefined;
          start();
        }, delay).unref();
        throw err;
      },
    );
  running.catch(() => undefined);
}

// Graceful shutdown when the module process gets SIGTERM (dist/'s pods, whose PID 1 is the module itself through
// scripts/module-entry.cjs; `pepr dev`; `npm start`): stop taking work, let in-flight reconciles finish, close the
// metrics server (Pepr's own handler closes its HTTPS server and exits 143). Under `npx pepr deploy` PID 1 is
// Pepr's controller.js, which forks the module and does not forward signals, so a pod stop ends the module with
// its PID namespace. Nothing depends on this handler: every step is idempotent and resumed by the next process
// (the chaos e2e kills the watcher with -9 mid scale-up, mid consolidation and at an interruption).
process.once("SIGTERM", () => {
  stopping = true; // no start after this one, not even a retry
  // Admission processes never run controllers: nothing to say there.
  if (!started && !running && process.env.PEPR_WATCH_MODE !== "true") return;
  Log.info({ started: !!started }, "SIGTERM: stopping capsicum controllers");
  // A start in progress (the engine starts on the first watch event) is waited for, then stopped too.
  const current = started ? Promise.resolve(started) : running;
  if (!current) return;
  const cap = setTimeout(() => Log.warn("controllers did not stop within 20 s"), 20_000);
  cap.unref();
  current
    .then(
      (c) => c.stop(),
      () => undefined, // the start failed: nothing runs
    )
    .then(
      () => {
        clearTimeout(cap);
        Log.info("capsicum controllers stopped");
      },
      (err) => Log.error({ err: String(err?.message ?? err) }, "stopping controllers failed"),
    );
});

/** Pods come from the engine's own kfc watch (src/kube/podWatch.ts), not from Pepr bindings: see there why. */
function podWatch(onEvent: Parameters<typeof startPodWatch>[0]) {
  return startPodWatch(onEvent, {
    resyncDelaySec: watchConfig.resyncDelaySec,
    relistIntervalSec: watchConfig.relistIntervalSec,
    lastSeenLimitSeconds: watchConfig.lastSeenLimitSeconds,
    onWarning: (msg, err) =>
      Log.warn({ err: err === undefined ? undefined : String((err as Error)?.message ?? err) }, msg),
  });
}

/**
 * Starts the engine in the process that runs Watch bindings (the watcher pod, or `pepr dev`), at module load:
 * with Pods on the engine's own watch, no Pepr event may be there to start it (a cluster with no NodePool yet).
 */
export function startInWatcher(env: NodeJS.ProcessEnv = process.env): void {
  if (env.PEPR_WATCH_MODE === "true" || env.PEPR_MODE === "dev") start();
}

/** A Watch callback that hands every event of `kind` to the engine's cluster state. */
export function feed(kind: KindName) {
  return async (obj: unknown, phase: string): Promise<void> => {
    if (!started && !running) start();
    // While a failed start waits for its retry, events are dropped: the next start's LIST includes them.
    const c = started ?? (await running?.catch(() => undefined));
    c?.onEvent(kind, obj as never, phase as Phase);
  };
}
