// The watcher's one controller instance. Pepr runs Watch bindings only in the watcher (or dev) process; the
// first event starts the engine, which owns its queues, retries and timers (Pepr has no requeue/resync).
import { Log } from "pepr";
import { loadSettings } from "../src/settings";
import { startControllers, Controllers } from "../src/controllers";
import type { KindName } from "../src/kube/client";
import type { Phase } from "../src/kube/clusterState";

let running: Promise<Controllers> | undefined;

function controllers(): Promise<Controllers> {
  running ??= startControllers(loadSettings(process.env)).catch((err) => {
    Log.error({ err: String(err?.message ?? err) }, "capsicum controllers failed to start");
    running = undefined; // the next event retries the start
    throw err;
  });
  return running;
}

/** A Watch callback that hands every event of `kind` to the engine's cluster state. */
export function feed(kind: KindName) {
  return async (obj: unknown, phase: string): Promise<void> => {
    (await controllers()).onEvent(kind, obj as never, phase as Phase);
  };
}
