// An EC2NodeClass's status once the Pricing API's first answer (or failure) has landed. Nothing in capsicum waits
// for the Pricing API, so until then PricesResolved is Unknown (AwaitingPricingAPI) on an otherwise Ready class.
import type { AwsCloudProvider, EC2NodeClassLike } from "../../../src/cloudprovider/aws";

export async function resolveSettled(p: AwsCloudProvider, nc: EC2NodeClassLike) {
  for (let i = 0; i < 300; i++) {
    const r = await p.resolveNodeClass(nc);
    if (r.status.conditions?.find((c) => c.type === "PricesResolved")?.status !== "Unknown") return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error("PricesResolved stayed Unknown for 30 s: the Pricing API never answered");
}
