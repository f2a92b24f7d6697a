// AWS price-list documents -> an on-demand $/h table, as Karpenter's pricing provider reads them. Two inputs hold
// the same products: the Pricing API's GetProducts pages (one JSON string per product) and AWS's bulk offer file
// (offers/v1.0/aws/AmazonEC2/current/<region>/index.json: products and terms keyed by SKU). The runtime refresh
// (onDemandPricing.ts) and scripts/gen-prices.ts, which writes the embedded table, both use this file.

/** One TERM_MATCH filter as GetProducts takes it. */
export interface PriceFilter {
  Field: string;
  Type: "TERM_MATCH";
  Value: string;
}

const term = (Field: string, Value: string): PriceFilter => ({ Field, Type: "TERM_MATCH", Value });

/**
 * Karpenter's two GetProducts queries for a region: shared-tenancy compute instances, and bare metal (which AWS
 * lists under Dedicated tenancy), both Linux, no pre-installed software, capacity status Used, on-demand.
 */
export function onDemandFilterSets(region: string): PriceFilter[][] {
  const common = [
    term("regionCode", region),
    term("serviceCode", "AmazonEC2"),
    term("preInstalledSw", "NA"),
    term("operatingSystem", "Linux"),
    term("capacitystatus", "Used"),
    term("marketoption", "OnDemand"),
  ];
  return [
    [...common, term("tenancy", "Shared"), term("productFamily", "Compute Instance")],
    [...common, term("tenancy", "Dedicated"), term("productFamily", "Compute Instance (bare metal)")],
  ];
}

/** Prices are in CNY in the China partition, USD elsewhere (as Karpenter reads them). */
export function currencyFor(region: string): string {
  return region.startsWith("cn-") ? "CNY" : "USD";
}

interface PriceDimension {
  pricePerUnit?: Record<string, string>;
}
interface OnDemandTerm {
  priceDimensions?: Record<string, PriceDimension>;
}
interface Product {
  productFamily?: string;
  attributes?: Record<string, string>;
}

/** The non-zero hourly price of a product's on-demand terms in `currency`, or undefined. */
function priceOf(terms: Record<string, OnDemandTerm> | undefined, currency: string): number | undefined {
  let out: number | undefined;
  for (const t of Object.values(terms ?? {}))
    for (const d of Object.values(t.priceDimensions ?? {})) {
      const p = Number(d.pricePerUnit?.[currency]);
      if (Number.isFinite(p) && p > 0) out = p;
    }
  return out;
}

/** True when a product's attributes satisfy every filter (field names and values compared case-insensitively). */
export function matchesFilters(product: Product, filters: PriceFilter[]): boolean {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(product.attributes ?? {})) attrs[k.toLowerCase()] = String(v).toLowerCase();
  if (product.productFamily) attrs.productfamily ??= product.productFamily.toLowerCase();
  return filters.every((f) => attrs[f.Field.toLowerCase()] === f.Value.toLowerCase());
}

/** One GetProducts page's PriceList (JSON strings, or already-parsed documents) -> instance type -> $/h. */
export function pricesFromPriceList(priceList: unknown[], currency: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of priceList) {
    let doc: { product?: Product; terms?: { OnDemand?: Record<string, OnDemandTerm> } };
    try {
      // The SDK hands each record over as a JSON string (a String object): parse; a parsed document passes as is.
      doc = typeof item === "string" || item instanceof String ? JSON.parse(String(item)) : (item as typeof doc);
    } catch {
      continue; // one unreadable record does not spoil the page (Karpenter logs and skips it)
    }
    const type = doc?.product?.attributes?.instanceType;
    if (!type) continue;
    const price = priceOf(doc.terms?.OnDemand, currency);
    if (price !== undefined) out[type] = price;
  }
  return out;
}

/** AWS's bulk offer file for one region -> instance type -> $/h, with the same filters the API queries use. */
export function pricesFromOfferFile(
  offer: { products?: Record<string, Product>; terms?: { OnDemand?: Record<string, Record<string, OnDemandTerm>> } },
  region: string,
): Record<string, number> {
  const currency = currencyFor(region);
  const sets = onDemandFilterSets(region);
  const out: Record<string, number> = {};
  for (const [sku, product] of Object.entries(offer.products ?? {})) {
    const type = product.attributes?.instanceType;
    if (!type) continue;
    // The offer file names the region by `regionCode` (newer files) or only by its location: accept either.
    const p: Product = { ...product, attributes: { regionCode: region, ...product.attributes } };
    if (!sets.some((f) => matchesFilters(p, f))) continue;
    const price = priceOf(offer.terms?.OnDemand?.[sku], currency);
    if (price !== undefined) out[type] = price;
  }
  return out;
}
