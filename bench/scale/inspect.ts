// What a running module process holds, read through Node's inspector (BENCH_INSPECT=1, after the measured run,
// so it cannot disturb the figures): SIGUSR1 opens the inspector on 127.0.0.1:9229; after a full GC we read
// process.memoryUsage() and, with a heap snapshot, the largest live object groups by constructor (self size).
// One process at a time (they all take port 9229); each closes its inspector again before the next.
// A CLI, run by the bench in a child with NODE_OPTIONS=--experimental-websocket (Node 20's WebSocket client; no
// dependency): `NODE_OPTIONS=--experimental-websocket tsx bench/scale/inspect.ts <pid> [--snapshot] [--no-gc]` prints JSON.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

export interface Inspection {
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** Largest groups of live objects: "type name" → count and MB (self sizes). */
  top: Array<{ what: string; count: number; mb: number }>;
}

const MB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function debuggerUrl(timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const list = (await (await fetch("http://127.0.0.1:9229/json/list")).json()) as Array<{
        webSocketDebuggerUrl: string;
      }>;
      if (list[0]) return list[0].webSocketDebuggerUrl;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) throw new Error("inspector did not open on :9229");
    await sleep(200);
  }
}

/** Self sizes grouped by node type + name from a V8 heap snapshot (the format's meta describes the fields). */
function summarise(snapshot: string, n: number): Inspection["top"] {
  const s = JSON.parse(snapshot);
  const f: string[] = s.snapshot.meta.node_fields;
  const types: string[] = s.snapshot.meta.node_types[0];
  const [ti, ni, si] = [f.indexOf("type"), f.indexOf("name"), f.indexOf("self_size")];
  const groups = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += f.length) {
    const type = types[s.nodes[i + ti]];
    // Strings and code are grouped by type only: their names are their contents.
    const what = ["string", "concatenated string", "sliced string", "code", "number"].includes(type)
      ? type
      : `${type} ${s.strings[s.nodes[i + ni]]}`.slice(0, 80);
    const g = groups.get(what) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += s.nodes[i + si];
    groups.set(what, g);
  }
  return [...groups]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, n)
    .map(([what, g]) => ({ what, count: g.count, mb: g.bytes / MB }));
}

export async function inspectProcess(
  pid: number,
  opts: { snapshot: boolean; top?: number; gc?: boolean },
): Promise<Inspection> {
  process.kill(pid, "SIGUSR1");
  const ws = new WebSocket(await debuggerUrl(15_000));
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  let id = 0;
  const pending = new Map<number, (v: Record<string, unknown>) => void>();
  const chunks: string[] = [];
  ws.onmessage = (ev: MessageEvent) => {
    const m = JSON.parse(String(ev.data));
    if (m.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(m.params.chunk);
    else if (m.id !== undefined) pending.get(m.id)?.(m.result ?? {});
  };
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((r) => {
      pending.set(++id, r);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("HeapProfiler.enable");
    // gc: false reads the heap as it is (mid-run: the garbage not yet collected is part of the RSS too).
    if (opts.gc !== false) await call("HeapProfiler.collectGarbage");
    const res = (await call("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    })) as { result: { value: string } };
    const mu = JSON.parse(res.result.value);
    let top: Inspection["top"] = [];
    if (opts.snapshot) {
      await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      top = summarise(chunks.join(""), opts.top ?? 15);
    }
    // Close the inspector from inside once this session has gone (inspector.close() waits for sessions to end).
    const closeExpr =
      "setTimeout(() => (globalThis.require ?? process.mainModule?.require)?.('inspector').close(), 200), 0";
    await call("Runtime.evaluate", { expression: closeExpr });
    return {
      rssMB: mu.rss / MB,
      heapUsedMB: mu.heapUsed / MB,
      heapTotalMB: mu.heapTotal / MB,
      externalMB: mu.external / MB,
      arrayBuffersMB: mu.arrayBuffers / MB,
      top,
    };
  } finally {
    ws.close();
    await sleep(1000); // the port is free once the process has closed its inspector
  }
}

/** Runs this file as a child (see the header): the bench's own process has no WebSocket on Node 20. */
export async function inspectInChild(pid: number, snapshot: boolean, gc = true): Promise<Inspection> {
  const tsx = join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
  const { stdout } = await promisify(execFile)(
    tsx,
    [__filename, String(pid), ...(snapshot ? ["--snapshot"] : []), ...(gc ? [] : ["--no-gc"])],
    {
      env: { ...process.env, NODE_OPTIONS: "--experimental-websocket --max-old-space-size=4096" },
      maxBuffer: 16 * MB,
      timeout: 300_000,
    },
  );
  return JSON.parse(stdout);
}

if (require.main === module)
  void inspectProcess(Number(process.argv[2]), {
    snapshot: process.argv.includes("--snapshot"),
    gc: !process.argv.includes("--no-gc"),
  }).then((r) => console.log(JSON.stringify(r)));
