// `capsicum convert`: v1 YAML with `# WARNING:` comments; errors and usage on stderr with exit codes.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { runConvert } from "../../../src/cli/convert";

const SEED = `apiVersion: karpenter.k8s.aws/v1alpha1
kind: AWSNodeTemplate
metadata: { name: default }
spec:
  subnetSelector: { karpenter.sh/discovery: demo }
  securityGroupSelector: { karpenter.sh/discovery: demo }
---
apiVersion: karpenter.sh/v1alpha5
kind: Provisioner
metadata: { name: default }
spec:
  requirements: [{ key: karpenter.sh/capacity-type, operator: In, values: ["spot"] }]
  providerRef: { name: default }
  ttlSecondsAfterEmpty: 30
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: inflate }
`;

async function run(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await runConvert(args, s => out.push(s), s => err.push(s));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("capsicum convert", () => {
  const dir = mkdtempSync(join(tmpdir(), "convert-"));
  writeFileSync(join(dir, "seed.yaml"), SEED);

  it("prints the v1 objects with warnings as comments and skips other kinds", async () => {
    const r = await run(["-f", dir, "--default-instance-profile", "prof"]);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.out).map(d => d.toJS());
    expect(docs.map(d => `${d.apiVersion} ${d.kind} ${d.metadata.name}`)).toEqual(["karpenter.k8s.aws/v1 EC2NodeClass default", "karpenter.sh/v1 NodePool default"]);
    expect(docs[0].spec.instanceProfile).toBe("prof");
    expect(r.out).toMatch(/^# WARNING: converted to EC2NodeClass default$/m);
    expect(r.out).toMatch(/^# WARNING: spec\.amiFamily: unset \(AL2\) mapped to amiSelectorTerms/m);
  });

  it("exits 1 and names the field when an object cannot be converted", async () => {
    const r = await run([join(dir, "seed.yaml")]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/AWSNodeTemplate default: not converted: spec\.instanceProfile: .*DEFAULT_INSTANCE_PROFILE/);
    expect(parseAllDocuments(r.out).map(d => d.toJS().kind)).toEqual(["NodePool"]);
  });

  it("rejects missing files and unknown flags with usage", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(["--bogus"])).err).toMatch(/unknown flag --bogus\nusage: capsicum convert/);
    expect((await run(["-f", join(dir, "nope.yaml")])).err).toMatch(/no such file/);
  });
});
