import { UnavailableOfferings } from "../../../src/cloudprovider/aws/unavailableOfferings";

describe("unavailable offerings (ICE cache)", () => {
  test("an offering marked unavailable stays so for 3 minutes, then becomes available again", () => {
    let now = 1_000_000;
    const c = new UnavailableOfferings(() => now);
    c.markUnavailable("m5.large", "us-east-1a", "spot", "InsufficientInstanceCapacity");
    expect(c.isUnavailable("m5.large", "us-east-1a", "spot")).toBe(true);
    now += 179_999;
    expect(c.isUnavailable("m5.large", "us-east-1a", "spot")).toBe(true);
    now += 1;
    expect(c.isUnavailable("m5.large", "us-east-1a", "spot")).toBe(false);
  });

  test("only the exact type, zone and capacity type are affected", () => {
    const c = new UnavailableOfferings(() => 0);
    c.markUnavailable("m5.large", "us-east-1a", "spot", "InsufficientInstanceCapacity");
    expect(c.isUnavailable("m5.large", "us-east-1b", "spot")).toBe(false);
    expect(c.isUnavailable("m5.large", "us-east-1a", "on-demand")).toBe(false);
    expect(c.isUnavailable("m5.xlarge", "us-east-1a", "spot")).toBe(false);
    expect(c.predicate("m5.large", "us-east-1a", "spot")).toBe(true);
  });

  test("list shows live entries with their reason, and marking bumps the sequence", () => {
    let now = 0;
    const c = new UnavailableOfferings(() => now);
    const before = c.seq;
    c.markUnavailable("c5.large", "us-east-1c", "spot", "MaxSpotInstanceCountExceeded");
    expect(c.seq).toBe(before + 1);
    expect(c.list()).toEqual([{ instanceType: "c5.large", zone: "us-east-1c", capacityType: "spot", reason: "MaxSpotInstanceCountExceeded" }]);
    now += 3 * 60_000;
    expect(c.list()).toEqual([]);
  });
});
