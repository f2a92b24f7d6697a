// On-demand prices refreshed from the AWS Pricing API (pricing:GetProducts), as Karpenter's pricing provider and
// pricing controller do: the embedded per-region table is the starting point, two filtered queries (shared
// tenancy, bare metal) replace its entries every 12 h, a failed refresh keeps what was known and is retried with
// a growing delay. While the prices are still the embedded table (the API failed, was not reached yet, or is not
// available: GovCloud), PricesResolved=False says so (pricing.ts); nothing falls back silently.
import { GetProductsCommand } from "@aws-sdk/client-pricing";
import type { Logger } from "pino";
import { onDemandPrices } from "./catalog";
import { currencyFor, onDemandFilterSets, pricesFromPriceList } from "./priceList";
import type { PricingState } from "./pricing";
import type { Now } from "./ttlCache";

/** Karpenter's pricing controller requeues every 12 hours after a successful refresh. */
export const PRICING_REFRESH_MS = 12 * 3600_000;
/** First retry after a failed refresh; doubles per failure up to PRICING_RETRY_MAX_MS. */
export const PRICING_RETRY_MIN_MS = 30_000;
export const PRICING_RETRY_MAX_MS = 30 * 60_000;
const MAX_PAGES = 500;

/** The region whose Pricing API endpoint a cluster region uses (Karpenter v1.14's NewAPI). */
export function pricingApiRegion(region: string): string {
  if (region.startsWith("ap-")) return "ap-south-1";
  if (region.startsWith("cn-")) return "cn-northwest-1";
  if (region.startsWith("eu-")) return "eu-central-1";
  return "us-east-1";
}

export interface PricingApi {
  send(cmd: GetProductsCommand): Promise<{ PriceList?: unknown[]; NextToken?: string }>;
}

/** Every page of one filtered GetProducts query -> instance type -> $/h. */
export async function fetchOnDemandPrices(
  api: PricingApi,
  region: string,
  filters: ReturnType<typeof onDemandFilterSets>[number],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await api.send(
      new GetProductsCommand({ ServiceCode: "AmazonEC2", Filters: filters, MaxResults: 100, NextToken: token }),
    );
    Object.assign(out, pricesFromPriceList(page.PriceList ?? [], currencyFor(region)));
    token = page.NextToken || undefined;
  } while (token && ++pages < MAX_PAGES);
  return out;
}

export class OnDemandPricingProvider {
  private table: Record<string, number>;
  private readonly fallbackFrom?: string;
  private updatedAt?: number;
  private lastError?: string;
  private failures = 0;
  private nextAttempt = 0;
  private inFlight?: Promise<void>;
  /** Bumped whenever the table changes, so catalogs built from an older table are rebuilt. */
  version = 0;

  constructor(
    private readonly api: PricingApi | undefined,
    readonly region: string,
    private readonly log: Logger,
    private readonly now: Now = Date.now,
    /** ISOLATED_VPC: the Pricing API is never asked; the embedded table is the chosen source, not a fallback. */
    private readonly isolatedVpc = false,
  ) {
    const embedded = onDemandPrices(region);
    this.table = { ...embedded.prices };
    this.fallbackFrom = embedded.fallbackFrom;
  }

  /** Why the API is not asked at all (undefined when it is). */
  private notQueried(): string | undefined {
    if (this.isolatedVpc) return "ISOLATED_VPC=true: the Pricing API is not asked";
    if (this.region.startsWith("us-gov")) return "the Pricing API is not available in AWS GovCloud regions";
    if (!this.api) return "no Pricing API client is configured";
    return undefined;
  }

  private warned?: string;

  /** The current table (instance type -> $/h); starts a refresh when one is due; a substitute is logged once. */
  prices(): Record<string, number> {
    void this.refreshIfDue();
    const { message, isolated } = this.state();
    if (isolated && !this.warned) {
      this.warned = "isolated";
      this.log.info(
        { region: this.region },
        "running in an isolated VPC, on-demand pricing information will not be updated",
      );
    }
    if (message && message !== this.warned) this.log.warn({ region: this.region }, message);
    if (message) this.warned = message;
    return this.table;
  }

  /**
   * True while the first Pricing API answer is still awaited (nothing answered or failed yet): the embedded table
   * prices meanwhile, and PricesResolved is Unknown rather than a fallback (as Karpenter, nothing waits for it).
   */
  awaitingFirstAnswer(): boolean {
    void this.refreshIfDue();
    return this.updatedAt === undefined && this.lastError === undefined && this.inFlight !== undefined;
  }

  /** Starts a refresh if none is running and the cadence (12 h, or the retry delay after a failure) says so. */
  refreshIfDue(): Promise<void> | undefined {
    if (this.notQueried() || this.inFlight || this.now() < this.nextAttempt) return this.inFlight;
    this.inFlight = this.refresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async refresh(): Promise<void> {
    const apiRegion = pricingApiRegion(this.region);
    try {
      const [shared, metal] = await Promise.all(
        onDemandFilterSets(this.region).map((f) => fetchOnDemandPrices(this.api!, this.region, f)),
      );
      if (!Object.keys(shared!).length || !Object.keys(metal!).length)
        throw new Error(`no on-demand pricing found for ${this.region}`);
      // As Karpenter: entries the API did not answer keep their previous (possibly embedded) price.
      this.table = { ...this.table, ...shared, ...metal };
      this.version++;
      this.updatedAt = this.now();
      this.lastError = undefined;
      this.failures = 0;
      this.nextAttempt = this.now() + PRICING_REFRESH_MS;
      this.log.info(
        { region: this.region, pricingApiRegion: apiRegion, instanceTypes: Object.keys(this.table).length },
        "updated on-demand pricing from the Pricing API",
      );
    } catch (e) {
      const delay = Math.min(PRICING_RETRY_MAX_MS, PRICING_RETRY_MIN_MS * 2 ** this.failures++);
      this.nextAttempt = this.now() + delay;
      this.lastError = `pricing:GetProducts (Pricing API in ${apiRegion}) failed: ${(e as Error).message ?? e}`;
      this.log.warn(
        { region: this.region, error: this.lastError, retryInSeconds: Math.round(delay / 1000) },
        this.updatedAt ? "on-demand price refresh failed, keeping the last prices" : "on-demand price refresh failed",
      );
    }
  }

  /** Where the prices come from now, and (when they are a substitute) why, for PricesResolved and `plan`. */
  state(): PricingState {
    const base = { region: this.region, ...(this.fallbackFrom ? { fallbackFrom: this.fallbackFrom } : {}) };
    if (this.updatedAt !== undefined)
      return { ...base, source: "api", updatedAt: new Date(this.updatedAt).toISOString() };
    // As Karpenter: in an isolated VPC the embedded prices are the configured source, not a failure; only another
    // region's table standing in is still a fallback.
    if (this.isolatedVpc && !this.fallbackFrom) return { ...base, source: "embedded", isolated: true };
    const why =
      this.notQueried() ?? this.lastError ?? `the Pricing API (${pricingApiRegion(this.region)}) has not answered yet`;
    const message = this.fallbackFrom
      ? `no on-demand price table for region ${this.region}: using ${this.fallbackFrom} prices (plans may not be ` +
        `cheapest; absolute $/h differ by the region's premium); ${why}`
      : `on-demand prices for ${this.region} are the embedded table, not the Pricing API: ${why}`;
    return { ...base, source: this.fallbackFrom ? "fallback" : "embedded", message };
  }
}
