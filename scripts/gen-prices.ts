// Generates the embedded per-region on-demand price table (src/cloudprovider/aws/catalog/data/catalog.json,
// `regions`), as Karpenter generates zz_generated.pricing_aws.go: the starting prices the Pricing API refresh
// replaces, and the only prices where the API cannot be reached. Sources, public price data only:
//   --offer-file F --region R      AWS's bulk offer file for R (offers/v1.0/aws/AmazonEC2/current/R/index.json)
//   --get-products F... --region R saved GetProducts answers (`aws pricing get-products --service-code AmazonEC2
//                                  --filters ... --output json`, one file per page, or a JSON array of pages)
//   --api --region R[,R...]        ask the Pricing API now (AWS credentials; AWS_ENDPOINT_URL reaches the sandbox's)
// The same Linux on-demand filters as the runtime refresh apply (src/cloudprovider/aws/priceList.ts). Other
// regions in the table are kept; --out writes another file. Only us-east-1's price data is on the build machine.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PricingClient } from "@aws-sdk/client-pricing";
import {
  currencyFor,
  onDemandFilterSets,
  pricesFromOfferFile,
  pricesFromPriceList,
} from "../src/cloudprovider/aws/priceList";
import { fetchOnDemandPrices, pricingApiRegion } from "../src/cloudprovider/aws/onDemandPricing";

const CATALOG = join(__dirname, "../src/cloudprovider/aws/catalog/data/catalog.json");

export interface GenArgs {
  regions: string[];
  offerFile?: string;
  getProducts?: string[];
  api?: boolean;
  out?: string;
}

export function parseArgs(argv: string[]): GenArgs {
  const a: GenArgs = { regions: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === "--region") a.regions.push(...next().split(",").filter(Boolean));
    else if (k === "--offer-file") a.offerFile = next();
    else if (k === "--get-products") {
      a.getProducts = [];
      while (argv[i + 1] && !argv[i + 1]!.startsWith("--")) a.getProducts.push(argv[++i]!);
      if (!a.getProducts.length) throw new Error("--get-products needs at least one file");
    } else if (k === "--api") a.api = true;
    else if (k === "--out") a.out = next();
    else throw new Error(`unknown argument ${k}`);
  }
  const sources = [a.offerFile, a.getProducts, a.api].filter(Boolean).length;
  if (sources !== 1) throw new Error("give exactly one of --offer-file, --get-products or --api");
  if (!a.regions.length) throw new Error("--region is required (e.g. --region us-east-1)");
  if (!a.api && a.regions.length > 1) throw new Error("a file holds one region's prices: give one --region");
  return a;
}

/** Instance type -> $/h for each requested region, from the chosen source. */
export async function pricesFor(a: GenArgs): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const region of a.regions) {
    if (a.offerFile) out[region] = pricesFromOfferFile(JSON.parse(readFileSync(a.offerFile, "utf8")), region);
    else if (a.getProducts) {
      const prices: Record<string, number> = {};
      for (const f of a.getProducts) {
        const doc = JSON.parse(readFileSync(f, "utf8"));
        for (const page of Array.isArray(doc) ? doc : [doc])
          Object.assign(prices, pricesFromPriceList(page.PriceList ?? [], currencyFor(region)));
      }
      out[region] = prices;
    } else {
      const client = new PricingClient({ region: pricingApiRegion(region) });
      const prices: Record<string, number> = {};
      for (const filters of onDemandFilterSets(region))
        Object.assign(prices, await fetchOnDemandPrices(client, region, filters));
      out[region] = prices;
    }
    if (!Object.keys(out[region]!).length) throw new Error(`no Linux on-demand instance prices found for ${region}`);
  }
  return out;
}

/** Writes the regions into the catalog file (sorted, other regions kept) and returns a summary line. */
export function writeTable(file: string, prices: Record<string, Record<string, number>>): string {
  const catalog = JSON.parse(readFileSync(file, "utf8"));
  catalog.regions ??= {};
  for (const [region, p] of Object.entries(prices))
    catalog.regions[region] = Object.fromEntries(Object.entries(p).sort(([x], [y]) => x.localeCompare(y)));
  catalog.regions = Object.fromEntries(Object.entries(catalog.regions).sort(([x], [y]) => x.localeCompare(y)));
  writeFileSync(file, JSON.stringify(catalog));
  return Object.entries(prices)
    .map(([r, p]) => `${r}: ${Object.keys(p).length} instance types`)
    .join(", ");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const file = args.out ?? CATALOG;
  console.log(`wrote ${writeTable(file, await pricesFor(args))} to ${file}`);
}

if (require.main === module)
  main().catch((e) => {
    console.error(`gen-prices: ${(e as Error).message}`);
    process.exit(1);
  });
