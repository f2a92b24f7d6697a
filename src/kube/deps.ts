// What every controller of the engine is built with: the apiserver client, the in-memory cluster state, time,
// a logger, the metrics and the event recorder. Controllers declare the part they use (`Pick<EngineDeps, ...>`).
import type { KubeClient } from "./client";
import type { ClusterState } from "./clusterState";
import type { Clock } from "./clock";
import type { EventRecorder } from "./events";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";

export interface EngineDeps {
  client: KubeClient;
  state: ClusterState;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  events: EventRecorder;
}
