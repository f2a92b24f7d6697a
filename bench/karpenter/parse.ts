// Parses `go test -bench` output of Karpenter's scheduling benchmark into one row per (mix, pod count).
// A result line looks like (metrics are "<value> <unit>" pairs after the iteration count):
//   BenchmarkScheduling100-2   3   4567890 ns/op   21893 pods/sec   100.0 pods   21.00 nodes   123 B/op   45 allocs/op

export interface KarpenterResult {
  /** Benchmark function name without the -GOMAXPROCS suffix. */
  benchmark: string;
  /** "diverse" (BenchmarkScheduling<N>), "preferences-respect" or "preferences-ignore". */
  mix: string;
  pods: number;
  iterations: number;
  nsPerOp: number;
  /** As reported by the benchmark itself (pods / mean seconds per Solve). */
  podsPerSec: number;
  /** NodeClaims created in the first Solve. */
  nodes?: number;
  bytesPerOp?: number;
  allocsPerOp?: number;
}

const LINE = /^(Benchmark\w+?)(?:-\d+)?\s+(\d+)\s+(.*)$/;

function mixOf(benchmark: string): { mix: string; pods: number } | undefined {
  const n = /^BenchmarkScheduling(\d+)$/.exec(benchmark);
  if (n) return { mix: "diverse", pods: Number(n[1]) };
  // makePreferencePods(4000) in both preference benchmarks.
  if (benchmark === "BenchmarkRespectPreferences") return { mix: "preferences-respect", pods: 4000 };
  if (benchmark === "BenchmarkIgnorePreferences") return { mix: "preferences-ignore", pods: 4000 };
  return undefined;
}

export function parseGoBench(output: string): KarpenterResult[] {
  const rows: KarpenterResult[] = [];
  for (const raw of output.split("\n")) {
    const m = LINE.exec(raw.trim());
    if (!m) continue;
    const kind = mixOf(m[1]!);
    if (!kind) continue;
    const metrics = new Map<string, number>();
    const fields = m[3]!.trim().split(/\s+/);
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const v = Number(fields[i]);
      if (Number.isFinite(v)) metrics.set(fields[i + 1]!, v);
    }
    const nsPerOp = metrics.get("ns/op");
    if (nsPerOp === undefined) continue;
    rows.push({
      benchmark: m[1]!, mix: kind.mix, pods: kind.pods, iterations: Number(m[2]), nsPerOp,
      // Fall back to ns/op when the benchmark did not report pods/sec (older versions).
      podsPerSec: metrics.get("pods/sec") ?? kind.pods / (nsPerOp / 1e9),
      nodes: metrics.get("nodes"), bytesPerOp: metrics.get("B/op"), allocsPerOp: metrics.get("allocs/op"),
    });
  }
  return rows;
}
