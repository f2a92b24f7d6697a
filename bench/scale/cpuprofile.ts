// Summarises a V8 .cpuprofile (BENCH_SCALE_PROFILE=<file> of bench/scale/engine.ts): the functions with the most
// self time and the most inclusive time (a function counted once per sample however deep it recurses), as % of
// all samples; with a function name, that function's self samples by source line of the profiled file.
// `npx tsx bench/scale/cpuprofile.ts <file> [rows] [function]`.
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  positionTicks?: Array<{ line: number; ticks: number }>;
}
const [file, rowsArg, fn] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file!, "utf8")) as { nodes: Node[]; samples: number[] };
const rows = Number(rowsArg ?? 30);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n: Node) =>
  `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
const self = new Map<string, number>();
const total = new Map<string, number>();
for (const s of prof.samples) {
  const leaf = byId.get(s)!;
  self.set(name(leaf), (self.get(name(leaf)) ?? 0) + 1);
  const onStack = new Set<string>();
  for (let id: number | undefined = s; id !== undefined; id = parent.get(id)) onStack.add(name(byId.get(id)!));
  for (const k of onStack) total.set(k, (total.get(k) ?? 0) + 1);
}
const n = prof.samples.length;
const top = (m: Map<string, number>, title: string) => {
  console.log(`\n${title} (${n} samples)`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, rows))
    console.log(`${((100 * v) / n).toFixed(1).padStart(5)} %  ${k}`);
};
top(self, "self");
top(total, "inclusive");
if (fn) {
  const lines = new Map<number, number>();
  for (const node of prof.nodes)
    if (node.callFrame.functionName === fn)
      for (const t of node.positionTicks ?? []) lines.set(t.line, (lines.get(t.line) ?? 0) + t.ticks);
  console.log(`\n${fn}: self samples by line`);
  for (const [l, v] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, rows))
    console.log(`${String(v).padStart(6)}  line ${l}`);
}
