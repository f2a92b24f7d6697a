// The emulator is seeded like the Karpenter getting-started EKS cluster, reachable through the plain AWS SDK.
import { EC2Client, DescribeSubnetsCommand, DescribeSecurityGroupsCommand, DescribeImagesCommand, DescribePlacementGroupsCommand } from "@aws-sdk/client-ec2";
import { SSMClient, GetParameterCommand } from "@aws-sdk/client-ssm";
import { SQSClient, GetQueueUrlCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageCommand } from "@aws-sdk/client-sqs";
import { IAMClient, GetInstanceProfileCommand } from "@aws-sdk/client-iam";
import { motoForTests, TestMoto } from "./motoForTests";

let moto: TestMoto;
const creds = { accessKeyId: "testing", secretAccessKey: "testing" };
const cfg = () => ({ endpoint: moto.endpoint, region: moto.region, credentials: creds });
const discovery = () => [{ Name: "tag:karpenter.sh/discovery", Values: [moto.clusterName] }];

beforeAll(async () => { moto = await motoForTests("seed-it"); }, 90_000);
afterAll(async () => { await moto?.stop(); });

test("the discovery tag selects one private subnet in each of three zones", async () => {
  const out = await new EC2Client(cfg()).send(new DescribeSubnetsCommand({ Filters: discovery() }));
  const zones = (out.Subnets ?? []).map(s => s.AvailabilityZone).sort();
  expect(zones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
});

test("one placement group of each strategy is seeded (DescribePlacementGroups answers by name)", async () => {
  const names = ["cluster", "partition", "spread"].map(s => `${moto.clusterName}-${s}`);
  const out = await new EC2Client(cfg()).send(new DescribePlacementGroupsCommand({ GroupNames: names }));
  expect((out.PlacementGroups ?? []).map(g => [g.GroupName, g.Strategy, g.PartitionCount, g.State]).sort()).toEqual([
    [names[0], "cluster", undefined, "available"], [names[1], "partition", 3, "available"], [names[2], "spread", undefined, "available"],
  ]);
});

test("the discovery tag selects exactly the cluster security group, not the VPC default", async () => {
  const out = await new EC2Client(cfg()).send(new DescribeSecurityGroupsCommand({ Filters: discovery() }));
  expect((out.SecurityGroups ?? []).map(g => g.GroupName)).toEqual([`eks-cluster-sg-${moto.clusterName}`]);
});

test("al2023@latest resolves through SSM to the newest registered EKS AL2023 image", async () => {
  const ssm = new SSMClient(cfg());
  const latest = await ssm.send(new GetParameterCommand({ Name: "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id" }));
  const pinned = await ssm.send(new GetParameterCommand({ Name: "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.34-v20250101/image_id" }));
  expect(latest.Parameter?.Value).toMatch(/^ami-/);
  expect(pinned.Parameter?.Value).not.toEqual(latest.Parameter?.Value);
  const images = await new EC2Client(cfg()).send(new DescribeImagesCommand({ ImageIds: [latest.Parameter!.Value!] }));
  expect(images.Images?.[0]).toMatchObject({ Architecture: "x86_64", Name: "amazon-eks-node-al2023-x86_64-standard-1.34-v20250301" });
});

test("the node role has an instance profile of the same name", async () => {
  const out = await new IAMClient(cfg()).send(new GetInstanceProfileCommand({ InstanceProfileName: `KarpenterNodeRole-${moto.clusterName}` }));
  expect(out.InstanceProfile?.Roles?.map(r => r.RoleName)).toEqual([`KarpenterNodeRole-${moto.clusterName}`]);
});

test("the interruption queue named after the cluster carries a message round trip", async () => {
  const sqs = new SQSClient(cfg());
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: moto.clusterName }));
  const body = JSON.stringify({ "detail-type": "EC2 Spot Instance Interruption Warning", id: `${Date.now()}` });
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  const match = (got.Messages ?? []).find(m => m.Body === body);
  expect(match).toBeDefined();
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: match!.ReceiptHandle }));
});
