// What one metric of the table is (metricsTable.ts, metricsTableAws.ts), and Karpenter's shared buckets.

export type MetricType = "counter" | "gauge" | "histogram" | "summary";
export interface MetricDefinition {
  readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly labels?: readonly string[];
  /** Histograms only; prom-client's default buckets (Prometheus' DefBuckets) when absent. */
  readonly buckets?: readonly number[];
  /** Summaries only: the quantiles. */
  readonly percentiles?: readonly number[];
}

/** Karpenter's DurationBuckets (pkg/metrics). */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60, 120, 150, 300, 450, 600,
];
