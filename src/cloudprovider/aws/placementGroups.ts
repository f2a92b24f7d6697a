// The EC2NodeClass placementGroupSelector, as Karpenter AWS v1.14's placementgroup provider: one
// DescribePlacementGroups by id (else by name) of groups in state `available`, the first answer used; the lookup
// cached a minute, the last resolved group kept 24 h so a failed lookup still launches into the known group (the
// PlacementGroupReady condition says the lookup failed). Karpenter keeps the group in memory, not in the status.
import { DescribePlacementGroupsCommand, EC2Client, PlacementGroup as EC2PlacementGroup } from "@aws-sdk/client-ec2";
import { TtlCache, TTL, Now } from "./ttlCache";

export interface PlacementGroupSelector {
  id?: string;
  name?: string;
}

export type PlacementStrategy = "cluster" | "partition" | "spread";

export interface PlacementGroup {
  id: string;
  name: string;
  strategy: PlacementStrategy;
  /** Partition placement groups: how many partitions (1..7). */
  partitionCount: number;
  spreadLevel?: string;
}

export interface PlacementGroupResolution {
  /** The group (also the last known one when the lookup failed); undefined: no selector, or nothing matched. */
  group?: PlacementGroup;
  /** DescribePlacementGroups failed. */
  error?: string;
}

/** Karpenter's PlacementGroupAvailabilityTTL: the last resolved group outlives a failing lookup this long. */
export const PLACEMENT_GROUP_AVAILABILITY_TTL_MS = 24 * 60 * 60_000;

export const PLACEMENT_GROUP_READY = "PlacementGroupReady";

/** The selector as Karpenter names it in messages: the name, else the id. */
export function selectorName(sel: PlacementGroupSelector | undefined): string {
  return sel?.name || sel?.id || "";
}

export function describePlacementGroupsInput(sel: PlacementGroupSelector): {
  Filters: Array<{ Name: string; Values: string[] }>;
  GroupIds?: string[];
  GroupNames?: string[];
} {
  const input: ReturnType<typeof describePlacementGroupsInput> = {
    Filters: [{ Name: "state", Values: ["available"] }],
  };
  if (sel.id) input.GroupIds = [sel.id];
  else if (sel.name) input.GroupNames = [sel.name];
  return input;
}

export function placementGroupFromEC2(pg: EC2PlacementGroup): PlacementGroup {
  return {
    id: pg.GroupId ?? "",
    name: pg.GroupName ?? "",
    strategy: String(pg.Strategy ?? "") as PlacementStrategy,
    partitionCount: pg.PartitionCount ?? 0,
    ...(pg.SpreadLevel ? { spreadLevel: String(pg.SpreadLevel) } : {}),
  };
}

export class PlacementGroupProvider {
  /** Lookups done within the last minute (value: found or not). */
  private readonly lookups: TtlCache<{ found: boolean }>;
  private readonly known: TtlCache<PlacementGroup>;
  constructor(
    private readonly ec2: Pick<EC2Client, "send">,
    private readonly now: Now = Date.now,
  ) {
    this.lookups = new TtlCache(TTL.default, now);
    this.known = new TtlCache(PLACEMENT_GROUP_AVAILABILITY_TTL_MS, now);
  }

  async resolve(sel: PlacementGroupSelector | undefined): Promise<PlacementGroupResolution> {
    if (!sel || (!sel.id && !sel.name)) return {};
    const key = JSON.stringify([sel.id ?? "", sel.name ?? ""]);
    const hit = this.lookups.get(key);
    if (hit) return hit.found ? { group: this.known.get(key) } : {};
    let out;
    try {
      out = await this.ec2.send(new DescribePlacementGroupsCommand(describePlacementGroupsInput(sel)));
    } catch (e) {
      // EC2 answers an unknown id / name with an error rather than an empty list: that is "not found".
      const name = (e as { name?: string }).name ?? "";
      if (/NotFound|Unknown/.test(name)) {
        this.lookups.set(key, { found: false });
        this.known.delete(key);
        return {};
      }
      return { group: this.known.get(key), error: `describing placement groups, ${(e as Error).message ?? e}` };
    }
    const first = out.PlacementGroups?.[0];
    if (first) this.known.set(key, placementGroupFromEC2(first));
    else this.known.delete(key);
    this.lookups.set(key, { found: !!first });
    return first ? { group: this.known.get(key) } : {};
  }

  invalidate(): void {
    this.lookups.clear();
  }
}

/** Karpenter's PlacementGroupReconciler: True without a selector or once resolved; False naming the selector. */
export function placementGroupCondition(
  sel: PlacementGroupSelector | undefined,
  r: PlacementGroupResolution,
): { type: string; ok: boolean; reason: string; message: string } {
  const type = PLACEMENT_GROUP_READY;
  if (r.error)
    return {
      type,
      ok: false,
      reason: "PlacementGroupResolutionFailed",
      message: `Failed to resolve placement group "${selectorName(sel)}": ${r.error}`,
    };
  if (!r.group && selectorName(sel))
    return {
      type,
      ok: false,
      reason: "PlacementGroupNotFound",
      message: `Placement group "${selectorName(sel)}" not found`,
    };
  return { type, ok: true, reason: type, message: "" };
}

/**
 * The partition a launch targets (Karpenter's launch template resolution): the lowest value of the NodeClaim's
 * placement-group-partition requirement (sorted as strings, as Karpenter does), else none (EC2 picks).
 */
export function targetedPartition(
  requirements: Array<{ key: string; operator: string; values?: string[] }>,
  key: string,
): number | undefined {
  const r = requirements.find((q) => q.key === key && q.operator === "In" && q.values?.length);
  if (!r) return undefined;
  const n = Number.parseInt([...r.values!].sort()[0]!, 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
