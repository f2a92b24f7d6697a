// Faults on demand from the emulator, answered as AWS answers them: a private moto (faults are global to an
// emulator, and other files share the suite's one) in a second region with two zones.
import { EC2Client, DescribeInstancesCommand, RunInstancesCommand, DescribeSubnetsCommand, DescribeSpotPriceHistoryCommand, DescribeAvailabilityZonesCommand } from "@aws-sdk/client-ec2";
import { SSMClient, GetParameterCommand } from "@aws-sdk/client-ssm";
import { startMoto, MotoHandle } from "../../../sandbox/moto";

let moto: MotoHandle;
let ec2: EC2Client;
const client = <T>(C: new (cfg: object) => T, maxAttempts = 1) =>
  new C({ region: moto.region, endpoint: moto.endpoint, maxAttempts, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });

beforeAll(async () => {
  moto = await startMoto({ clusterName: "faults-it", region: "eu-west-1", zones: 2 });
  ec2 = client(EC2Client);
}, 60000);
afterAll(async () => { await moto?.stop(); });
afterEach(async () => { await moto.clearFaults(); });

test("another region with fewer zones: subnets in the first two zones only, that region's offerings and prices", async () => {
  expect(moto.region).toBe("eu-west-1");
  expect(moto.seed.zones).toEqual(["eu-west-1a", "eu-west-1b"]);
  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "tag:karpenter.sh/discovery", Values: ["faults-it"] }] }))).Subnets!;
  expect(subnets.map(s => s.AvailabilityZone).sort()).toEqual(["eu-west-1a", "eu-west-1b"]);
  const zones = (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!.map(z => z.ZoneName);
  expect(zones).toContain("eu-west-1c");
  const prices = (await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ["m5.large", "c5.xlarge"] }))).SpotPriceHistory!;
  expect(prices.length).toBeGreaterThanOrEqual(4);
  const values = prices.map(p => Number(p.SpotPrice));
  expect(new Set(values).size).toBeGreaterThan(1);
  for (const p of prices) {
    const od = p.InstanceType === "m5.large" ? 0.096 * 1.11 : 0.17 * 1.11;
    expect(Number(p.SpotPrice)).toBeGreaterThan(od * 0.2);
    expect(Number(p.SpotPrice)).toBeLessThan(od * 0.7);
    expect(Date.now() - p.Timestamp!.getTime()).toBeLessThan(2 * 3600_000);
  }
});

test("throttling: RequestLimitExceeded for the chosen action and count, then normal answers", async () => {
  await moto.injectFaults({ throttle: [{ action: "DescribeInstances", count: 2 }] });
  await expect(ec2.send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: "RequestLimitExceeded", $metadata: { httpStatusCode: 503 } });
  // the SDK's standard retries ride out the second one
  await expect(client(EC2Client, 3).send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  await expect(ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
});

test("5xx on any API until cleared; JSON APIs answer in their own shape", async () => {
  await moto.injectFaults({ serverError: [{ action: "*", status: 500 }] });
  await expect(ec2.send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: "InternalError", $metadata: { httpStatusCode: 500 } });
  await expect(client(SSMClient).send(new GetParameterCommand({ Name: "/aws/service/bottlerocket/aws-k8s-1.34/x86_64/latest/image_id" })))
    .rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
  await moto.clearFaults();
  const p = await client(SSMClient).send(new GetParameterCommand({ Name: "/aws/service/bottlerocket/aws-k8s-1.34/x86_64/latest/image_id" }));
  expect(p.Parameter?.Value).toMatch(/^ami-/);
});

test("eventual consistency: a new instance is missing from DescribeInstances for N seconds", async () => {
  await moto.injectFaults({ hideNewInstances: { seconds: 2 } });
  const subnet = moto.seed.subnets[0]!.id;
  const out = await ec2.send(new RunInstancesCommand({ ImageId: moto.seed.amis[0]!.id, InstanceType: "m5.large", MinCount: 1, MaxCount: 1, SubnetId: subnet }));
  const id = out.Instances![0]!.InstanceId!;
  await expect(ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).rejects.toMatchObject({ name: "InvalidInstanceID.NotFound" });
  const listed = (await ec2.send(new DescribeInstancesCommand({}))).Reservations!.flatMap(r => r.Instances!).map(i => i.InstanceId);
  expect(listed).not.toContain(id);
  await new Promise(r => setTimeout(r, 2100));
  const later = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  expect(later.Reservations![0]!.Instances![0]!.InstanceId).toBe(id);
});
