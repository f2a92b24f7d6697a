// An EC2NodeClass's finalizer deletes every launch template capsicum made for it, however many pages the
// listing takes: the emulator pages DescribeLaunchTemplates as EC2 does (a page, then NextToken), so a client
// that reads only the first page leaks the rest. Another class's templates are left alone.
import { randomUUID } from "node:crypto";
import { CreateLaunchTemplateCommand, DescribeLaunchTemplatesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { launchTemplatesOf } from "../../launchTemplatesOf";
import { LaunchTemplateProvider } from "../../../src/cloudprovider/aws/launchTemplates";
import { motoForTests, TestMoto } from "./motoForTests";

let moto: TestMoto;
let ec2: EC2Client;
const run = randomUUID().slice(0, 6);
const many = `many-${run}`;
const other = `other-${run}`;

async function create(nodeClass: string, i: number): Promise<void> {
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `karpenter.k8s.aws/${nodeClass}-${i}`,
      LaunchTemplateData: { ImageId: "ami-12345678" },
      TagSpecifications: [
        {
          ResourceType: "launch-template",
          Tags: [
            { Key: "karpenter.k8s.aws/cluster", Value: moto.clusterName },
            { Key: "karpenter.k8s.aws/ec2nodeclass", Value: nodeClass },
          ],
        },
      ],
    }),
  );
}

async function namesOf(nodeClass: string): Promise<string[]> {
  return (await launchTemplatesOf(ec2, nodeClass)).map((t) => t.LaunchTemplateName!).sort();
}

beforeAll(async () => {
  moto = await motoForTests();
  ec2 = new EC2Client({
    region: moto.region,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  for (let i = 0; i < 23; i++) await create(many, i);
  for (let i = 0; i < 2; i++) await create(other, i);
}, 120000);

afterAll(async () => {
  await moto?.stop();
});

test("the emulator pages DescribeLaunchTemplates: a first page and a NextToken to the rest", async () => {
  const filter = [{ Name: "tag:karpenter.k8s.aws/ec2nodeclass", Values: [many] }];
  const first = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: filter }));
  expect(first.LaunchTemplates!.length).toBeLessThan(23);
  expect(first.NextToken).toBeTruthy();
  const small = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: filter, MaxResults: 5 }));
  expect(small.LaunchTemplates).toHaveLength(5);
  expect(await namesOf(many)).toHaveLength(23);
});

test("deleting a class's templates follows every page and leaves another class's alone", async () => {
  const lts = new LaunchTemplateProvider(ec2, moto.clusterName);
  const deleted = await lts.deleteForNodeClass(many);
  expect(deleted.sort()).toEqual(Array.from({ length: 23 }, (_, i) => `karpenter.k8s.aws/${many}-${i}`).sort());
  expect(await namesOf(many)).toEqual([]);
  expect(await namesOf(other)).toEqual([`karpenter.k8s.aws/${other}-0`, `karpenter.k8s.aws/${other}-1`]);
  // Nothing left to delete the second time: the finalizer is idempotent.
  expect(await lts.deleteForNodeClass(many)).toEqual([]);
});
