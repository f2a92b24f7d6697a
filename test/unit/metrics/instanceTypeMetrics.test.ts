// Modelled on the AWS provider's cloudprovider.metrics suite: an offering is available when it is in any NodePool's
// catalog, priced by its estimate, labelled by instance type, capacity type and zone; vCPUs and memory per type.
import { recordInstanceTypeMetrics } from "../../../src/controllers/instanceTypeMetrics";
import type { InstanceType, Offering } from "../../../src/cloudprovider/types";
import { Metrics } from "../../../src/metrics";

const type = (name: string, offerings: Offering[]): InstanceType => ({
  name, labels: {}, capacity: { cpu: 2000, memory: 8 * 2 ** 30 }, allocatable: {}, offerings,
  overhead: { kubeReserved: {}, systemReserved: {}, evictionThreshold: {} },
});

describe("karpenter_cloudprovider_instance_type_* gauges", () => {
  it("reports each offering's availability (any pool) and price, and the type's cpu and memory", async () => {
    const m = new Metrics();
    recordInstanceTypeMetrics(m, [
      [type("m5.large", [{ zone: "us-east-1a", capacityType: "spot", price: 0.04, available: false }, { zone: "us-east-1a", capacityType: "on-demand", price: 0.096, available: true }])],
      [type("m5.large", [{ zone: "us-east-1a", capacityType: "spot", price: 0.04, available: true }])],
    ]);
    const text = await m.registry.metrics();
    expect(text).toContain('karpenter_cloudprovider_instance_type_offering_available{instance_type="m5.large",capacity_type="spot",zone="us-east-1a"} 1');
    expect(text).toContain('karpenter_cloudprovider_instance_type_offering_available{instance_type="m5.large",capacity_type="on-demand",zone="us-east-1a"} 1');
    expect(text).toContain('karpenter_cloudprovider_instance_type_offering_price_estimate{instance_type="m5.large",capacity_type="on-demand",zone="us-east-1a"} 0.096');
    expect(text).toContain('karpenter_cloudprovider_instance_type_cpu_cores{instance_type="m5.large"} 2');
    expect(text).toContain(`karpenter_cloudprovider_instance_type_memory_bytes{instance_type="m5.large"} ${8 * 2 ** 30}`);
  });
  it("an offering no longer offered disappears on the next pass; an unavailable one reports 0", async () => {
    const m = new Metrics();
    recordInstanceTypeMetrics(m, [[type("c5.large", [{ zone: "us-east-1b", capacityType: "spot", price: 0.03, available: true }])]]);
    recordInstanceTypeMetrics(m, [[type("c5.large", [{ zone: "us-east-1a", capacityType: "spot", price: 0.03, available: false }])]]);
    const text = await m.registry.metrics();
    expect(text).not.toContain('zone="us-east-1b"');
    expect(text).toContain('karpenter_cloudprovider_instance_type_offering_available{instance_type="c5.large",capacity_type="spot",zone="us-east-1a"} 0');
  });
});
