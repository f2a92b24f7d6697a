// On-demand prices from the Pricing API, modelled on Karpenter's pricing suite (pkg/providers/pricing/suite_test.go
// and the pricing controller): GetProducts with Karpenter's filters replaces the embedded table, bare metal comes
// from its own query, a failure keeps what was known, the refresh runs every 12 h and a failure is retried.
import {
  OnDemandPricingProvider,
  pricingApiRegion,
  PRICING_REFRESH_MS,
  PRICING_RETRY_MIN_MS,
} from "../../../src/cloudprovider/aws/onDemandPricing";
import { onDemandPrices } from "../../../src/cloudprovider/aws/catalog";
import { pricesCondition } from "../../../src/cloudprovider/aws/pricing";
import { silentLogger } from "../../../src/log";
import { FakePricingApi, FakeProduct } from "./fakePricingApi";

const embedded = onDemandPrices("us-east-1").prices;
const products = (region = "us-east-1"): FakeProduct[] => [
  { instanceType: "m5.large", price: 0.5, region },
  { instanceType: "c5.xlarge", price: 0.7, region },
  { instanceType: "m5.metal", price: 9.5, region },
  // Products the filters must leave out: another OS, reserved-but-unused capacity, another region.
  { instanceType: "m5.large", price: 3.0, region, operatingSystem: "Windows" },
  { instanceType: "m5.large", price: 4.0, region, capacitystatus: "UnusedCapacityReservation" },
  { instanceType: "m5.large", price: 5.0, region: "eu-west-1" },
];

function setup(region = "us-east-1", api = new FakePricingApi(products(region))) {
  let t = 1_000_000;
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  return { api, clock, p: new OnDemandPricingProvider(api, region, silentLogger(), clock.now) };
}

describe("on-demand pricing from the Pricing API", () => {
  test("updates on-demand prices with the API's answer, metal from its own query; other products are filtered out", async () => {
    const { api, p } = setup();
    await p.refreshIfDue();
    const prices = p.prices();
    expect(prices["m5.large"]).toBe(0.5);
    expect(prices["c5.xlarge"]).toBe(0.7);
    expect(prices["m5.metal"]).toBe(9.5);
    // Types the API did not answer keep the embedded price (Karpenter assigns over the previous table).
    expect(prices["t3.micro"]).toBe(embedded["t3.micro"]);
    expect(p.state()).toMatchObject({ region: "us-east-1", source: "api" });
    expect(pricesCondition(p.state())).toEqual({ type: "PricesResolved", ok: true, reason: "PricesResolved", message: "" });
    const fields = api.calls.map((c) => Object.fromEntries(c.filters.map((f) => [f.Field, f.Value])));
    expect(fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ regionCode: "us-east-1", serviceCode: "AmazonEC2", preInstalledSw: "NA", operatingSystem: "Linux", capacitystatus: "Used", marketoption: "OnDemand", tenancy: "Shared", productFamily: "Compute Instance" }),
        expect.objectContaining({ tenancy: "Dedicated", productFamily: "Compute Instance (bare metal)" }),
      ]),
    );
    expect(api.calls.every((c) => c.filters.every((f) => f.Type === "TERM_MATCH"))).toBe(true);
  });

  test("follows NextToken through every page", async () => {
    const many: FakeProduct[] = Array.from({ length: 250 }, (_, i) => ({ instanceType: `x${i}.large`, price: 1 + i }));
    const { api, p } = setup("us-east-1", new FakePricingApi([...many, { instanceType: "m5.metal", price: 9 }]));
    await p.refreshIfDue();
    expect(p.prices()["x249.large"]).toBe(250);
    expect(api.calls.filter((c) => c.filters.some((f) => f.Value === "Shared")).map((c) => c.token)).toEqual([undefined, "100", "200"]);
  });

  test("a failed refresh keeps the embedded table, says so in PricesResolved, and is retried after a delay", async () => {
    const { api, p, clock } = setup();
    api.fail = Object.assign(new Error("User is not authorized to perform: pricing:GetProducts"), { name: "AccessDeniedException" });
    await p.refreshIfDue();
    expect(p.prices()["m5.large"]).toBe(embedded["m5.large"]);
    const c = pricesCondition(p.state());
    expect(c).toMatchObject({ ok: false, reason: "StaticPriceFallback" });
    expect(c.message).toMatch(/us-east-1 are the embedded table, not the Pricing API: pricing:GetProducts \(Pricing API in us-east-1\) failed: User is not authorized/);
    const calls = api.calls.length;
    clock.advance(PRICING_RETRY_MIN_MS - 1);
    await p.refreshIfDue();
    expect(api.calls.length).toBe(calls);
    api.fail = undefined;
    clock.advance(1);
    await p.refreshIfDue();
    expect(p.prices()["m5.large"]).toBe(0.5);
    expect(p.state().source).toBe("api");
  });

  test("retry delays grow after consecutive failures", async () => {
    const { api, p, clock } = setup();
    api.fail = new Error("boom");
    await p.refreshIfDue();
    clock.advance(PRICING_RETRY_MIN_MS);
    await p.refreshIfDue();
    const calls = api.calls.length;
    clock.advance(PRICING_RETRY_MIN_MS); // the second delay is twice the first
    await p.refreshIfDue();
    expect(api.calls.length).toBe(calls);
    clock.advance(PRICING_RETRY_MIN_MS);
    await p.refreshIfDue();
    expect(api.calls.length).toBeGreaterThan(calls);
  });

  test("maintains the previous prices when a later refresh fails (source stays the API)", async () => {
    const { api, p, clock } = setup();
    await p.refreshIfDue();
    api.fail = new Error("throttled");
    clock.advance(PRICING_REFRESH_MS);
    await p.refreshIfDue();
    expect(p.prices()["m5.large"]).toBe(0.5);
    expect(p.state().source).toBe("api");
  });

  test("refreshes on Karpenter's 12 h cadence, not more often", async () => {
    const { api, p, clock } = setup();
    await p.refreshIfDue();
    const calls = api.calls.length;
    clock.advance(PRICING_REFRESH_MS - 1);
    await p.refreshIfDue();
    expect(api.calls.length).toBe(calls);
    api.products[0]!.price = 0.55;
    clock.advance(1);
    await p.refreshIfDue();
    expect(api.calls.length).toBe(2 * calls);
    expect(p.prices()["m5.large"]).toBe(0.55);
  });

  test("an answer without bare metal (or without shared) prices is an error: no on-demand pricing found", async () => {
    const { p } = setup("us-east-1", new FakePricingApi([{ instanceType: "m5.large", price: 0.5 }]));
    await p.refreshIfDue();
    expect(p.prices()["m5.large"]).toBe(embedded["m5.large"]);
    expect(p.state().message).toMatch(/no on-demand pricing found for us-east-1/);
  });

  test("a region without an embedded table starts from us-east-1's, visibly, until the API answers for it", async () => {
    const { api, p } = setup("eu-west-1");
    expect(p.state()).toMatchObject({ source: "fallback", fallbackFrom: "us-east-1" });
    expect(p.state().message).toMatch(/no on-demand price table for region eu-west-1: using us-east-1 prices .*has not answered yet/);
    await p.refreshIfDue();
    expect(p.prices()["m5.large"]).toBe(5.0);
    expect(pricesCondition(p.state()).ok).toBe(true);
    expect(api.calls[0]!.filters).toContainEqual({ Field: "regionCode", Type: "TERM_MATCH", Value: "eu-west-1" });
  });

  test("China regions read CNY prices", async () => {
    const cny = (t: string, price: number): FakeProduct => ({ instanceType: t, price, region: "cn-north-1", currency: "CNY" });
    const { p } = setup("cn-north-1", new FakePricingApi([cny("m5.large", 3.3), cny("m5.metal", 40), { instanceType: "c5.large", price: 1, region: "cn-north-1" }]));
    await p.refreshIfDue();
    expect(p.prices()["m5.large"]).toBe(3.3);
    expect(p.prices()["c5.large"]).not.toBe(1);
  });

  test("GovCloud: the Pricing API is not asked, and the embedded prices say so", async () => {
    const { api, p } = setup("us-gov-west-1");
    await p.refreshIfDue();
    expect(api.calls).toHaveLength(0);
    expect(p.state().message).toMatch(/not available in AWS GovCloud/);
  });

  test("the Pricing API endpoint region, as Karpenter v1.14 picks it", () => {
    expect(pricingApiRegion("us-west-2")).toBe("us-east-1");
    expect(pricingApiRegion("eu-west-1")).toBe("eu-central-1");
    expect(pricingApiRegion("ap-northeast-1")).toBe("ap-south-1");
    expect(pricingApiRegion("cn-north-1")).toBe("cn-northwest-1");
    expect(pricingApiRegion("sa-east-1")).toBe("us-east-1");
  });
});
