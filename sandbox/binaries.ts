// Locates (building on first use) the pinned control-plane binaries and the moto virtualenv via
// scripts/cluster/build.sh, which caches them under ~/.cache/capsicum keyed by version.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export interface Binaries { k8s: string; etcd: string; kwok: string; motoPython: string }

const repoRoot = join(__dirname, "..");

export function ensureBinaries(): Binaries {
  const t0 = Date.now();
  let out: string;
  try {
    out = execFileSync("bash", [join(repoRoot, "scripts/cluster/build.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 });
  } catch (e) {
    const status = (e as { status?: number }).status;
    throw new Error(`capsicum: building the local control plane failed (scripts/cluster/build.sh exited ${status}); see the messages above`);
  }
  const kv = Object.fromEntries(out.trim().split("\n").map(l => l.split("=", 2) as [string, string]));
  console.log(`[harness] binaries ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return { k8s: kv.k8s, etcd: kv.etcd, kwok: kv.kwok, motoPython: kv.moto };
}
