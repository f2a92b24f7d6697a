// Reads the sandbox's EC2 (moto) state the way an operator would with the AWS CLI.
import { EC2Client, DescribeInstancesCommand, DescribeInstanceTypeOfferingsCommand, Instance } from "@aws-sdk/client-ec2";
import { loadCatalog, InstanceType } from "../../src/cloudprovider/aws/catalog";

const ec2 = new EC2Client({});

export async function clusterInstances(clusterName: string, states = ["pending", "running"]): Promise<Instance[]> {
  const out: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:kubernetes.io/cluster/${clusterName}`, Values: ["owned"] },
        { Name: "instance-state-name", Values: states },
      ],
      NextToken,
    }));
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

export const tag = (i: Instance, key: string): string | undefined => i.Tags?.find(t => t.Key === key)?.Value;

/**
 * The instance types and offerings of the sandbox's region as the provider builds them (live offerings from
 * DescribeInstanceTypeOfferings; on-demand prices from the embedded table or its stated fallback), so a test can
 * price a fleet in any region.
 */
export async function regionCatalog(region = process.env.AWS_REGION ?? "us-east-1"): Promise<Map<string, InstanceType>> {
  const offerings = new Map<string, string[]>();
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone", NextToken }));
    for (const o of page.InstanceTypeOfferings ?? [])
      if (o.InstanceType && o.Location) offerings.set(o.InstanceType, [...(offerings.get(o.InstanceType) ?? []), o.Location]);
    NextToken = page.NextToken;
  } while (NextToken);
  return new Map(loadCatalog({ region, offerings }).map(it => [it.name, it]));
}
