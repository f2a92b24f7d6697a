// The EC2NodeClass authorization dry runs (Karpenter's validation reconciler): each launch call is dry-run in
// order; DryRunOperation means allowed, UnauthorizedOperation names the call that failed, anything else is
// inconclusive (no verdict, logged); verdicts are cached for 30 minutes per class and inputs; DISABLE_DRY_RUN skips.
import { AuthorizationCheck, VALIDATION_TTL_MS } from "../../../src/cloudprovider/aws/authorization";
import type { EC2NodeClassLike, EC2NodeClassStatus } from "../../../src/cloudprovider/aws/nodeClass";
import { LogCapture } from "../lifecycle/fakes";
import { createLogger } from "../../../src/log";

const err = (name: string) => Object.assign(new Error(name), { name });
const nc: EC2NodeClassLike = {
  metadata: { name: "default" },
  spec: { amiSelectorTerms: [], subnetSelectorTerms: [], securityGroupSelectorTerms: [], tags: { team: "a" } },
} as unknown as EC2NodeClassLike;
const status: EC2NodeClassStatus = {
  subnets: [{ id: "subnet-1", zone: "us-east-1a" }],
  securityGroups: [{ id: "sg-1" }],
  amis: [{ id: "ami-1", requirements: [] }],
  instanceProfile: "p",
} as EC2NodeClassStatus;

function check(answers: (command: string) => Error, o: { disabled?: boolean } = {}) {
  const calls: Array<{ command: string; input: Record<string, unknown> }> = [];
  let now = 0;
  const logs = new LogCapture();
  const c = new AuthorizationCheck({
    ec2: {
      send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
        calls.push({ command: cmd.constructor.name, input: cmd.input });
        throw answers(cmd.constructor.name);
      },
    } as never,
    tags: (x) => ({ ...(x.spec.tags ?? {}), "kubernetes.io/cluster/demo": "owned" }),
    disabled: o.disabled ?? false,
    log: createLogger({ level: "debug", destination: logs as never }),
    now: () => now,
  });
  return { c, calls, logs, advance: (ms: number) => (now += ms) };
}

describe("EC2NodeClass authorization dry runs", () => {
  it("dry-runs CreateLaunchTemplate, CreateFleet and RunInstances with the class's tags, and caches the verdict", async () => {
    const { c, calls, advance } = check(() => err("DryRunOperation"));
    expect(await c.check(nc, status)).toEqual({ ok: true, reason: "ValidationSucceeded", message: "" });
    expect(calls.map((x) => x.command)).toEqual([
      "CreateLaunchTemplateCommand",
      "CreateFleetCommand",
      "RunInstancesCommand",
    ]);
    for (const x of calls) expect(x.input.DryRun).toBe(true);
    expect(JSON.stringify(calls[2]!.input.TagSpecifications)).toContain(
      '"Key":"kubernetes.io/cluster/demo","Value":"owned"',
    );
    await c.check(nc, status);
    expect(calls).toHaveLength(3); // cached
    advance(VALIDATION_TTL_MS);
    await c.check(nc, status);
    expect(calls).toHaveLength(6); // expired
    await c.check({ ...nc, spec: { ...nc.spec, tags: { team: "b" } } } as EC2NodeClassLike, status);
    expect(calls).toHaveLength(9); // other inputs
  });

  it("names the first call EC2 refuses", async () => {
    const { c, calls } = check((command) =>
      err(command === "CreateFleetCommand" ? "UnauthorizedOperation" : "DryRunOperation"),
    );
    expect(await c.check(nc, status)).toEqual({
      ok: false,
      reason: "CreateFleetAuthCheckFailed",
      message: "Controller isn't authorized to call ec2:CreateFleet",
    });
    expect(calls).toHaveLength(2);
  });

  it("gives no verdict, and caches none, when an answer is neither allowed nor denied", async () => {
    const { c, calls, logs } = check(() => err("RequestLimitExceeded"));
    expect(await c.check(nc, status)).toBeUndefined();
    expect(await c.check(nc, status)).toBeUndefined();
    expect(calls).toHaveLength(2);
    expect(
      logs.messages("authorization dry run inconclusive; validation left as it was, retried on the next reconcile"),
    ).toHaveLength(2);
  });

  it("is skipped with DISABLE_DRY_RUN", async () => {
    const { c, calls } = check(() => err("UnauthorizedOperation"), { disabled: true });
    expect(await c.check(nc, status)).toEqual({ ok: true, reason: "DryRunDisabled", message: "Dry run is disabled" });
    expect(calls).toHaveLength(0);
  });
});
