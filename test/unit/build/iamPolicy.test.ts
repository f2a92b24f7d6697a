// The shipped IAM policy must allow every AWS API call the controller makes: a call missing from it fails only on
// a real account (moto does not enforce IAM), as AccessDenied at run time.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { iamPolicy } from "../../../scripts/iam-policy";

const src = join(__dirname, "../../../src");
// The IAM service prefix of each AWS SDK v3 client package the engine imports.
const PREFIX: Record<string, string> = {
  ec2: "ec2",
  eks: "eks",
  iam: "iam",
  sqs: "sqs",
  ssm: "ssm",
  pricing: "pricing",
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** `service:Action` for every `new XCommand(` in src/, resolved through the file's `@aws-sdk/client-*` imports. */
function actionsCalled(): Map<string, string> {
  const calls = new Map<string, string>();
  for (const file of tsFiles(src)) {
    const text = readFileSync(file, "utf8");
    const client = new Map<string, string>();
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/client-([a-z0-9-]+)"/g))
      for (const name of m[1]!.split(",").map((n) =>
        n
          .trim()
          .split(/\s+as\s+/)[0]!
          .trim(),
      ))
        if (name) client.set(name, m[2]!);
    for (const m of text.matchAll(/new\s+([A-Z][A-Za-z0-9]+)Command\(/g)) {
      const pkg = client.get(`${m[1]}Command`);
      if (!pkg) throw new Error(`${file}: ${m[1]}Command is not imported from an @aws-sdk client`);
      const prefix = PREFIX[pkg];
      if (!prefix) throw new Error(`${file}: @aws-sdk/client-${pkg} has no IAM prefix in this test: add it`);
      calls.set(`${prefix}:${m[1]}`, file.slice(src.length + 1));
    }
  }
  return calls;
}

describe("dist/iam-policy.json", () => {
  const allowed = new Set(
    (iamPolicy() as { Statement: Array<{ Action: string | string[] }> }).Statement.flatMap((s) => [s.Action].flat()),
  );

  it("finds the controller's AWS calls (the scan works)", () => {
    const calls = actionsCalled();
    for (const a of [
      "ec2:CreateFleet",
      "ec2:TerminateInstances",
      "ec2:DescribeSubnets",
      "sqs:ReceiveMessage",
      "eks:DescribeCluster",
    ])
      expect([a, calls.has(a)]).toEqual([a, true]);
  });

  it("allows every AWS API call in src/", () => {
    const missing = [...actionsCalled()].filter(([a]) => !allowed.has(a)).map(([a, f]) => `${a} (${f})`);
    expect(missing).toEqual([]);
  });

  it("targets capacity reservations on launch (ODCRs and capacity blocks)", () => {
    const launch = (
      iamPolicy() as { Statement: Array<{ Action: string | string[]; Resource: string | string[] }> }
    ).Statement.filter((s) => [s.Action].flat().includes("ec2:CreateFleet") && !("Condition" in s));
    expect(launch.flatMap((s) => [s.Resource].flat()).some((r) => /:capacity-reservation\/\*$/.test(r))).toBe(true);
  });
});
