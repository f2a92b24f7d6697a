// Child-process management for the harness: every server runs in its own process group, and a detached
// reaper kills those groups if this process dies without calling stop() (a crashed jest run leaves no orphans).
import { spawn, ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import net from "node:net";

export interface Managed { name: string; child: ChildProcess; logFile: string }

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Fails with a clear message when a port that must be fixed is already taken. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", () => reject(new Error(`capsicum: port ${port} (${what}) is already in use: stop the process using it (ss -ltnp 'sport = :${port}') and retry`)));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
  });
}

export class ProcessGroup {
  private readonly procs: Managed[] = [];
  private reaperStarted = false;
  constructor(private readonly dir: string) {}

  start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Managed {
    const logFile = join(this.dir, `${name}.log`);
    const out = createWriteStream(logFile, { flags: "a" });
    const child = spawn(cmd, args, { detached: true, env, stdio: ["ignore", "pipe", "pipe"] });
    // Two sources, one file: end it when the child's stdio has closed, not when the first of them ends (the
    // other's next chunk would be a "write after end" error, failing whichever test is running).
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    child.once("close", () => out.end());
    child.on("error", err => out.writable && out.write(`spawn error: ${err.message}\n`));
    const m = { name, child, logFile };
    this.procs.push(m);
    this.writeReaper();
    return m;
  }

  /** Puts a child spawned elsewhere (a sandbox pod, restarted on exit) under this group's reaper and stop(). */
  adopt(name: string, child: ChildProcess, logFile: string): void {
    // An exited process of the same name (the pod's previous container) leaves the list: its pgid may be reused.
    const gone = this.procs.findIndex(p => p.name === name && (p.child.exitCode !== null || p.child.signalCode !== null));
    if (gone >= 0) this.procs.splice(gone, 1);
    this.procs.push({ name, child, logFile });
    this.writeReaper();
  }

  pids(): number[] { return this.procs.map(p => p.child.pid).filter((p): p is number => typeof p === "number"); }

  /** Kills the groups in reverse start order: TERM, then KILL after a grace period. */
  async stop(graceMs = 5000): Promise<void> {
    for (const p of [...this.procs].reverse()) {
      const pid = p.child.pid;
      if (!pid || p.child.exitCode !== null || p.child.signalCode !== null) continue;
      const exited = new Promise<void>(r => p.child.once("exit", () => r()));
      try { process.kill(-pid, "SIGTERM"); } catch { continue; }
      const timer = new Promise<"timeout">(r => setTimeout(() => r("timeout"), graceMs).unref());
      if ((await Promise.race([exited, timer])) === "timeout") {
        try { process.kill(-pid, "SIGKILL"); } catch { /* already gone */ }
        await Promise.race([exited, new Promise(r => setTimeout(r, 2000).unref())]);
      }
    }
    this.procs.length = 0;
    this.writeReaper();
  }

  /** Synchronous best-effort kill, for process 'exit' handlers. */
  killNow(): void {
    for (const p of this.procs) {
      if (p.child.pid) { try { process.kill(-p.child.pid, "SIGKILL"); } catch { /* gone */ } }
    }
  }

  private writeReaper(): void {
    // The reaper reads the pid list from a file so it always knows the current set of groups.
    const list = join(this.dir, "pgids");
    writeFileSync(list, this.pids().join("\n") + "\n");
    if (this.reaperStarted) return;
    this.reaperStarted = true;
    const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; for g in $(cat '${list}'); do kill -KILL -- -$g 2>/dev/null; done`;
    const r = spawn("bash", ["-c", script], { detached: true, stdio: "ignore" });
    r.unref();
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, logHint?: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && (v as unknown) !== false) return v;
    } catch (e) { lastErr = e; }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String((lastErr as Error).message ?? lastErr)}` : ""}${logHint ? ` (see ${logHint})` : ""}`);
}
