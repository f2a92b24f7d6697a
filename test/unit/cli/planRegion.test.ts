// `capsicum plan --region R [--zones ...]`: the offline plan in another region, from the same embedded tables the
// provider uses; what is assumed (offerings) or substituted (us-east-1 prices) is said, never silent.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";

const examples = join(__dirname, "../../../examples");
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, s => { out += s + "\n"; }, s => { err += s + "\n"; });
  return { code, out, err };
}

/** examples/ with the inflate deployment spread across zones (maxSkew 1, DoNotSchedule), 6 replicas. */
function spreadExamples(): string {
  const dir = mkdtempSync(join(tmpdir(), "plan-region-"));
  for (const f of ["nodepool.yaml", "ec2nodeclass.yaml"]) writeFileSync(join(dir, f), readFileSync(join(examples, f)));
  writeFileSync(join(dir, "spread.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata: { name: spread }
spec:
  replicas: 6
  selector: { matchLabels: { app: spread } }
  template:
    metadata: { labels: { app: spread } }
    spec:
      topologySpreadConstraints:
        - { maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: { matchLabels: { app: spread } } }
      containers:
        - { name: c, image: pause, resources: { requests: { cpu: 500m } } }
`);
  return dir;
}
type Claim = { zone: string | null; pricePerHour: number; pods: string[] };

describe("capsicum plan --region", () => {
  it("plans eu-west-1 in its zones, saying the offerings are assumed and the prices are us-east-1's", async () => {
    const { code, out, err } = await cli(["plan", "-f", spreadExamples(), "--region", "eu-west-1", "-o", "json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(out) as { nodeClaims: Claim[]; unschedulable: unknown[] };
    expect(plan.unschedulable).toEqual([]);
    const zones = new Set(plan.nodeClaims.map(c => c.zone));
    expect(zones).toEqual(new Set(["eu-west-1a", "eu-west-1b", "eu-west-1c"]));
    for (const c of plan.nodeClaims) expect(c.pricePerHour).toBeGreaterThan(0);
    expect(err).toMatch(/region eu-west-1 has no embedded offerings: every instance type is assumed offered in eu-west-1a, eu-west-1b, eu-west-1c \(choose with --zones\)/);
    expect(err).toMatch(/no on-demand price table for region eu-west-1: using us-east-1 prices/);
  });

  it("--zones limits the plan (and the zone spread) to the given zones", async () => {
    const { code, out } = await cli(["plan", "-f", spreadExamples(), "--region=eu-west-1", "--zones", "eu-west-1a,eu-west-1b", "-o", "json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(out) as { nodeClaims: Claim[] };
    expect(new Set(plan.nodeClaims.map(c => c.zone))).toEqual(new Set(["eu-west-1a", "eu-west-1b"]));
    const perZone = (z: string) => plan.nodeClaims.filter(c => c.zone === z).reduce((n, c) => n + c.pods.length, 0);
    expect(perZone("eu-west-1a")).toBe(3);
    expect(perZone("eu-west-1b")).toBe(3);
  });

  it("us-east-1 with --zones keeps the embedded offerings of those zones; the table states no fallback", async () => {
    const { code, out } = await cli(["plan", "-f", spreadExamples(), "--region", "us-east-1", "--zones", "us-east-1a,us-east-1b"]);
    expect(code).toBe(0);
    expect(out).toMatch(/us-east-1a/);
    expect(out).not.toMatch(/us-east-1c/);
    expect(out).not.toMatch(/using us-east-1 prices|assumed offered/);
  });

  it("a zone of another region, a malformed region, and --region with --diff are usage errors", async () => {
    expect((await cli(["plan", "-f", examples, "--region", "eu-west-1", "--zones", "us-east-1a"]))).toMatchObject({ code: 2, err: expect.stringMatching(/--zones us-east-1a: not zones of region eu-west-1/) });
    expect((await cli(["plan", "-f", examples, "--region", "europe"]))).toMatchObject({ code: 2, err: expect.stringMatching(/--region europe: not a region name/) });
    expect((await cli(["plan", "-f", examples, "--region", "eu-west-1", "--base", examples]))).toMatchObject({ code: 2, err: expect.stringMatching(/--region\/--zones do not apply with --diff/) });
  });
});
