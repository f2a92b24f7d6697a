// `capsicum plan --diff <git-ref> | --base <dir>`: plans the NodePools/EC2NodeClasses/NodeOverlays of the base
// (a git ref or a directory) and of the working tree over the same workload, and prints what a pull request
// changes: NodeClaims and instance types added/removed, $/h before -> after, pods that become unschedulable.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { spotPriceNote } from "../cloudprovider/aws/catalog";
import { loadObjects, type LoadedObjects } from "./load";
import { planObjects, toPlanJson, type PlanJson } from "./plan";
import type { SchedulingOptions } from "../scheduling/types";

/** One group of identical NodeClaims (same pool, type, capacity type, zone). */
export interface ClaimGroup {
  nodePool: string;
  instanceType: string;
  capacityType: string;
  zone: string | null;
  pricePerHour: number;
  count: number;
}

/** The `-o json` contract of `plan --diff`/`--base`: add fields, never rename or remove them. */
export interface PlanDiffJson {
  base: { source: string; nodeClaims: number; totalPricePerHour: number; unschedulable: number };
  head: { source: string; nodeClaims: number; totalPricePerHour: number; unschedulable: number };
  nodeClaims: { added: ClaimGroup[]; removed: ClaimGroup[] };
  instanceTypes: { added: string[]; removed: string[] };
  pricePerHour: { before: number; after: number; delta: number };
  unschedulable: {
    /** Pods the base schedules and the head does not: the reason plan exits 3. */
    new: Array<{ pod: string; reason: string }>;
    /** Pods unschedulable in the base that the head schedules. */
    resolved: Array<{ pod: string; reason: string }>;
    /** Pods unschedulable on both sides (not caused by the change). */
    unchanged: Array<{ pod: string; reason: string }>;
  };
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6;

function git(args: string[], cwd: string): string {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    const msg = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
    throw new PlanInputError(`git ${args.join(" ")}: ${msg}`);
  }
}

export class PlanInputError extends Error {}

/**
 * Writes the given working-tree paths as they are at `ref` into a temp dir and returns the paths there.
 * A path that does not exist at the ref (a file the change adds) contributes nothing.
 */
export function checkoutPaths(ref: string, paths: string[]): { paths: string[]; cleanup: () => void } {
  const tmp = mkdtempSync(join(tmpdir(), "capsicum-plan-base-"));
  const out: string[] = [];
  try {
    for (const [i, p] of paths.entries()) {
      let abs = resolve(p);
      try {
        abs = realpathSync(abs);
      } catch {
        /* deleted in the working tree: still look it up at the ref */
      }
      // The repository is the one holding the path (not the current directory's).
      let probe = abs;
      while (!existsSync(probe)) probe = dirname(probe);
      const top = realpathSync(
        git(["rev-parse", "--show-toplevel"], statSync(probe).isDirectory() ? probe : dirname(probe)).trim(),
      );
      try {
        git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], top);
      } catch {
        throw new PlanInputError(
          `--diff ${ref}: no such commit in ${top} (in CI, fetch it first: git fetch origin ${ref})`,
        );
      }
      const rel = relative(top, abs);
      const files = git(["ls-tree", "-r", "--name-only", ref, "--", rel || "."], top)
        .split("\n")
        .filter((f) => /\.(ya?ml|json)$/.test(f));
      const root = join(tmp, String(i));
      for (const f of files) {
        const dest = join(root, f);
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, git(["show", `${ref}:${f}`], top));
      }
      out.push(join(root, rel));
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { paths: out, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

/** Objects of the paths that exist (a path missing at the base ref is an empty config). */
function loadExisting(paths: string[]): LoadedObjects {
  return loadObjects(paths.filter((p) => existsSync(p)));
}

/**
 * Both sides are planned from scratch over the same pods: bound pods are unbound and existing Nodes/NodeClaims
 * dropped, because a NodePool change reaches running nodes through drift, which replaces them.
 */
export function fromScratch(
  workload: LoadedObjects,
): Pick<LoadedObjects, "pods" | "daemonSets" | "volumes" | "namespaces"> {
  const bound = workload.existingNodes
    .flatMap((n) => n.pods)
    .concat(workload.inFlightNodeClaims.flatMap((c) => c.pods ?? []));
  const pods = [...workload.pods, ...bound].map((p) => ({ ...p, spec: { ...p.spec, nodeName: undefined } }));
  return { pods, daemonSets: workload.daemonSets, volumes: workload.volumes, namespaces: workload.namespaces };
}

function groups(p: PlanJson): Map<string, ClaimGroup> {
  const m = new Map<string, ClaimGroup>();
  for (const c of p.nodeClaims) {
    const k = [c.nodePool, c.instanceType, c.capacityType, c.zone ?? ""].join("\0");
    const g = m.get(k);
    if (g) g.count++;
    else
      m.set(k, {
        nodePool: c.nodePool,
        instanceType: c.instanceType,
        capacityType: c.capacityType,
        zone: c.zone,
        pricePerHour: c.pricePerHour,
        count: 1,
      });
  }
  return m;
}

function groupDiff(from: Map<string, ClaimGroup>, to: Map<string, ClaimGroup>): ClaimGroup[] {
  const out: ClaimGroup[] = [];
  for (const [k, g] of to) {
    const n = g.count - (from.get(k)?.count ?? 0);
    if (n > 0) out.push({ ...g, count: n });
  }
  return out.sort(
    (a, b) => a.nodePool.localeCompare(b.nodePool) || a.instanceType.localeCompare(b.instanceType) || b.count - a.count,
  );
}

export function diffPlans(base: PlanJson, head: PlanJson, sources: { base: string; head: string }): PlanDiffJson {
  const gb = groups(base);
  const gh = groups(head);
  const tb = new Set(base.nodeClaims.map((c) => c.instanceType));
  const th = new Set(head.nodeClaims.map((c) => c.instanceType));
  const ub = new Map(base.unschedulable.map((u) => [u.pod, u.reason]));
  const uh = new Map(head.unschedulable.map((u) => [u.pod, u.reason]));
  const side = (p: PlanJson, source: string) => ({
    source,
    nodeClaims: p.nodeClaims.length,
    totalPricePerHour: round(p.totalPricePerHour),
    unschedulable: p.unschedulable.length,
  });
  const byPod = (a: { pod: string }, b: { pod: string }) => a.pod.localeCompare(b.pod);
  return {
    base: side(base, sources.base),
    head: side(head, sources.head),
    nodeClaims: { added: groupDiff(gb, gh), removed: groupDiff(gh, gb) },
    instanceTypes: {
      added: [...th].filter((t) => !tb.has(t)).sort(),
      removed: [...tb].filter((t) => !th.has(t)).sort(),
    },
    pricePerHour: {
      before: round(base.totalPricePerHour),
      after: round(head.totalPricePerHour),
      delta: round(head.totalPricePerHour - base.totalPricePerHour),
    },
    unschedulable: {
      new: head.unschedulable.filter((u) => !ub.has(u.pod)).sort(byPod),
      resolved: base.unschedulable.filter((u) => !uh.has(u.pod)).sort(byPod),
      unchanged: head.unschedulable.filter((u) => ub.has(u.pod)).sort(byPod),
    },
  };
}

const money = (n: number): string => `$${n.toFixed(4)}`;
const signed = (n: number, f: (n: number) => string = String): string =>
  n > 0 ? `+${f(n)}` : n < 0 ? `-${f(-n)}` : "±0";
const pct = (d: PlanDiffJson): string =>
  d.pricePerHour.before > 0
    ? ` (${signed(Math.round((d.pricePerHour.delta / d.pricePerHour.before) * 1000) / 10)}%)`
    : "";
const claimLine = (g: ClaimGroup): string =>
  `${g.count} × ${g.instanceType} ${g.capacityType} ${g.zone ?? "(any zone)"} in ${g.nodePool} @ ${money(g.pricePerHour)}/h`;

export function diffTable(d: PlanDiffJson): string {
  const out = [
    `capsicum plan: ${d.base.source} -> ${d.head.source}`,
    `NodeClaims: ${d.base.nodeClaims} -> ${d.head.nodeClaims} (${signed(d.head.nodeClaims - d.base.nodeClaims)})`,
    `Cost: ${money(d.pricePerHour.before)}/h -> ${money(d.pricePerHour.after)}/h (${signed(d.pricePerHour.delta, money)}/h${pct(d)})`,
    `Unschedulable pods: ${d.base.unschedulable} -> ${d.head.unschedulable}`,
  ];
  if (d.nodeClaims.added.length)
    out.push("", "NodeClaims added:", ...d.nodeClaims.added.map((g) => `  + ${claimLine(g)}`));
  if (d.nodeClaims.removed.length)
    out.push("", "NodeClaims removed:", ...d.nodeClaims.removed.map((g) => `  - ${claimLine(g)}`));
  if (d.instanceTypes.added.length) out.push("", `Instance types added: ${d.instanceTypes.added.join(", ")}`);
  if (d.instanceTypes.removed.length) out.push(`Instance types removed: ${d.instanceTypes.removed.join(", ")}`);
  if (d.unschedulable.new.length)
    out.push(
      "",
      `PODS THAT BECOME UNSCHEDULABLE (${d.unschedulable.new.length}):`,
      ...d.unschedulable.new.map((u) => `  ${u.pod}: ${u.reason}`),
    );
  if (d.unschedulable.resolved.length)
    out.push("", `Pods that become schedulable: ${d.unschedulable.resolved.map((u) => u.pod).join(", ")}`);
  if (d.unschedulable.unchanged.length)
    out.push("", `Still unschedulable (not caused by this change): ${d.unschedulable.unchanged.length}`);
  const same =
    !d.nodeClaims.added.length && !d.nodeClaims.removed.length && !d.unschedulable.new.length && !d.pricePerHour.delta;
  if (same) out.push("", "No change to the plan.");
  out.push("", `Note: ${spotPriceNote()}`);
  return out.join("\n");
}

const md = (s: string): string => s.replace(/\|/g, "\\|");
export function diffMarkdown(d: PlanDiffJson): string {
  const out = [
    `### capsicum plan: \`${md(d.base.source)}\` → \`${md(d.head.source)}\``,
    "",
    "| | before | after | change |",
    "|---|---:|---:|---:|",
    `| NodeClaims | ${d.base.nodeClaims} | ${d.head.nodeClaims} | ${signed(d.head.nodeClaims - d.base.nodeClaims)} |`,
    `| Cost ($/h) | ${money(d.pricePerHour.before)} | ${money(d.pricePerHour.after)} | ${signed(d.pricePerHour.delta, money)}${pct(d)} |`,
    `| Unschedulable pods | ${d.base.unschedulable} | ${d.head.unschedulable} | ${signed(d.head.unschedulable - d.base.unschedulable)} |`,
  ];
  if (d.unschedulable.new.length) {
    out.push("", `**:warning: ${d.unschedulable.new.length} pod(s) become unschedulable**`, "");
    for (const u of d.unschedulable.new) out.push(`- \`${md(u.pod)}\`: ${md(u.reason)}`);
  }
  const claims = (title: string, sign: string, gs: ClaimGroup[]) => {
    if (!gs.length) return;
    out.push("", `**NodeClaims ${title}**`, "", "| | count | NodePool | instance type | capacity | zone | $/h each |");
    out.push("|---|---:|---|---|---|---|---:|");
    for (const g of gs)
      out.push(
        `| ${sign} | ${g.count} | ${md(g.nodePool)} | ${g.instanceType} | ${g.capacityType} | ${g.zone ?? "any"} | ${money(g.pricePerHour)} |`,
      );
  };
  claims("added", "+", d.nodeClaims.added);
  claims("removed", "−", d.nodeClaims.removed);
  if (d.instanceTypes.added.length || d.instanceTypes.removed.length) {
    out.push("", "**Instance types**", "");
    if (d.instanceTypes.added.length) out.push(`- added: ${d.instanceTypes.added.map((t) => `\`${t}\``).join(", ")}`);
    if (d.instanceTypes.removed.length)
      out.push(`- removed: ${d.instanceTypes.removed.map((t) => `\`${t}\``).join(", ")}`);
  }
  if (d.unschedulable.resolved.length)
    out.push("", `Pods that become schedulable: ${d.unschedulable.resolved.map((u) => `\`${md(u.pod)}\``).join(", ")}`);
  if (d.unschedulable.unchanged.length)
    out.push("", `${d.unschedulable.unchanged.length} pod(s) stay unschedulable (not caused by this change).`);
  out.push("", `<sub>${spotPriceNote()}</sub>`);
  return out.join("\n");
}

export interface DiffOptions {
  /** Working-tree paths holding the NodePools/EC2NodeClasses/NodeOverlays (and maybe the workload). */
  files: string[];
  /** Workload paths (manifests or a `kubectl get -o yaml` snapshot); default: the non-config objects of `files`. */
  workload: string[];
  ref?: string;
  baseDir?: string;
  /** Scheduler options both sides are planned with (MIN_VALUES_POLICY). */
  options?: SchedulingOptions;
}

export function planDiff(o: DiffOptions): PlanDiffJson {
  const head = loadObjects(o.files);
  const workload = fromScratch(o.workload.length ? loadObjects(o.workload) : head);
  let base: LoadedObjects;
  let baseSource: string;
  if (o.ref === undefined && !existsSync(o.baseDir!))
    throw new PlanInputError(`--base ${o.baseDir}: no such file or directory`);
  if (o.ref !== undefined) {
    const co = checkoutPaths(o.ref, o.files);
    try {
      base = loadExisting(co.paths);
    } finally {
      co.cleanup();
    }
    baseSource = o.ref;
  } else {
    base = loadObjects([o.baseDir!]);
    baseSource = o.baseDir!;
  }
  const config = (c: LoadedObjects): LoadedObjects => ({
    nodePools: c.nodePools,
    nodeClasses: c.nodeClasses,
    nodeOverlays: c.nodeOverlays,
    ...workload,
    existingNodes: [],
    inFlightNodeClaims: [],
  });
  const before = toPlanJson(planObjects(config(base), undefined, o.options));
  const after = toPlanJson(planObjects(config(head), undefined, o.options));
  return diffPlans(before, after, { base: baseSource, head: "working tree" });
}
