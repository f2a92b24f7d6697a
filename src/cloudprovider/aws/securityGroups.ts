// Security-group discovery for EC2NodeClass securityGroupSelectorTerms (tags with "*", id, name).
import { DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { SelectorTerm } from "./nodeClass";
import { securityGroupFilters } from "./selectors";
import { TtlCache, TTL, Now } from "./ttlCache";

export interface ResolvedSecurityGroup {
  id: string;
  name: string;
}

export class SecurityGroupProvider {
  private readonly cache: TtlCache<ResolvedSecurityGroup[]>;
  constructor(
    private readonly ec2: EC2Client,
    now: Now = Date.now,
  ) {
    this.cache = new TtlCache(TTL.default, now);
  }

  list(terms: SelectorTerm[]): Promise<ResolvedSecurityGroup[]> {
    return this.cache.getOrLoad(JSON.stringify(terms), async () => {
      const seen = new Map<string, ResolvedSecurityGroup>();
      for (const term of terms) {
        let token: string | undefined;
        do {
          const out = await this.ec2.send(
            new DescribeSecurityGroupsCommand({ Filters: securityGroupFilters(term), NextToken: token }),
          );
          for (const g of out.SecurityGroups ?? [])
            if (g.GroupId) seen.set(g.GroupId, { id: g.GroupId, name: g.GroupName ?? "" });
          token = out.NextToken;
        } while (token);
      }
      return [...seen.values()].sort((a, b) => a.id.localeCompare(b.id));
    });
  }

  invalidate(): void {
    this.cache.clear();
  }
}
