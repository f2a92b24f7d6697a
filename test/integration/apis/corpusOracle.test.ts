// The admission corpus against the oracle: a second kube-apiserver serving Karpenter v1.14.1's own CRDs. For every
// document (test/corpus and Karpenter AWS's examples/v1), as `kubectl apply` sends it (strict field validation):
//   - the corpus label is the oracle's verdict (so the offline unit tests on the labels test Karpenter's verdict);
//   - the shared apiserver with capsicum's generated CRDs (crds/) gives the same verdict;
//   - capsicum's offline validators (the webhook's and `capsicum validate`'s code) give the same verdict;
//   - a rejection by capsicum's CRDs names the field.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { ApiClient, karpenterCache, startOracle, type ApiVerdict, type Oracle } from "../../corpus/apiserver";
import { karpenterExamples } from "../../corpus/examples";
import { CORPUS, type CorpusEntry } from "../../corpus/karpenterCorpus";
import { capsicumVerdict } from "../../corpus/verdict";

const root = join(__dirname, "../../..");
const catalog = loadCatalog();
let oracle: Oracle;
let capsicum: ApiClient;

interface Row {
  id: string;
  entry: Pick<CorpusEntry, "kind" | "doc" | "old"> & Partial<CorpusEntry>;
  karpenter: ApiVerdict;
  ours: ApiVerdict;
}
const rows: Row[] = [];
const examples = karpenterExamples(karpenterCache());

const nameOf = (i: number) => `corpus-${i}`;

/**
 * Karpenter's examples/v1 documents its own CRDs reject, with the field (kept here so a new Karpenter version that
 * fixes or breaks an example fails the test): windows-custom-userdata's nodeClassRef.group is "karpenter.k8s.aws/v1",
 * which the group pattern refuses.
 */
const EXAMPLES_REJECTED: Record<string, string> = {
  "examples/windows-custom-userdata.yaml#0:NodePool": "spec.template.spec.nodeClassRef.group",
};

beforeAll(async () => {
  oracle = await startOracle();
  execFileSync(
    process.env.KUBECTL ?? "kubectl",
    ["apply", "--server-side", "--force-conflicts", "-f", join(root, "crds")],
    { stdio: "pipe" },
  );
  execFileSync(
    process.env.KUBECTL ?? "kubectl",
    [
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      "crd",
      "nodepools.karpenter.sh",
      "nodeclaims.karpenter.sh",
      "ec2nodeclasses.karpenter.k8s.aws",
      "nodeoverlays.karpenter.sh",
    ],
    { stdio: "pipe" },
  );
  capsicum = new ApiClient(process.env.KUBECONFIG!);
  const all: Array<{ id: string; entry: Row["entry"] }> = [
    ...CORPUS.map((c) => ({ id: c.id, entry: c })),
    ...examples.map((e) => ({
      id: e.id,
      entry: { kind: e.kind, doc: e.doc, valid: !EXAMPLES_REJECTED[e.id], field: EXAMPLES_REJECTED[e.id] },
    })),
  ];
  // A few at a time: two apiservers on a shared 2-core machine.
  for (let i = 0; i < all.length; i += 8) {
    await Promise.all(
      all.slice(i, i + 8).map(async ({ id, entry }, j) => {
        const name = nameOf(i + j);
        const [karpenter, ours] = await Promise.all([
          oracle.client.verdict(name, entry.doc, entry.old),
          capsicum.verdict(name, entry.doc, entry.old),
        ]);
        rows.push({ id, entry, karpenter, ours });
      }),
    );
  }
}, 600000);

afterAll(async () => {
  await oracle?.stop();
});

const brief = (v: ApiVerdict) => (v.allowed ? "accepted" : `rejected: ${v.message}`);

test("Karpenter's examples/v1 are cached and replayed", () => {
  expect(examples.length).toBeGreaterThan(20);
});

test("every corpus label is Karpenter's verdict", () => {
  const wrong = rows.filter((r) => r.entry.valid !== undefined && r.entry.valid !== r.karpenter.allowed);
  expect(
    wrong.map((r) => `${r.id}: labelled ${r.entry.valid ? "valid" : "invalid"}, Karpenter ${brief(r.karpenter)}`),
  ).toEqual([]);
});

test("Karpenter accepts its own examples, except those listed as rejected", () => {
  const wrong = rows.filter((r) => r.id.startsWith("examples/") && r.karpenter.allowed !== !EXAMPLES_REJECTED[r.id]);
  expect(wrong.map((r) => `${r.id}: ${brief(r.karpenter)}`)).toEqual([]);
});

test("capsicum's CRDs give Karpenter's verdict on every document", () => {
  const diff = rows.filter((r) => r.karpenter.allowed !== r.ours.allowed);
  expect(diff.map((r) => `${r.id}: Karpenter ${brief(r.karpenter)} | capsicum ${brief(r.ours)}`)).toEqual([]);
});

test("capsicum's offline validators give Karpenter's verdict on every document", () => {
  const diff = rows.flatMap((r) => {
    const v = capsicumVerdict(r.entry, { catalog });
    return v.allowed === r.karpenter.allowed
      ? []
      : [
          `${r.id}: Karpenter ${brief(r.karpenter)} | capsicum offline ${v.allowed ? "accepted" : v.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
        ];
  });
  expect(diff).toEqual([]);
});

test("a rejection by capsicum's CRDs names the field", () => {
  const unnamed = rows.filter((r) => {
    if (r.ours.allowed || !r.entry.field) return false;
    const f = r.entry.field;
    const dotted = f.replace(/\[([^\]0-9][^\]]*)\]/g, ".$1");
    const list = f.replace(/\[[^\]]*\](\.[^.[\]]+)?$/, "");
    // `spec.x: Invalid value ...`, `spec.x[0]: ...`, or for strict field validation `unknown field "spec.x"`
    const m = r.ours.message;
    return ![f, dotted, list].some((p) => [`${p}:`, `${p}[`, `${p}.`, `"${p}"`].some((s) => m.includes(s)));
  });
  expect(unnamed.map((r) => `${r.id}: expected ${r.entry.field} in: ${r.ours.message}`)).toEqual([]);
});

describe("capsicum's CRDs: the same rejection as Karpenter's, with a message that says how to fix it", () => {
  const validPool = () =>
    structuredClone(CORPUS.find((c) => c.kind === "NodePool" && c.valid && !c.old && c.doc.spec?.template?.spec)!.doc);
  // [case, mutation, what the apiserver prints, what `capsicum validate` prints]
  const cases: Array<[string, (np: any) => void, string, string]> = [
    [
      "a misspelt well-known requirement key: the messageExpression names it and the key meant",
      (np) =>
        np.spec.template.spec.requirements.push({
          key: "karpenter.k8s.aws/instance-categroy",
          operator: "In",
          values: ["c"],
        }),
      'label domain "karpenter.k8s.aws" is restricted: "karpenter.k8s.aws/instance-categroy" is not a well-known karpenter.k8s.aws label; did you mean "karpenter.k8s.aws/instance-category"?',
      'label domain "karpenter.k8s.aws" is restricted: "karpenter.k8s.aws/instance-categroy" is not a well-known karpenter.k8s.aws label; did you mean "karpenter.k8s.aws/instance-category"?',
    ],
    [
      "a misspelt well-known template label: the static message with the fix (offline: the key meant)",
      (np) => (np.spec.template.metadata = { labels: { "karpenter.k8s.aws/instance-famly": "c5" } }),
      'label domain "karpenter.k8s.aws" is restricted; only the well-known karpenter.k8s.aws/* labels may be used',
      'did you mean "karpenter.k8s.aws/instance-family"?',
    ],
    [
      "an ordering operator with a non-integer value (offline: the requirement named)",
      (np) =>
        np.spec.template.spec.requirements.push({
          key: "karpenter.k8s.aws/instance-cpu",
          operator: "Gt",
          values: ["many"],
        }),
      "must have a single positive integer value",
      "karpenter.k8s.aws/instance-cpu Gt [many]",
    ],
  ];
  test.each(cases)("%s", async (_name, mutate, apiserver, offline) => {
    const np = validPool();
    mutate(np);
    const [karpenter, ours] = await Promise.all([oracle.client.verdict("typo", np), capsicum.verdict("typo", np)]);
    expect(karpenter.allowed).toBe(false);
    expect(ours.allowed).toBe(false);
    expect(ours.message).toContain(apiserver);
    const v = capsicumVerdict({ kind: "NodePool", doc: np }, { catalog });
    expect(v.errors.map((e) => e.message).join("\n")).toContain(offline);
  });
});
