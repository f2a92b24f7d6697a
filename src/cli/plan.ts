// `capsicum plan -f <files|dirs>... [--region R [--zones a,b]] [-o json|table]`: offline provisioning decision for
// the given manifests, from the same embedded tables the provider uses.
import { formatResource } from "../apis/quantity";
import {
  catalogZones,
  ephemeralStorageBytes,
  forAmiFamily,
  loadCatalog,
  spotPriceNote,
} from "../cloudprovider/aws/catalog";
import { amiFamilyOf } from "../cloudprovider/aws/userData";
import { pricingState } from "../cloudprovider/aws/pricing";
import type { InstanceType } from "../cloudprovider/aws/catalog/types";
import { buildSchedulingInput, evaluateOverlays } from "../provisioning/schedulingInput";
import { podKey } from "../scheduling/pods";
import { schedule } from "../scheduling/scheduler";
import type { SchedulingOptions, SchedulingResult } from "../scheduling/types";
import { parseMinValuesPolicy, SettingsError, type MinValuesPolicy } from "../settings";
import { loadObjects, type LoadedObjects } from "./load";
import { diffMarkdown, diffTable, planDiff, PlanInputError, type PlanDiffJson } from "./planDiff";

export interface PlanJson {
  nodeClaims: Array<{
    name: string;
    nodePool: string;
    instanceType: string;
    instanceTypeOptions: string[];
    capacityType: string;
    zone: string | null;
    pricePerHour: number;
    requests: { cpu: string; memory: string; pods: string };
    pods: string[];
    /** MIN_VALUES_POLICY=BestEffort lowered a minValues for it (the NodeClaim's nodeclaim-min-values-relaxed). */
    minValuesRelaxed?: true;
  }>;
  existingNodes: Array<{ name: string; pods: string[] }>;
  unschedulable: Array<{ pod: string; reason: string }>;
  totalPricePerHour: number;
}

export interface PlanRegion {
  region: string;
  /** Zones to plan in; required knowledge for a region without embedded offerings (default: its a, b, c). */
  zones?: string[];
}

/**
 * What the offline tables know about a region: its zones' offerings (embedded for us-east-1; elsewhere every
 * embedded type is assumed offered in each given zone) and notes saying what is assumed or substituted.
 */
export function offlineRegion(r: PlanRegion): { offerings?: Map<string, string[]>; zones: string[]; notes: string[] } {
  const notes: string[] = [];
  const embedded = catalogZones(r.region);
  let offerings: Map<string, string[]> | undefined;
  let zones = embedded;
  if (r.zones?.length || !embedded.length) {
    zones = r.zones?.length ? r.zones : ["a", "b", "c"].map((z) => `${r.region}${z}`);
    const bad = zones.filter((z) => !z.startsWith(r.region));
    if (bad.length) throw new PlanInputError(`--zones ${bad.join(",")}: not zones of region ${r.region}`);
    if (embedded.length) {
      offerings = new Map(
        loadCatalog({ region: r.region }).map((t) => [
          t.name,
          zones.filter((z) => t.offerings.some((o) => o.zone === z)),
        ]),
      );
    } else {
      offerings = new Map(loadCatalog().map((t) => [t.name, zones]));
      notes.push(
        `region ${r.region} has no embedded offerings: every instance type is assumed offered in ${zones.join(", ")}` +
          (r.zones?.length ? "" : " (choose with --zones)"),
      );
    }
  }
  const pricing = pricingState(r.region);
  if (pricing.message) notes.push(pricing.message);
  return { offerings, zones, notes };
}

export function planObjects(
  objs: LoadedObjects,
  where: PlanRegion = { region: "us-east-1" },
  options: SchedulingOptions = {},
): SchedulingResult {
  const classes = new Map(objs.nodeClasses.map((c) => [c.metadata.name ?? "", c]));
  const { offerings } = offlineRegion(where);
  const base = loadCatalog({ region: where.region, offerings });
  const catalogs: Record<string, InstanceType[]> = {};
  for (const np of objs.nodePools) {
    // As the controller: the node class's kubelet, AMI family (pod density, Windows labels) and volumes.
    const spec = classes.get(np.spec.template.spec.nodeClassRef?.name)?.spec;
    if (!spec) {
      catalogs[np.metadata.name ?? ""] = base;
      continue;
    }
    const family = amiFamilyOf(spec);
    const types = loadCatalog({
      region: where.region,
      offerings,
      kubelet: spec.kubelet,
      amiFamily: family,
      instanceStorePolicy: spec.instanceStorePolicy,
      ephemeralStorage: ephemeralStorageBytes(family, spec.blockDeviceMappings),
    });
    catalogs[np.metadata.name ?? ""] = forAmiFamily(types, family);
  }
  // The same overlay evaluation as the running controller (weights, conflicts); an overlay the controller would
  // not apply because it is invalid is an input error here, naming the field.
  const overlays = objs.nodeOverlays.length ? evaluateOverlays(objs.nodeOverlays, objs.nodePools, catalogs) : undefined;
  const bad = overlays?.verdicts.find((v) => v.reason === "RuntimeValidation");
  if (bad) throw new Error(bad.message);
  return schedule(
    buildSchedulingInput({
      pods: objs.pods,
      nodePools: objs.nodePools,
      catalogs,
      overlays,
      existingNodes: objs.existingNodes,
      inFlightNodeClaims: objs.inFlightNodeClaims,
      daemonSets: objs.daemonSets,
      volumes: objs.volumes,
      namespaces: objs.namespaces,
      options,
    }),
  );
}

export function toPlanJson(r: SchedulingResult): PlanJson {
  return {
    nodeClaims: r.newNodeClaims.map((c) => ({
      name: c.name,
      nodePool: c.nodePool,
      instanceType: c.instanceType,
      instanceTypeOptions: c.instanceTypeOptions.map((t) => t.name),
      capacityType: c.capacityType,
      zone: c.zone ?? null,
      pricePerHour: c.pricePerHour,
      requests: {
        cpu: formatResource("cpu", c.requests.cpu ?? 0),
        memory: formatResource("memory", c.requests.memory ?? 0),
        pods: formatResource("pods", c.requests.pods ?? 0),
      },
      pods: c.pods.map(podKey),
      ...(c.minValuesRelaxed ? { minValuesRelaxed: true as const } : {}),
    })),
    existingNodes: r.existingNodes.map((n) => ({ name: n.name, pods: n.pods.map(podKey) })),
    unschedulable: r.unschedulable.map((u) => ({ pod: u.key, reason: u.reason })),
    totalPricePerHour: r.totalPricePerHour,
  };
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(w[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function toTable(p: PlanJson, notes: string[] = []): string {
  const out: string[] = [];
  if (p.nodeClaims.length) {
    out.push(
      table([
        ["NODECLAIM", "NODEPOOL", "TYPE", "CAPACITY", "ZONE", "$/H", "CPU", "MEMORY", "PODS", "OPTIONS"],
        ...p.nodeClaims.map((c) => [
          c.name,
          c.nodePool,
          c.instanceType,
          c.capacityType,
          c.zone ?? "(any)",
          c.pricePerHour.toFixed(4),
          c.requests.cpu,
          c.requests.memory,
          String(c.pods.length),
          String(c.instanceTypeOptions.length),
        ]),
      ]),
    );
  } else out.push("No new NodeClaims needed.");
  for (const n of p.existingNodes) out.push(`existing node ${n.name}: ${n.pods.length} pod(s)`);
  if (p.unschedulable.length) {
    out.push("", `UNSCHEDULABLE (${p.unschedulable.length}):`);
    for (const u of p.unschedulable) out.push(`  ${u.pod}: ${u.reason}`);
  }
  out.push("", `Total: $${p.totalPricePerHour.toFixed(4)}/h`, `Note: ${spotPriceNote()}`);
  for (const n of notes) out.push(`Note: ${n}`);
  return out.join("\n");
}

export const PLAN_USAGE = `usage: capsicum plan -f <files or dirs>... [--region R [--zones R-a,R-b]] [--min-values-policy Strict|BestEffort] [-o table|json]
       capsicum plan -f <files or dirs>... (--diff <git-ref> | --base <dir>) [-w <workload>...] [--min-values-policy Strict|BestEffort] [-o table|markdown|json]
       (--min-values-policy defaults to MIN_VALUES_POLICY, else Strict, as the controller)`;

export function runPlan(args: string[], write: (s: string) => void, writeErr: (s: string) => void): number {
  const files: string[] = [];
  const workload: string[] = [];
  let output = "table";
  let ref: string | undefined;
  let baseDir: string | undefined;
  let region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1";
  let zones: string[] | undefined;
  let regionGiven = false;
  let minValuesPolicy: MinValuesPolicy;
  try {
    minValuesPolicy = parseMinValuesPolicy(process.env.MIN_VALUES_POLICY);
  } catch (e) {
    writeErr((e as SettingsError).message);
    return 2;
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    const [flag, inline] = a.startsWith("-") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (what: string): string | undefined => {
      const v = inline ?? args[++i];
      if (!v) writeErr(`${flag} needs ${what}\n${PLAN_USAGE}`);
      return v;
    };
    let v: string | undefined;
    switch (flag) {
      case "-f":
      case "--filename":
        if (!(v = value("a file or directory"))) return 2;
        files.push(v);
        break;
      case "-w":
      case "--workload":
        if (!(v = value("a file or directory (manifests or a `kubectl get -o yaml` snapshot)"))) return 2;
        workload.push(v);
        break;
      case "-o":
      case "--output":
        output = inline ?? args[++i] ?? "";
        break;
      case "--diff":
        if (!(ref = value("a git ref (a branch, tag or commit, e.g. origin/main)"))) return 2;
        break;
      case "--region":
        if (!(v = value("a region, e.g. --region eu-west-1"))) return 2;
        if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(v)) {
          writeErr(`--region ${v}: not a region name, e.g. us-east-1 or eu-west-1`);
          return 2;
        }
        region = v;
        regionGiven = true;
        break;
      case "--zones":
        if (!(v = value("a comma-separated list of zones, e.g. --zones eu-west-1a,eu-west-1b"))) return 2;
        zones = v.split(",").filter(Boolean);
        break;
      case "--min-values-policy":
        if (!(v = value("Strict or BestEffort"))) return 2;
        try {
          minValuesPolicy = parseMinValuesPolicy(v, "--min-values-policy");
        } catch (e) {
          writeErr((e as SettingsError).message);
          return 2;
        }
        break;
      case "--base":
        if (!(baseDir = value("a directory holding the base NodePools/EC2NodeClasses"))) return 2;
        break;
      default:
        if (a.startsWith("-")) {
          writeErr(`unknown flag ${a}\n${PLAN_USAGE}`);
          return 2;
        }
        files.push(a);
    }
  }
  const diff = ref !== undefined || baseDir !== undefined;
  if (ref !== undefined && baseDir !== undefined) {
    writeErr("--diff and --base are exclusive: compare against a git ref or a directory, not both");
    return 2;
  }
  const outputs = diff ? ["json", "table", "markdown"] : ["json", "table"];
  if (!outputs.includes(output)) {
    writeErr(`-o ${output}: unsupported output, use ${outputs.map((o) => `-o ${o}`).join(" or ")}`);
    return 2;
  }
  if (files.length === 0) {
    writeErr(PLAN_USAGE);
    return 2;
  }
  if (!diff && workload.length) {
    writeErr("-w/--workload only applies with --diff or --base; without them give the workload with -f");
    return 2;
  }
  if (diff && (zones || regionGiven)) {
    writeErr("--region/--zones do not apply with --diff or --base yet: both sides are planned in us-east-1");
    return 2;
  }
  if (diff) {
    let d: PlanDiffJson;
    try {
      d = planDiff({ files, workload, ref, baseDir, options: { minValuesPolicy } });
    } catch (e) {
      if (e instanceof PlanInputError) {
        writeErr(e.message);
        return 2;
      }
      throw e;
    }
    if (output === "json") {
      write(JSON.stringify(d, null, 2));
      writeErr(`note: ${spotPriceNote()}`);
    } else write(output === "markdown" ? diffMarkdown(d) : diffTable(d));
    return d.unschedulable.new.length ? 3 : 0;
  }
  let where: ReturnType<typeof offlineRegion>;
  try {
    where = offlineRegion({ region, zones });
  } catch (e) {
    if (e instanceof PlanInputError) {
      writeErr(e.message);
      return 2;
    }
    throw e;
  }
  const objs = loadObjects(files);
  if (objs.nodePools.length === 0) writeErr("warning: no NodePool found in the input; nothing can be provisioned");
  const plan = toPlanJson(planObjects(objs, { region, zones }, { minValuesPolicy }));
  if (output === "json") {
    write(JSON.stringify(plan, null, 2));
    writeErr(`note: ${spotPriceNote()}`);
    for (const n of where.notes) writeErr(`note: ${n}`);
  } else write(toTable(plan, where.notes));
  return plan.unschedulable.length ? 3 : 0;
}
