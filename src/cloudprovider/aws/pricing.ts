// Where on-demand prices come from, and how a substitute is made visible. As Karpenter: the Pricing API
// (onDemandPricing.ts) refreshes the embedded per-region table (scripts/gen-prices.ts); a region the table lacks
// starts from us-east-1's prices. Whenever the prices are not the Pricing API's (it failed, has not answered yet,
// or is not available), a warn log, a Warning Event (PriceFallback) and the EC2NodeClass condition
// PricesResolved=False say so; Ready is not affected (launching still works).
import { onDemandPrices } from "./catalog";
import { PRICES_CONDITION, PRICE_FALLBACK_REASON } from "../types";

export { PRICES_CONDITION, PRICE_FALLBACK_REASON };
export const PRICE_FALLBACK_EVENT = "PriceFallback";

export interface PricingState {
  region: string;
  /** "api": the Pricing API answered; "embedded": the region's own table; "fallback": another region's table. */
  source: "api" | "embedded" | "fallback";
  /** The region whose embedded table the prices started from, when not the region's own. */
  fallbackFrom?: string;
  /** When the Pricing API last answered (source "api"). */
  updatedAt?: string;
  /** ISOLATED_VPC: the embedded table by configuration (PricesResolved True, reason IsolatedVPC). */
  isolated?: boolean;
  /** Why the prices are a substitute (undefined when they are the Pricing API's, or for an offline plan's own table). */
  message?: string;
}

/** The embedded table alone, as `capsicum plan` prices offline (no Pricing API is asked). */
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

/** PricesResolved while the Pricing API's first answer is awaited: Unknown, not announced as a fallback. */
export const PRICES_PENDING = {
  type: PRICES_CONDITION,
  ok: false,
  unknown: true,
  reason: "AwaitingPricingAPI",
  message: "waiting for the Pricing API's first answer; the embedded price table is used until then",
};

/** The PricesResolved condition part for an EC2NodeClass status (informational: Ready does not depend on it). */
export function pricesCondition(state: PricingState): { type: string; ok: boolean; reason: string; message: string } {
  if (state.message)
    return { type: PRICES_CONDITION, ok: false, reason: PRICE_FALLBACK_REASON, message: state.message };
  if (state.isolated)
    return {
      type: PRICES_CONDITION,
      ok: true,
      reason: "IsolatedVPC",
      message: `ISOLATED_VPC=true: on-demand prices for ${state.region} are the embedded table; the Pricing API is not asked`,
    };
  return { type: PRICES_CONDITION, ok: true, reason: PRICES_CONDITION, message: "" };
}
