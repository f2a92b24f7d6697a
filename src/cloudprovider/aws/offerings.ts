// Which instance types each availability zone of the region offers, live from DescribeInstanceTypeOfferings
// (LocationType availability-zone), cached for Karpenter's 5m offering TTL. When EC2 cannot be asked the embedded
// snapshot is used instead, and that is said once as a warning: never a silent substitute.
import { DescribeInstanceTypeOfferingsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { Logger } from "pino";
import { TtlCache, TTL, Now } from "./ttlCache";

/** type -> zones offering it (sorted); undefined when EC2 could not be asked. */
export type ZoneOfferings = Map<string, string[]>;

export class OfferingsProvider {
  private readonly cache: TtlCache<ZoneOfferings | undefined>;
  private failedOnce = false;
  constructor(
    private readonly ec2: Pick<EC2Client, "send">,
    private readonly log: Logger,
    now: Now = Date.now,
  ) {
    this.cache = new TtlCache(TTL.instanceTypes, now);
  }

  /** Live type -> zones for the client's region; undefined (and a warning) when the call fails. */
  get(): Promise<ZoneOfferings | undefined> {
    return this.cache.getOrLoad("az", async () => {
      try {
        const zones = new Map<string, Set<string>>();
        let token: string | undefined;
        let pages = 0;
        do {
          const out = await this.ec2.send(
            new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone", NextToken: token }),
          );
          for (const o of out.InstanceTypeOfferings ?? []) {
            if (!o.InstanceType || !o.Location) continue;
            const set = zones.get(o.InstanceType) ?? new Set<string>();
            set.add(o.Location);
            zones.set(o.InstanceType, set);
          }
          token = out.NextToken || undefined;
        } while (token && ++pages < 1000);
        this.failedOnce = false;
        return new Map([...zones].map(([t, z]) => [t, [...z].sort()]));
      } catch (e) {
        if (!this.failedOnce)
          this.log.warn(
            { error: (e as Error).message },
            "failed to describe instance type offerings, using the embedded offerings snapshot",
          );
        this.failedOnce = true;
        return undefined;
      }
    });
  }
}
