// Instance-type shapes live from DescribeInstanceTypes for the client's region (vCPU, memory, ENI limits, GPUs,
// accelerators, EFA, bandwidth...), as Karpenter's instancetype provider reads them, cached for its 5m TTL. What
// EC2 does not report (pod-ENI branch interfaces, the bandwidth of types without network-card data) comes from
// the embedded snapshot of the same type. When EC2 cannot be asked the embedded shapes are used and that is said
// once as a warning: never a silent substitute.
import { DescribeInstanceTypesCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { Logger } from "pino";
import { embeddedShapes, RawInstanceType } from "./catalog";
import { cardBandwidthMbps, InstanceTypeInfoLike, shapeFromInstanceTypeInfo } from "./catalog/fromApi";
import { TtlCache, TTL, Now } from "./ttlCache";

/** Shapes from one DescribeInstanceTypes listing, completed with what only the embedded snapshot knows. */
export function liveShapes(
  infos: InstanceTypeInfoLike[],
  embedded: RawInstanceType[] = embeddedShapes(),
): RawInstanceType[] {
  const known = new Map(embedded.map((t) => [t.n, t]));
  const out: RawInstanceType[] = [];
  for (const info of infos) {
    const prev = info.InstanceType ? known.get(info.InstanceType) : undefined;
    const shape = shapeFromInstanceTypeInfo(info, {
      zones: prev?.z ?? [],
      networkBandwidthMbps: prev ? prev.nb : cardBandwidthMbps(info),
      branchInterfaces: prev?.br,
    });
    if (shape) out.push(shape);
  }
  return out.sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
}

export class InstanceTypesProvider {
  private readonly cache: TtlCache<RawInstanceType[] | undefined>;
  private failedOnce = false;
  private last?: { key: string; shapes: RawInstanceType[] };
  constructor(
    private readonly ec2: Pick<EC2Client, "send">,
    private readonly log: Logger,
    now: Now = Date.now,
  ) {
    this.cache = new TtlCache(TTL.instanceTypes, now);
  }

  /**
   * The region's shapes; the same array while EC2's answer is unchanged (catalogs built from it stay cached);
   * undefined (and a warning, once) when the call fails.
   */
  get(): Promise<RawInstanceType[] | undefined> {
    return this.cache.getOrLoad("all", async () => {
      try {
        const infos: InstanceTypeInfoLike[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const out = await this.ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 100, NextToken: token }));
          infos.push(...((out.InstanceTypes ?? []) as InstanceTypeInfoLike[]));
          token = out.NextToken || undefined;
        } while (token && ++pages < 1000);
        this.failedOnce = false;
        const shapes = liveShapes(infos);
        if (shapes.length === 0) throw new Error("DescribeInstanceTypes returned no launchable instance type");
        const key = JSON.stringify(shapes);
        if (this.last?.key !== key) this.last = { key, shapes };
        return this.last.shapes;
      } catch (e) {
        if (!this.failedOnce)
          this.log.warn(
            { error: (e as Error).message },
            "failed to describe instance types, using the embedded instance-type snapshot",
          );
        this.failedOnce = true;
        return undefined;
      }
    });
  }
}
