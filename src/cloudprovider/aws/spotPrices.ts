// Spot prices from DescribeSpotPriceHistory when the answer looks like a real market, else none (the catalog
// then estimates spot as a fraction of on-demand). Emulators answer a constant price (moto: 0.00001 for every
// offering, dated 2006), which would make every spot offering look free: such data is detected and ignored.
import { DescribeSpotPriceHistoryCommand, EC2Client, SpotPrice } from "@aws-sdk/client-ec2";
import type { Logger } from "pino";
import { TtlCache, Now } from "./ttlCache";

export const SPOT_PRICE_TTL_MS = 15 * 60_000;

export interface SpotPriceAssessment {
  prices: Map<string, number>;
  ignoredReason?: string;
}

/** Latest price per "type/zone", or a reason the history cannot be trusted. */
export function assessSpotPrices(history: SpotPrice[], now: number): SpotPriceAssessment {
  const latest = new Map<string, { price: number; at: number }>();
  for (const p of history) {
    if (!p.InstanceType || !p.AvailabilityZone || p.SpotPrice === undefined) continue;
    const price = Number(p.SpotPrice);
    if (!Number.isFinite(price)) continue;
    const at = p.Timestamp ? new Date(p.Timestamp).getTime() : 0;
    const key = `${p.InstanceType}/${p.AvailabilityZone}`;
    const cur = latest.get(key);
    if (!cur || at > cur.at) latest.set(key, { price, at });
  }
  const prices = new Map([...latest].map(([k, v]) => [k, v.price]));
  if (prices.size === 0) return { prices, ignoredReason: "no spot price history returned" };
  const distinct = new Set(prices.values());
  if (prices.size >= 10 && distinct.size === 1) {
    return {
      prices: new Map(),
      ignoredReason: `all ${prices.size} spot prices are the same value ${[...distinct][0]}, which no real market produces`,
    };
  }
  const tiny = [...prices.values()].filter((v) => v < 0.0005).length;
  if (tiny > prices.size / 2)
    return { prices: new Map(), ignoredReason: `${tiny} of ${prices.size} spot prices are below $0.0005/h` };
  const newest = Math.max(...[...latest.values()].map((v) => v.at));
  if (newest < now - 365 * 24 * 3600_000)
    return {
      prices: new Map(),
      ignoredReason: `newest spot price is from ${new Date(newest).toISOString()}, over a year old`,
    };
  return { prices };
}

export class SpotPriceProvider {
  private readonly cache: TtlCache<Map<string, number>>;
  private warned = false;
  constructor(
    private readonly ec2: EC2Client,
    private readonly log: Logger,
    private readonly now: Now = Date.now,
  ) {
    this.cache = new TtlCache(SPOT_PRICE_TTL_MS, now);
  }

  /** Real spot prices ("type/zone" -> $/h), empty when unavailable or untrustworthy. Never throws. */
  prices(): Promise<Map<string, number>> {
    return this.cache.getOrLoad("all", async () => {
      try {
        const history: SpotPrice[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const out = await this.ec2.send(
            new DescribeSpotPriceHistoryCommand({
              ProductDescriptions: ["Linux/UNIX", "Linux/UNIX (Amazon VPC)"],
              StartTime: new Date(this.now()),
              NextToken: token,
            }),
          );
          history.push(...(out.SpotPriceHistory ?? []));
          token = out.NextToken || undefined;
        } while (token && ++pages < 100);
        const a = assessSpotPrices(history, this.now());
        if (a.ignoredReason && !this.warned) {
          this.warned = true;
          this.log.warn(
            { reason: a.ignoredReason },
            "ignoring spot price history, using on-demand-based spot estimates",
          );
        }
        return a.prices;
      } catch (e) {
        this.log.warn(
          { error: (e as Error).message },
          "failed to get spot prices, using on-demand-based spot estimates",
        );
        return new Map();
      }
    });
  }
}
