// Where on-demand prices come from, and how a fallback is made visible. Karpenter asks the Pricing API and falls
// back to its compiled-in per-region tables; capsicum embeds a us-east-1 table only (scripts/gen-catalog.ts) and
// does not call the Pricing API (the sandbox's emulator does not serve it either). A region the table lacks is
// priced with us-east-1's prices: consolidation still compares like with like, but absolute $/h are off by the
// region's premium. That substitute is never silent: a warn log, a Warning Event (PriceFallback) and an
// EC2NodeClass condition PricesResolved=False say so; Ready is not affected (launching still works).
import { onDemandPrices } from "./catalog";

export const PRICES_CONDITION = "PricesResolved";
export const PRICE_FALLBACK_REASON = "StaticPriceFallback";
export const PRICE_FALLBACK_EVENT = "PriceFallback";

export interface PricingState {
  region: string;
  /** "embedded": the region's own table; "fallback": another region's table stands in. */
  source: "embedded" | "fallback";
  fallbackFrom?: string;
  /** Why the prices are a substitute (undefined when they are the region's own). */
  message?: string;
}

export function pricingState(region: string): PricingState {
  const { fallbackFrom } = onDemandPrices(region);
  if (!fallbackFrom) return { region, source: "embedded" };
  return {
    region,
    source: "fallback",
    fallbackFrom,
    message:
      `no on-demand price table for region ${region}: using ${fallbackFrom} prices (plans may not be cheapest; ` +
      `absolute $/h differ by the region's premium). The Pricing API is not queried`,
  };
}

/** The PricesResolved condition part for an EC2NodeClass status (informational: Ready does not depend on it). */
export function pricesCondition(state: PricingState): { type: string; ok: boolean; reason: string; message: string } {
  return state.message
    ? { type: PRICES_CONDITION, ok: false, reason: PRICE_FALLBACK_REASON, message: state.message }
    : { type: PRICES_CONDITION, ok: true, reason: PRICES_CONDITION, message: "" };
}
