// The admission policy with the module running, through the real apiserver (its CRDs, then capsicum's webhooks):
//   - default mode: the labelled corpus (test/corpus, whose labels the integration oracle checks against Karpenter
//     v1.14.1's own CRDs) and Karpenter AWS's examples/v1 get Karpenter's verdict, and the webhook's warnings are
//     the ones `capsicum validate` prints; a NodePool no instance type satisfies is admitted with a warning and
//     then shows Ready=False with the reason (Argo CD: Degraded);
//   - ADMISSION_MODE=strict: the same findings deny, with the same message; valid documents without findings and
//     Karpenter's own rejections are unchanged.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { loadCatalog } from "../../src/cloudprovider/aws/catalog";
import { ApiClient, karpenterCache } from "../corpus/apiserver";
import { karpenterExamples } from "../corpus/examples";
import { CORPUS } from "../corpus/karpenterCorpus";
import { capsicumVerdict } from "../corpus/verdict";
import { E2EEnv, getJSON, kubectl, kubectlResult, root, startE2E, waitFor } from "./support";

const catalog = loadCatalog({ region: process.env.AWS_REGION ?? "us-east-1" });
const EXAMPLES_REJECTED = new Set(["examples/windows-custom-userdata.yaml#0:NodePool"]);

/** The getting-started NodePool, with a zone of another region: valid for Karpenter, launches nothing here. */
function otherRegionPool(name: string) {
  const np = YAMLDoc("examples/nodepool.yaml");
  np.metadata = { name };
  np.spec.template.spec.requirements = [
    ...(np.spec.template.spec.requirements ?? []),
    { key: "topology.kubernetes.io/zone", operator: "In", values: ["us-west-2a"] },
  ];
  return np;
}
function YAMLDoc(file: string) {
  return YAML.parse(readFileSync(join(root, file), "utf8"));
}
const named = <T extends { doc: any }>(d: T, name: string): T => ({
  ...d,
  doc: { ...d.doc, metadata: { ...d.doc.metadata, name } },
}); // eslint-disable-line @typescript-eslint/no-explicit-any
/** The apiserver's Warning header, unquoted (kubectl prints the same text after "Warning: "). */
const unquote = (ws: string[]) => ws.join("\n").replace(/\\"/g, '"');

describe("default admission mode", () => {
  let e2e: E2EEnv;
  let api: ApiClient;
  let createdClass = false;
  beforeAll(async () => {
    e2e = await startE2E();
    api = new ApiClient(process.env.KUBECONFIG!);
  }, 600000);
  afterAll(async () => {
    kubectlResult(["delete", "nodepool", "elsewhere", "--ignore-not-found"]);
    if (createdClass) kubectlResult(["delete", "ec2nodeclass", "default", "--ignore-not-found", "--wait=false"]);
    await e2e?.stop();
  }, 300000);

  test("the corpus and Karpenter's examples get Karpenter's verdict, with capsicum validate's warnings", async () => {
    const docs = [
      // Updates need a stored object (a real create the watcher would act on): the integration oracle covers them.
      ...CORPUS.filter((c) => !c.old).map((c) => ({ id: c.id, kind: c.kind, doc: c.doc, valid: c.valid })),
      ...karpenterExamples(karpenterCache()).map((e) => ({ ...e, valid: !EXAMPLES_REJECTED.has(e.id) })),
    ];
    expect(docs.length).toBeGreaterThan(400);
    const wrong: string[] = [];
    let warned = 0;
    for (let i = 0; i < docs.length; i += 8) {
      await Promise.all(
        docs.slice(i, i + 8).map(async (d, j) => {
          const name = `corpus-e2e-${i + j}`;
          const v = await api.verdict(name, d.doc);
          if (v.allowed !== d.valid) {
            wrong.push(`${d.id}: labelled ${d.valid ? "valid" : "invalid"}, got ${v.allowed ? "admitted" : v.message}`);
            return;
          }
          if (!v.allowed) return;
          // The webhook ran (its failurePolicy is Ignore, so an admission alone proves nothing) and said what
          // `capsicum validate` says; it may add a missing-EC2NodeClass warning (offline assumes it exists).
          const header = unquote(v.warnings);
          for (const w of capsicumVerdict(named(d, name), { catalog }).warnings) {
            warned++;
            if (!header.includes(w.slice(0, 120))) wrong.push(`${d.id}: warning missing: ${w} | got: ${header}`);
          }
        }),
      );
    }
    expect(wrong).toEqual([]);
    expect(warned).toBeGreaterThan(10);
  }, 600000);

  test("a NodePool no instance type satisfies is admitted with a warning, then Ready=False with why", async () => {
    const res = kubectlResult(["apply", "-f", "-"], JSON.stringify(otherRegionPool("elsewhere")));
    expect(res.ok).toBe(true);
    expect(res.out).toMatch(/Warning: spec\.template\.spec\.requirements.*us-west-2a/);
    createdClass = !kubectlResult(["get", "ec2nodeclass", "default"]).ok;
    kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
    const ready = await waitFor(
      "NodePool elsewhere Ready=False",
      async () => {
        const np = getJSON(["get", "nodepool", "elsewhere"]);
        const c = (np.status?.conditions ?? []).find((x: { type: string }) => x.type === "Ready");
        return c?.status === "False" && /ValidationSucceeded=False/.test(c.message) ? c : undefined;
      },
      120000,
    );
    expect(ready.message).toMatch(/no instance type satisfies the requirements/);
    expect(ready.message).toContain("us-west-2a");
  }, 180000);

  test("a misspelt well-known key is rejected by the CRD with the did-you-mean", () => {
    const np = YAMLDoc("examples/nodepool.yaml");
    np.metadata = { name: "typo" };
    np.spec.template.spec.requirements.push({
      key: "karpenter.k8s.aws/instance-categroy",
      operator: "In",
      values: ["c"],
    });
    const res = kubectlResult(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(np));
    expect(res.ok).toBe(false);
    expect(res.out).toContain('did you mean "karpenter.k8s.aws/instance-category"?');
  });
});

describe("strict admission mode (ADMISSION_MODE=strict)", () => {
  let e2e: E2EEnv;
  beforeAll(async () => {
    e2e = await startE2E({ ADMISSION_MODE: "strict" });
  }, 600000);
  afterAll(async () => {
    await e2e?.stop();
  }, 300000);

  const dryRun = (doc: unknown) => kubectlResult(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(doc));

  test("a NodePool no instance type satisfies is denied by the webhook with the same message", async () => {
    const np = otherRegionPool("strict-elsewhere");
    const expected = capsicumVerdict({ kind: "NodePool", doc: np }, { catalog, strict: true });
    expect(expected.allowed).toBe(false);
    // The module's webhook registers after its build: retry until it answers.
    const res = await waitFor(
      "strict webhook denies",
      async () => {
        const r = dryRun(np);
        return r.ok ? undefined : r;
      },
      120000,
    );
    expect(res.out).toContain("denied the request");
    expect(res.out).toContain("spec.template.spec.requirements");
    expect(res.out).toContain("us-west-2a");
  });

  test("corpus documents with capsicum findings are denied; those without are admitted", async () => {
    const api = new ApiClient(process.env.KUBECONFIG!);
    const valid = CORPUS.filter((c) => c.valid && !c.old);
    const withFindings = valid.filter((c) => capsicumVerdict(c, { catalog }).warnings.length > 0).slice(0, 20);
    const clean = valid.filter((c) => capsicumVerdict(c, { catalog }).warnings.length === 0).slice(0, 20);
    expect(withFindings.length).toBeGreaterThan(5);
    const wrong: string[] = [];
    for (const [i, c] of [...withFindings, ...clean].entries()) {
      const name = `strict-${i}`;
      const strict = capsicumVerdict(named(c, name), { catalog, strict: true });
      const v = await api.verdict(name, c.doc);
      // In the cluster the node class of a NodePool may be missing: that is a finding too.
      const missingClass = /EC2NodeClass "[^"]*" does not exist yet/.test(v.message);
      if (v.allowed !== strict.allowed && !(missingClass && !v.allowed))
        wrong.push(`${c.id}: offline strict ${strict.allowed ? "admits" : "denies"}, cluster ${v.message || "admits"}`);
      if (!strict.allowed && !v.message.includes(strict.errors[0]!.message.slice(0, 80)))
        wrong.push(`${c.id}: expected "${strict.errors[0]!.message}" in: ${v.message}`);
    }
    expect(wrong).toEqual([]);
  });

  test("Karpenter's own rejections are unchanged", () => {
    const np = YAMLDoc("examples/nodepool.yaml");
    np.metadata = { name: "strict-bad" };
    np.spec.disruption.consolidateAfter = "5 minutes";
    const res = dryRun(np);
    expect(res.ok).toBe(false);
    expect(res.out).toContain("spec.disruption.consolidateAfter");
  });
});
