// Every launch template tagged for an EC2NodeClass, following DescribeLaunchTemplates' pages (the emulator pages
// as EC2 does): shared by the integration and e2e checks of the EC2NodeClass finalizer.
import { DescribeLaunchTemplatesCommand, EC2Client, LaunchTemplate } from "@aws-sdk/client-ec2";

export async function launchTemplatesOf(ec2: EC2Client, nodeClass: string): Promise<LaunchTemplate[]> {
  const out: LaunchTemplate[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        Filters: [{ Name: "tag:karpenter.k8s.aws/ec2nodeclass", Values: [nodeClass] }],
        NextToken,
      }),
    );
    out.push(...(page.LaunchTemplates ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}
