// On-demand prices through the real SDK against the sandbox's Pricing API (sandbox/moto_pricing.py): GetProducts
// with Karpenter's filters prices the catalog; when the emulator refuses (AccessDenied, or injected 5xx) the
// embedded table stands in and PricesResolved=False says why.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AwsCloudProvider, EC2NodeClassLike } from "../../../src/cloudprovider/aws";
import { createAwsClients } from "../../../src/cloudprovider/aws/clients";
import { awsEnv, MotoHandle, startMoto } from "../../../sandbox/moto";
import { resolveSettled } from "./resolveSettled";

const table: Record<string, number> = JSON.parse(readFileSync(join(__dirname, "../../../sandbox/data/aws.json"), "utf8")).onDemand["us-east-1"];

function provider(m: MotoHandle): AwsCloudProvider {
  for (const [k, v] of Object.entries(awsEnv(m.endpoint))) if (k !== "AWS_ENDPOINT_URL" && !process.env[k]) process.env[k] = v;
  return new AwsCloudProvider({
    clusterName: m.seed.clusterName, clusterEndpoint: "https://k", clusterCABundle: "Q0E=", serviceCIDR: "10.100.0.0/16",
    kubernetesVersion: "1.34", region: m.region, nodeClassLookup: async () => undefined,
    clients: createAwsClients({ region: m.region, endpoint: m.endpoint, maxAttempts: 1 }),
  });
}

const nodeClass = (m: MotoHandle): EC2NodeClassLike => ({
  metadata: { name: "default", generation: 1 },
  spec: {
    role: `KarpenterNodeRole-${m.seed.clusterName}`,
    amiSelectorTerms: [{ alias: "al2023@latest" }],
    subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": m.seed.clusterName } }],
    securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": m.seed.clusterName } }],
  },
} as unknown as EC2NodeClassLike);

const odPrice = (types: Awaited<ReturnType<AwsCloudProvider["getInstanceTypes"]>>, name: string) =>
  types.find(t => t.name === name)?.offerings.find(o => o.capacityType === "on-demand")?.price;

describe("the sandbox's Pricing API", () => {
  let moto: MotoHandle;
  beforeAll(async () => { moto = await startMoto({ clusterName: "pricing-it", pricingApi: "serve" }); }, 120_000);
  afterAll(async () => { await moto?.stop(); });

  test("GetProducts prices the catalog: PricesResolved=True, on-demand prices from the API's answer", async () => {
    const p = provider(moto);
    const r = await resolveSettled(p, nodeClass(moto));
    expect(r.status.conditions!.find(c => c.type === "PricesResolved")).toMatchObject({ status: "True", message: "" });
    expect(p.pricing()).toMatchObject({ source: "api", region: "us-east-1" });
    const types = await p.getInstanceTypes();
    expect(odPrice(types, "m5.large")).toBe(table["m5.large"]);
    expect(odPrice(types, "m5.metal")).toBe(table["m5.metal"]);
  }, 60_000);

  test("an injected GetProducts outage: the embedded table stands in, visibly", async () => {
    await moto.injectFaults({ serverError: [{ action: "GetProducts", status: 503 }] });
    try {
      const p = provider(moto);
      const r = await resolveSettled(p, nodeClass(moto));
      const c = r.status.conditions!.find(x => x.type === "PricesResolved")!;
      expect(c).toMatchObject({ status: "False", reason: "StaticPriceFallback" });
      expect(c.message).toMatch(/embedded table, not the Pricing API: pricing:GetProducts \(Pricing API in us-east-1\) failed/);
      expect(r.ready).toBe(true);
    } finally {
      await moto.clearFaults();
    }
  }, 60_000);
});

describe("a sandbox whose Pricing API refuses (SANDBOX_PRICING_API=refuse)", () => {
  let moto: MotoHandle;
  beforeAll(async () => { moto = await startMoto({ clusterName: "pricing-refuse-it", pricingApi: "refuse" }); }, 120_000);
  afterAll(async () => { await moto?.stop(); });

  test("AccessDenied: PricesResolved=False naming pricing:GetProducts; launches still priced (embedded table)", async () => {
    const p = provider(moto);
    const r = await resolveSettled(p, nodeClass(moto));
    const c = r.status.conditions!.find(x => x.type === "PricesResolved")!;
    expect(c).toMatchObject({ status: "False", reason: "StaticPriceFallback" });
    expect(c.message).toMatch(/not authorized to perform: pricing:GetProducts/);
    expect(odPrice(await p.getInstanceTypes(), "m5.large")).toBeGreaterThan(0);
  }, 60_000);
});
