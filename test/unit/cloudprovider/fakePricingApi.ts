// A Pricing API that answers GetProducts as AWS does: products (one JSON string each) filtered by every TERM_MATCH
// filter on their attributes, paged by MaxResults with a NextToken. `fail` makes every call throw.
import { matchesFilters, PriceFilter } from "../../../src/cloudprovider/aws/priceList";

export interface FakeProduct {
  instanceType: string;
  price: number;
  region?: string;
  tenancy?: string;
  productFamily?: string;
  operatingSystem?: string;
  capacitystatus?: string;
  currency?: string;
}

export function priceDocument(p: FakeProduct): Record<string, unknown> {
  const sku = `SKU${p.instanceType}${p.operatingSystem ?? ""}${p.tenancy ?? ""}${p.capacitystatus ?? ""}`;
  const family = p.productFamily ?? (p.instanceType.endsWith(".metal") ? "Compute Instance (bare metal)" : "Compute Instance");
  return {
    product: {
      productFamily: family,
      sku,
      attributes: {
        instanceType: p.instanceType,
        regionCode: p.region ?? "us-east-1",
        servicecode: "AmazonEC2",
        operatingSystem: p.operatingSystem ?? "Linux",
        preInstalledSw: "NA",
        capacitystatus: p.capacitystatus ?? "Used",
        marketoption: "OnDemand",
        tenancy: p.tenancy ?? (family.includes("bare metal") ? "Dedicated" : "Shared"),
        productFamily: family,
      },
    },
    serviceCode: "AmazonEC2",
    terms: {
      OnDemand: {
        [`${sku}.JRTCKXETXF`]: {
          sku,
          offerTermCode: "JRTCKXETXF",
          priceDimensions: {
            [`${sku}.JRTCKXETXF.6YS6EN2CT7`]: {
              unit: "Hrs",
              pricePerUnit: { [p.currency ?? "USD"]: p.price.toFixed(10) },
            },
          },
        },
      },
    },
  };
}

export class FakePricingApi {
  calls: Array<{ filters: PriceFilter[]; token?: string }> = [];
  fail?: Error;
  constructor(public products: FakeProduct[]) {}
  async send(cmd: { input: { Filters?: Array<{ Field?: string; Type?: string; Value?: string }>; NextToken?: string; MaxResults?: number } }) {
    const filters = (cmd.input.Filters ?? []) as PriceFilter[];
    this.calls.push({ filters, token: cmd.input.NextToken });
    if (this.fail) throw this.fail;
    const docs = this.products.map(priceDocument).filter((d) => matchesFilters(d.product as never, filters));
    const start = Number(cmd.input.NextToken ?? 0);
    const size = cmd.input.MaxResults ?? 100;
    const page = docs.slice(start, start + size).map((d) => JSON.stringify(d));
    return { PriceList: page, NextToken: start + size < docs.length ? String(start + size) : undefined };
  }
}
