// ISOLATED_VPC as Karpenter AWS v1.14's --isolated-vpc: the Pricing API is never asked and the embedded prices are
// the configured source (not a failure: no StaticPriceFallback, no warn log), another region's table standing in is
// still a visible fallback; a deleted EC2NodeClass's managed instance profile is left alone (no IAM calls).
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import { OnDemandPricingProvider } from "../../../src/cloudprovider/aws/onDemandPricing";
import { pricesCondition } from "../../../src/cloudprovider/aws/pricing";
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { loadSettings } from "../../../src/settings";
import { FakePricingApi } from "./fakePricingApi";

function recordingLog() {
  const lines: Array<{ level: string; msg: string }> = [];
  const at = (level: string) => (_o: unknown, msg: string) => lines.push({ level, msg });
  const log = { info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug"), child: () => log };
  return { log: log as never, lines };
}

describe("ISOLATED_VPC", () => {
  test("settings: ISOLATED_VPC=true|false, default false, anything else named", () => {
    const base = { CLUSTER_NAME: "c", AWS_REGION: "us-east-1" };
    expect(loadSettings(base).isolatedVpc).toBe(false);
    expect(loadSettings({ ...base, ISOLATED_VPC: "true" }).isolatedVpc).toBe(true);
    expect(() => loadSettings({ ...base, ISOLATED_VPC: "yes" })).toThrow(/ISOLATED_VPC="yes" must be true or false/);
  });

  test("the Pricing API is never asked; PricesResolved=True reason IsolatedVPC; one info log, no warning", async () => {
    const api = new FakePricingApi([{ instanceType: "m5.large", price: 9.99 }]);
    const { log, lines } = recordingLog();
    const p = new OnDemandPricingProvider(api, "us-east-1", log, Date.now, true);
    const embedded = p.prices()["m5.large"];
    p.prices();
    await p.refreshIfDue();
    expect(api.calls).toHaveLength(0);
    expect(p.prices()["m5.large"]).toBe(embedded);
    expect(p.awaitingFirstAnswer()).toBe(false);
    expect(pricesCondition(p.state())).toMatchObject({ type: "PricesResolved", ok: true, reason: "IsolatedVPC" });
    expect(lines.filter((l) => l.level === "warn")).toEqual([]);
    expect(lines.filter((l) => l.level === "info").map((l) => l.msg)).toEqual([
      "running in an isolated VPC, on-demand pricing information will not be updated",
    ]);
  });

  test("a region without its own table still announces the stand-in (StaticPriceFallback)", () => {
    const { log } = recordingLog();
    const p = new OnDemandPricingProvider(new FakePricingApi([]), "eu-west-1", log, Date.now, true);
    p.prices();
    expect(pricesCondition(p.state())).toMatchObject({ ok: false, reason: "StaticPriceFallback" });
    expect(p.state().message).toMatch(/using us-east-1 prices.*ISOLATED_VPC=true/);
  });

  test("without ISOLATED_VPC the Pricing API is asked", async () => {
    const api = new FakePricingApi([{ instanceType: "m5.large", price: 9.99 }]);
    const p = new OnDemandPricingProvider(api, "us-east-1", recordingLog().log, Date.now, false);
    await p.refreshIfDue();
    expect(api.calls.length).toBeGreaterThan(0);
  });

  test("deleting an EC2NodeClass makes no IAM call for its managed instance profile", async () => {
    const iamCalls: string[] = [];
    const iam = { send: async (cmd: { constructor: { name: string } }) => { iamCalls.push(cmd.constructor.name); return {}; } };
    const ec2 = { send: async () => ({ LaunchTemplates: [] }) };
    const make = (isolatedVpc: boolean) => new AwsCloudProvider({
      clusterName: "c", clusterEndpoint: "https://k", clusterCABundle: "Q0E=", serviceCIDR: "10.100.0.0/16", region: "us-east-1",
      nodeClassLookup: async () => undefined, isolatedVpc,
      clients: { ec2, iam, ssm: {}, sqs: {}, eks: {}, pricing: new FakePricingApi([]) } as unknown as AwsClients,
    });
    const nc = { metadata: { name: "default" }, spec: { role: "r" } } as unknown as EC2NodeClassLike;
    await make(true).finalizeNodeClass(nc);
    expect(iamCalls).toEqual([]);
    await make(false).finalizeNodeClass(nc).catch(() => undefined);
    expect(iamCalls.length).toBeGreaterThan(0);
  });
});
