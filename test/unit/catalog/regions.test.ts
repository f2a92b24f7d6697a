// Any region: offerings come live from DescribeInstanceTypeOfferings; on-demand prices from the embedded table,
// or (for a region it lacks) us-east-1's with the fallback stated.
import { loadCatalog, onDemandPrices } from "../../../src/cloudprovider/aws/catalog";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { Writable } from "node:stream";
import pino from "pino";

const euOfferings = new Map([
  ["m5.large", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]],
  ["c5.large", ["eu-west-1a", "eu-west-1b"]],
  ["m7i.large", ["eu-west-1b"]],
]);

describe("catalog for any region", () => {
  test("live offerings place types in the region's zones, labelled with the region", () => {
    const types = loadCatalog({ region: "eu-west-1", offerings: euOfferings });
    expect(types.map(t => t.name).sort()).toEqual(["c5.large", "m5.large", "m7i.large"]);
    const m5 = types.find(t => t.name === "m5.large")!;
    expect([...new Set(m5.offerings.map(o => o.zone))]).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    expect(m5.labels["topology.kubernetes.io/region"]).toBe("eu-west-1");
    expect(m5.offerings.find(o => o.capacityType === "on-demand")!.price).toBe(onDemandPrices("us-east-1").prices["m5.large"]);
  });

  test("a region without an embedded price table says it falls back to us-east-1's", () => {
    expect(onDemandPrices("eu-west-1").fallbackFrom).toBe("us-east-1");
    expect(onDemandPrices("us-east-1").fallbackFrom).toBeUndefined();
  });

  test("offline, a region without embedded offerings is an error naming the live catalog", () => {
    expect(() => loadCatalog({ region: "eu-west-1" })).toThrow(/no embedded offerings.*DescribeInstanceTypeOfferings/);
  });

  test("live offerings replace the embedded zones in us-east-1 too (a type EC2 no longer offers is dropped)", () => {
    const types = loadCatalog({ region: "us-east-1", offerings: new Map([["m5.large", ["us-east-1a"]]]) });
    expect(types.map(t => t.name)).toEqual(["m5.large"]);
  });

  test("the provider asks EC2 for the region's offerings and restricts them to the NodeClass's subnet zones", async () => {
    const calls: string[] = [];
    const ec2 = {
      send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
        calls.push(cmd.constructor.name);
        if (cmd.constructor.name === "DescribeSpotPriceHistoryCommand") return { SpotPriceHistory: [] };
        if (cmd.constructor.name === "DescribeInstanceTypeOfferingsCommand") {
          expect(cmd.input.LocationType).toBe("availability-zone");
          return { InstanceTypeOfferings: [...euOfferings].flatMap(([t, zs]) => zs.map(z => ({ InstanceType: t, Location: z, LocationType: "availability-zone" }))) };
        }
        throw new Error(`unexpected ${cmd.constructor.name}`);
      },
    };
    const lines: string[] = [];
    const logger = pino({}, new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
    const p = new AwsCloudProvider({
      clusterName: "c", clusterEndpoint: "https://k", region: "eu-west-1", nodeClassLookup: async () => undefined, logger,
      clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
    });
    const nc = { metadata: { name: "d" }, spec: {}, status: { subnets: [{ id: "s-a", zone: "eu-west-1a" }, { id: "s-b", zone: "eu-west-1b" }] } } as unknown as EC2NodeClassLike;
    const types = await p.getInstanceTypes(nc);
    expect(types.map(t => t.name).sort()).toEqual(["c5.large", "m5.large", "m7i.large"]);
    expect(new Set(types.flatMap(t => t.offerings.map(o => o.zone)))).toEqual(new Set(["eu-west-1a", "eu-west-1b"]));
    expect(calls).toContain("DescribeInstanceTypeOfferingsCommand");
    expect(p.pricingFallback()).toMatch(/no on-demand price table for region eu-west-1: using us-east-1 prices/);
    expect(lines.some(l => /using us-east-1 prices/.test(l) && /"level":40/.test(l))).toBe(true);
  });
});
