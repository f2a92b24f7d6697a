import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
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

const nodePool = (name: string, requirements: string) => `apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: ${name}
spec:
  template:
    spec:
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: default
      requirements:
${requirements}
`;
const nodeClass = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  role: KarpenterNodeRole
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: c}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: c}}]
`;

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "capsicum-validate-"));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(d, f, ".."), { recursive: true });
    writeFileSync(join(d, f), text);
  }
  return d;
}

describe("capsicum validate", () => {
  it("accepts the getting-started examples (exit 0)", async () => {
    const r = await cli(["validate", "-f", join(examples, "nodepool.yaml"), "-f", join(examples, "ec2nodeclass.yaml"), "-o", "json"]);
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.out).documents;
    expect(docs.map((d: { kind: string }) => d.kind).sort()).toEqual(["EC2NodeClass", "NodePool"]);
    // and every example in the repo is valid
    expect((await cli(["validate", "-f", examples])).code).toBe(0);
    for (const d of docs) {
      expect(Object.keys(d).sort()).toEqual(["errors", "file", "kind", "name", "verdict", "warnings"]);
      expect(d.verdict).toBe("valid");
    }
  });

  it("a zone of another region is valid with a satisfiability warning; --strict fails it", async () => {
    const d = dir({
      "pools/west.yaml": nodePool("west", "        - key: topology.kubernetes.io/zone\n          operator: In\n          values: [us-west-2a]"),
      "nc.yaml": nodeClass,
    });
    const r = await cli(["validate", "-f", d, "-o", "json", "--region", "us-east-1"]);
    expect(r.code).toBe(0);
    const np = JSON.parse(r.out).documents.find((x: { kind: string }) => x.kind === "NodePool");
    expect(np).toMatchObject({ name: "west", verdict: "valid", errors: [] });
    expect(np.warnings.length).toBeGreaterThan(0);
    expect(np.warnings[0].path).toMatch(/^spec\.template\.spec\.requirements/);
    expect(np.warnings[0].message).toMatch(/us-west-2a|zone/);
    const strict = await cli(["validate", "-f", d, "--strict"]);
    expect(strict.code).toBe(1);
  });

  it("the summary names the region checked, and says so when no catalog exists for it", async () => {
    const d = dir({ "np.yaml": nodeClass + "---\n" + nodePool("p", "        - key: kubernetes.io/arch\n          operator: In\n          values: [amd64]") });
    const east = await cli(["validate", "-f", d, "--region", "us-east-1"]);
    expect(east.code).toBe(0);
    expect(east.out).toMatch(/2 document\(s\): 2 valid.*\(satisfiability against us-east-1\)/);
    const mars = await cli(["validate", "-f", d, "--region", "mars-north-1"]);
    expect(mars.code).toBe(0);
    expect(mars.err).toMatch(/mars-north-1.*requirement satisfiability is not checked/);
    expect(mars.out).toMatch(/satisfiability not checked: no catalog for mars-north-1/);
    expect(mars.out).not.toMatch(/satisfiability against/);
  });

  it("a restricted-domain typo is invalid (Karpenter's CEL rejects it) with the did-you-mean, at file:line", async () => {
    const d = dir({
      "np.yaml": "---\n" + nodeClass + "---\n" +
        nodePool("typo", "        - key: karpenter.k8s.aws/instance-categroy\n          operator: In\n          values: [c]"),
    });
    const r = await cli(["validate", "-f", join(d, "np.yaml")]);
    expect(r.code).toBe(1);
    const lines = r.out.split("\n");
    const line = lines.find(l => l.includes("requirements[0].key") && l.includes("restricted"));
    expect(line).toBeDefined();
    // the key is on line 24 of the file: 1 "---" + 9 EC2NodeClass lines + "---" + 12 lines of the NodePool head
    expect(line).toMatch(new RegExp(`^${join(d, "np.yaml").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:24: spec\\.template\\.spec\\.requirements\\[0\\]\\.key: `));
    expect(r.out).toContain("karpenter.k8s.aws/instance-category");
    const json = JSON.parse((await cli(["validate", "-f", d, "-o", "json"])).out);
    expect(json.documents.find((x: { name: string }) => x.name === "typo").verdict).toBe("invalid");
  });

  it("NotIn with empty values is valid (Karpenter accepts it) with a warning", async () => {
    const d = dir({ "a.yaml": nodePool("notin", "        - key: karpenter.sh/capacity-type\n          operator: NotIn\n          values: []") + "---\n" + nodeClass });
    const r = await cli(["validate", "-f", d, "-o", "json"]);
    expect(r.code).toBe(0);
    const np = JSON.parse(r.out).documents[0];
    expect(np.verdict).toBe("valid");
    expect(np.warnings.some((w: { message: string }) => /NotIn/.test(w.message))).toBe(true);
  });

  it("unknown fields and bad names are invalid, as strict field validation on the apiserver", async () => {
    const d = dir({ "a.yaml": nodeClass.replace("role: KarpenterNodeRole", "role: KarpenterNodeRole\n  rolle: x").replace("name: default", "name: Default_1") });
    const r = await cli(["validate", "-f", d, "-o", "json"]);
    expect(r.code).toBe(1);
    const errs = JSON.parse(r.out).documents[0].errors.map((e: { path: string }) => e.path);
    expect(errs).toEqual(expect.arrayContaining(["spec.rolle", "metadata.name"]));
  });

  it("exit 2 on usage and read errors", async () => {
    expect((await cli(["validate"])).code).toBe(2);
    expect((await cli(["validate", "-f", "/nonexistent/x.yaml"])).code).toBe(2);
    expect((await cli(["validate", "-f", examples, "--bogus"])).code).toBe(2);
    expect((await cli(["validate", "-f", examples, "-o", "yaml"])).code).toBe(2);
    const bad = dir({ "bad.yaml": "a: [1, 2\n" });
    const r = await cli(["validate", "-f", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("bad.yaml");
  });

  it("is listed in capsicum help", async () => {
    expect((await cli(["help"])).out).toMatch(/validate -f/);
  });
});
