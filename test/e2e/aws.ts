// Reads the sandbox's EC2 (moto) state the way an operator would with the AWS CLI.
import { EC2Client, DescribeInstancesCommand, Instance } from "@aws-sdk/client-ec2";

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
