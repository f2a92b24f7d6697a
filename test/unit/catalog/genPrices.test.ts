// scripts/gen-prices.ts: the embedded per-region on-demand table from public price data (AWS's bulk offer file or
// saved GetProducts answers), with the runtime refresh's filters.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, pricesFor, writeTable } from "../../../scripts/gen-prices";
import { onDemandPrices } from "../../../src/cloudprovider/aws/catalog";
import { priceDocument, FakeProduct } from "../cloudprovider/fakePricingApi";

const dir = mkdtempSync(join(tmpdir(), "gen-prices-"));
const products: FakeProduct[] = [
  { instanceType: "m5.large", price: 0.107, region: "eu-west-1" },
  { instanceType: "m5.metal", price: 5.136, region: "eu-west-1" },
  { instanceType: "m5.large", price: 0.2, region: "eu-west-1", operatingSystem: "Windows" },
  { instanceType: "m5.large", price: 0.3, region: "eu-west-1", capacitystatus: "AllocatedCapacityReservation" },
  { instanceType: "c5.large", price: 0.096, region: "eu-west-1", tenancy: "Dedicated" },
];

function offerFile(ps: FakeProduct[]) {
  const docs = ps.map(priceDocument) as Array<{ product: { sku: string }; terms: { OnDemand: Record<string, unknown> } }>;
  return {
    formatVersion: "v1.0", offerCode: "AmazonEC2",
    products: Object.fromEntries(docs.map((d) => [d.product.sku, d.product])),
    terms: { OnDemand: Object.fromEntries(docs.map((d) => [d.product.sku, d.terms.OnDemand])) },
  };
}

describe("gen-prices", () => {
  test("a bulk offer file: Linux shared-tenancy and bare-metal on-demand prices only", async () => {
    const f = join(dir, "index.json");
    writeFileSync(f, JSON.stringify(offerFile(products)));
    const out = await pricesFor(parseArgs(["--offer-file", f, "--region", "eu-west-1"]));
    expect(out).toEqual({ "eu-west-1": { "m5.large": 0.107, "m5.metal": 5.136 } });
  });

  test("saved GetProducts pages (one file per page, or an array of pages)", async () => {
    const docs = products.slice(0, 2).map((p) => JSON.stringify(priceDocument(p)));
    writeFileSync(join(dir, "p1.json"), JSON.stringify({ FormatVersion: "aws_v1", PriceList: [docs[0]], NextToken: "x" }));
    writeFileSync(join(dir, "p2.json"), JSON.stringify([{ FormatVersion: "aws_v1", PriceList: [docs[1]] }]));
    const out = await pricesFor(parseArgs(["--get-products", join(dir, "p1.json"), join(dir, "p2.json"), "--region", "eu-west-1"]));
    expect(out["eu-west-1"]).toEqual({ "m5.large": 0.107, "m5.metal": 5.136 });
  });

  test("regenerating us-east-1 from GetProducts answers reproduces the embedded table", async () => {
    const embedded = onDemandPrices("us-east-1").prices;
    const pages = [{ PriceList: Object.entries(embedded).map(([t, price]) => JSON.stringify(priceDocument({ instanceType: t, price }))) }];
    writeFileSync(join(dir, "use1.json"), JSON.stringify(pages));
    const out = await pricesFor(parseArgs(["--get-products", join(dir, "use1.json"), "--region", "us-east-1"]));
    expect(out["us-east-1"]).toEqual(embedded);
  });

  test("writes the region into the catalog file, keeping the other regions", () => {
    const f = join(dir, "catalog.json");
    writeFileSync(f, JSON.stringify({ source: "x", regions: { "us-east-1": { "m5.large": 0.096 } }, zones: {}, types: [] }));
    expect(writeTable(f, { "eu-west-1": { "m5.metal": 5.136, "m5.large": 0.107 } })).toBe("eu-west-1: 2 instance types");
    const c = JSON.parse(readFileSync(f, "utf8"));
    expect(c.regions).toEqual({ "eu-west-1": { "m5.large": 0.107, "m5.metal": 5.136 }, "us-east-1": { "m5.large": 0.096 } });
    expect(Object.keys(c.regions["eu-west-1"])).toEqual(["m5.large", "m5.metal"]);
  });

  test("bad arguments name the fix", async () => {
    expect(() => parseArgs(["--region", "eu-west-1"])).toThrow(/exactly one of --offer-file, --get-products or --api/);
    expect(() => parseArgs(["--api"])).toThrow(/--region is required/);
    expect(() => parseArgs(["--offer-file", "f", "--region", "a-1,b-2"])).toThrow(/one --region/);
    const f = join(dir, "empty.json");
    writeFileSync(f, JSON.stringify(offerFile([])));
    await expect(pricesFor(parseArgs(["--offer-file", f, "--region", "eu-west-1"]))).rejects.toThrow(/no Linux on-demand instance prices found for eu-west-1/);
  });
});
