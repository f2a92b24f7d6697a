// Prometheus metrics under Karpenter's names and labels, so existing Karpenter dashboards and alerts work.
// One Registry per Metrics instance (not prom-client's global) so tests and restarts never collide. The metric set
// is the table in metricsTable.ts; each entry becomes a typed field (a Counter/Gauge/... over its label names).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, Summary } from "prom-client";
import { METRICS, type MetricDefinition } from "./metricsTable";

export { DURATION_BUCKETS, METRICS, NODE_LABEL_KEYS, NODE_LABEL_NAMES } from "./metricsTable";

type LabelsOf<D> = D extends { readonly labels: readonly (infer L extends string)[] } ? L : string;
type Instrument<D extends MetricDefinition> = D["type"] extends "counter"
  ? Counter<LabelsOf<D>>
  : D["type"] extends "gauge"
    ? Gauge<LabelsOf<D>>
    : D["type"] extends "histogram"
      ? Histogram<LabelsOf<D>>
      : Summary<LabelsOf<D>>;
type MetricFields = { readonly [K in keyof typeof METRICS]: Instrument<(typeof METRICS)[K]> };

function instrument(d: MetricDefinition, registry: Registry): Counter | Gauge | Histogram | Summary {
  const base = {
    name: d.name,
    help: d.help,
    registers: [registry],
    ...(d.labels ? { labelNames: [...d.labels] } : {}),
  };
  switch (d.type) {
    case "counter":
      return new Counter(base);
    case "gauge":
      return new Gauge(base);
    case "histogram":
      return new Histogram({ ...base, ...(d.buckets ? { buckets: [...d.buckets] } : {}) });
    case "summary":
      return new Summary({ ...base, ...(d.percentiles ? { percentiles: [...d.percentiles] } : {}) });
  }
}

// The interface merges the table's typed fields into the class; the constructor assigns them.
export interface Metrics extends MetricFields {}
export class Metrics {
  readonly registry = new Registry();
  constructor() {
    const fields = this as unknown as Record<string, unknown>;
    for (const [field, d] of Object.entries(METRICS)) fields[field] = instrument(d, this.registry);
  }
}

/** Serves `registry` at GET /metrics on `port` (0 = an ephemeral port, for tests). Resolves once listening. */
export async function serveMetrics(
  registry: Registry,
  port: number,
  host?: string,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found; metrics are served at /metrics\n");
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
      (err) => res.writeHead(500, { "content-type": "text/plain" }).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections?.();
      }),
  };
}
