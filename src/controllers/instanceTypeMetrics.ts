// The AWS provider's cloudprovider.metrics controller and instance-type gauges (Karpenter AWS v1.14): every minute,
// for the instance types each NodePool can launch (NodeOverlays applied), each offering's availability (available
// in any pool) and price estimate by instance type, capacity type and zone, and each type's vCPUs and memory.
import type { NodePool } from "../apis/generated/nodepools";
import type { InstanceType } from "../cloudprovider/types";
import type { EngineDeps } from "../kube/deps";
import type { Metrics } from "../metrics";
import type { Controller } from "./controller";

export function recordInstanceTypeMetrics(metrics: Metrics, catalogs: InstanceType[][]): void {
  const available = new Map<string, { labels: Record<string, string>; available: boolean; price: number }>();
  metrics.instanceTypeOfferingAvailable.reset();
  metrics.instanceTypeOfferingPriceEstimate.reset();
  for (const types of catalogs)
    for (const it of types) {
      // Internal cpu is millicores; Karpenter reports the type's default vCPUs and its memory in bytes.
      if (it.capacity.cpu !== undefined)
        metrics.instanceTypeCpuCores.set({ instance_type: it.name }, it.capacity.cpu / 1000);
      if (it.capacity.memory !== undefined)
        metrics.instanceTypeMemoryBytes.set({ instance_type: it.name }, it.capacity.memory);
      for (const o of it.offerings) {
        const labels = { instance_type: it.name, capacity_type: o.capacityType, zone: o.zone };
        const key = JSON.stringify(labels);
        const prev = available.get(key);
        available.set(key, { labels, available: (prev?.available ?? false) || o.available, price: o.price });
      }
    }
  for (const { labels, available: a, price } of available.values()) {
    metrics.instanceTypeOfferingAvailable.set(labels, a ? 1 : 0);
    metrics.instanceTypeOfferingPriceEstimate.set(labels, price);
  }
}

export function instanceTypeMetrics(
  deps: Pick<EngineDeps, "state" | "metrics" | "log">,
  instanceTypes: (np: NodePool) => Promise<InstanceType[]>,
): Controller {
  const run = async () => {
    const catalogs: InstanceType[][] = [];
    for (const np of deps.state.nodePools.values()) {
      try {
        catalogs.push(await instanceTypes(np));
      } catch (e) {
        // As Karpenter's: a pass that cannot list a pool's types keeps the previous values.
        deps.log.debug(
          { NodePool: { name: np.metadata.name }, error: String((e as Error)?.message ?? e) },
          "instance type metrics skipped",
        );
        return;
      }
    }
    recordInstanceTypeMetrics(deps.metrics, catalogs);
  };
  return { name: "cloudprovider.metrics", every: { ms: 60_000, run } };
}
