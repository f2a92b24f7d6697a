// Subnet discovery for EC2NodeClass subnetSelectorTerms (ORed terms, ANDed fields, "*" tag wildcard).
import { DescribeSubnetsCommand, EC2Client, Subnet } from "@aws-sdk/client-ec2";
import type { SelectorTerm } from "./nodeClass";
import { subnetFilters } from "./selectors";
import { TtlCache, TTL, Now } from "./ttlCache";

export interface ResolvedSubnet {
  id: string;
  zone: string;
  zoneID: string;
  availableIPs: number;
  tags: Record<string, string>;
}

export class SubnetProvider {
  private readonly cache: TtlCache<ResolvedSubnet[]>;
  constructor(
    private readonly ec2: EC2Client,
    now: Now = Date.now,
  ) {
    this.cache = new TtlCache(TTL.default, now);
  }

  /** Every subnet any term selects, deduplicated, sorted by zone then id. */
  list(terms: SelectorTerm[]): Promise<ResolvedSubnet[]> {
    return this.cache.getOrLoad(JSON.stringify(terms), async () => {
      const seen = new Map<string, ResolvedSubnet>();
      for (const term of terms) {
        let token: string | undefined;
        do {
          const out = await this.ec2.send(
            new DescribeSubnetsCommand({ Filters: subnetFilters(term), NextToken: token }),
          );
          for (const s of out.Subnets ?? []) if (s.SubnetId) seen.set(s.SubnetId, toResolved(s));
          token = out.NextToken;
        } while (token);
      }
      return [...seen.values()].sort((a, b) => a.zone.localeCompare(b.zone) || a.id.localeCompare(b.id));
    });
  }

  invalidate(): void {
    this.cache.clear();
  }
}

function toResolved(s: Subnet): ResolvedSubnet {
  return {
    id: s.SubnetId!,
    zone: s.AvailabilityZone ?? "",
    zoneID: s.AvailabilityZoneId ?? "",
    availableIPs: s.AvailableIpAddressCount ?? 0,
    tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
  };
}

/** One subnet per zone, the one with the most free addresses (Karpenter's choice), ties by id. */
export function subnetPerZone(
  subnets: Array<{ id: string; zone: string; zoneID?: string; availableIPs?: number }>,
): Array<{ id: string; zone: string; zoneID?: string }> {
  const best = new Map<string, { id: string; zone: string; zoneID?: string; availableIPs?: number }>();
  for (const s of subnets) {
    const cur = best.get(s.zone);
    if (
      !cur ||
      (s.availableIPs ?? 0) > (cur.availableIPs ?? 0) ||
      ((s.availableIPs ?? 0) === (cur.availableIPs ?? 0) && s.id < cur.id)
    )
      best.set(s.zone, s);
  }
  return [...best.values()]
    .sort((a, b) => a.zone.localeCompare(b.zone))
    .map((s) => ({ id: s.id, zone: s.zone, zoneID: s.zoneID }));
}
