// Chaos scenario 11: 10,000 generated documents (3,000 NodePools and 2,000 EC2NodeClasses mutated from the corpus,
// 5,000 Pods) through what the webhooks run and through `capsicum validate`. No crash; the structural verdict equals
// the CRD's own openAPIV3Schema (crds/*.yaml, compiled separately, with the apiserver's set-list uniqueness; unknown
// fields aside, which that schema ignores and kubectl's strict field validation rejects); by default only Karpenter's rules (schema,
// CEL) deny; every rejection names a field and has a message; `capsicum validate` gives each document the
// webhook's verdict and errors. Pods: defaulting never throws, never overrides, and is idempotent.
// (Latency per document is a performance target: `npm run bench` measures admission, not this test.)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { applyDefaults, formatDenial, newKubeAjv, validateEC2NodeClass, validateNodePool, type ValidationResult } from "../../../policies/validate";
import { defaultPod, parsePodDefaultsConfigMap } from "../../../policies/podDefaults";
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { main } from "../../../src/cli/main";
import { fuzzKarpenterDocs, fuzzPods, type FuzzDoc } from "../../corpus/fuzz";

const root = join(__dirname, "../../..");
/** The apiserver's structural rules ajv does not know: `x-kubernetes-list-type: set` lists reject duplicates. */
function withListTypes(s: any): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (Array.isArray(s)) return s.map(withListTypes);
  if (!s || typeof s !== "object") return s;
  const out = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, withListTypes(v)]));
  if (s["x-kubernetes-list-type"] === "set") out.uniqueItems = true;
  return out;
}
const crdSchema = (file: string) =>
  withListTypes(YAML.parseAllDocuments(readFileSync(join(root, "crds", file), "utf8")).map(d => d.toJS()).find(Boolean).spec.versions[0].schema.openAPIV3Schema);
const ajv = newKubeAjv();
const crd = {
  NodePool: ajv.compile(crdSchema("karpenter.sh_nodepools.yaml")),
  EC2NodeClass: ajv.compile(crdSchema("karpenter.k8s.aws_ec2nodeclasses.yaml")),
};

const docs: FuzzDoc[] = [...fuzzKarpenterDocs(3000, ["NodePool"], 1601), ...fuzzKarpenterDocs(2000, ["EC2NodeClass"], 1602)];
const catalog = loadCatalog({ region: "us-east-1" });

/** What the NodePool/EC2NodeClass webhooks run (capabilities/admission.ts), default admission mode. */
function admit(d: FuzzDoc): ValidationResult {
  return d.kind === "NodePool"
    ? validateNodePool(d.doc, { catalog, nodeClassExists: () => true })
    : validateEC2NodeClass(d.doc, {});
}

describe("chaos: admission fuzz (10,000 documents)", () => {
  const verdicts = new Map<string, ValidationResult>();

  it("5,000 NodePool/EC2NodeClass documents: no crash, the CRD schema's verdict, only Karpenter's rules deny, every rejection explained", () => {
    const seen = { allowed: 0, denied: 0, schemaDisagreements: [] as string[] };
    for (const d of docs) {
      const r = admit(d);
      verdicts.set(d.doc.metadata.name, r);
      const schemaOk = r.errors.every(e => e.source !== "schema" || e.message.startsWith("unknown field"));
      const crdOk = crd[d.kind as "NodePool" | "EC2NodeClass"](applyDefaults(d.kind, d.doc));
      if (schemaOk !== crdOk) seen.schemaDisagreements.push(`${d.id}: capsicum ${schemaOk ? "accepts" : "rejects"}, CRD schema ${crdOk ? "accepts" : "rejects"}: ${JSON.stringify(r.errors)}`);
      expect(r.allowed).toBe(r.errors.length === 0);
      // Default mode: capsicum-only checks are findings (warnings), never denials.
      for (const e of r.errors) expect(e.source === "schema" || e.source === "cel").toBe(true);
      if (!r.allowed) {
        for (const e of r.errors) {
          expect(typeof e.path).toBe("string");
          expect(e.message.trim().length).toBeGreaterThan(0);
        }
        const text = formatDenial(r.errors);
        for (const e of r.errors) expect(text).toContain(e.message);
      }
      seen[r.allowed ? "allowed" : "denied"]++;
    }
    expect(seen.schemaDisagreements.slice(0, 5)).toEqual([]);
    // Both verdicts exercised in volume.
    expect(seen.allowed).toBeGreaterThan(500);
    expect(seen.denied).toBeGreaterThan(500);
  }, 240_000);

  it("capsicum validate over the same 5,000 documents (multi-document files): the webhook's verdict and errors for each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capsicum-fuzz-"));
    for (let f = 0; f < docs.length; f += 500)
      writeFileSync(join(dir, `docs-${f / 500}.yaml`), docs.slice(f, f + 500).map(d => YAML.stringify(d.doc)).join("---\n"));
    let out = "";
    const code = await main(["validate", "-f", dir, "--region", "us-east-1", "-o", "json"], s => { out += s + "\n"; }, () => undefined);
    const byName = new Map<string, { verdict: string; errors: Array<{ path: string; message: string }> }>();
    for (const v of JSON.parse(out).documents) byName.set(`${v.kind}/${v.name}`, v);
    expect(byName.size).toBe(docs.length);
    let denied = 0;
    for (const d of docs) {
      const name = d.doc.metadata.name;
      const hook = verdicts.get(name) ?? admit(d);
      const cli = byName.get(`${d.kind}/${name}`)!;
      expect({ name, verdict: cli.verdict }).toEqual({ name, verdict: hook.allowed ? "valid" : "invalid" });
      expect(cli.errors.map(e => e.message).sort()).toEqual(hook.errors.map(e => e.message).sort());
      if (!hook.allowed) denied++;
    }
    expect(code).toBe(denied > 0 ? 1 : 0);
  }, 240_000);

  it("5,000 Pods through the defaulting webhook: no crash, nothing the pod set is overridden, a second pass changes nothing", () => {
    const policy = parsePodDefaultsConfigMap({
      defaultCpuRequest: "250m", defaultMemoryRequest: "256Mi",
      nodeRequirements: "- {key: kubernetes.io/arch, operator: In, values: [amd64]}\n- {key: karpenter.sh/capacity-type, operator: Exists}",
    });
    let changed = 0;
    for (const pod of fuzzPods(5000, 1603)) {
      const { patchedPod, changes } = defaultPod(structuredClone(pod), policy);
      if (changes.length) changed++;
      pod.spec.containers.forEach((c: { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }, i: number) => {
        for (const [k, v] of Object.entries(c.resources?.requests ?? {})) expect(patchedPod.spec!.containers![i]!.resources!.requests![k]).toBe(v);
        for (const [k, v] of Object.entries(c.resources?.limits ?? {})) expect(patchedPod.spec!.containers![i]!.resources!.limits![k]).toBe(v);
      });
      for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) expect(patchedPod.spec!.nodeSelector![k]).toBe(v);
      expect(defaultPod(structuredClone(patchedPod), policy).changes).toEqual([]);
    }
    expect(changed).toBeGreaterThan(1500);
  }, 60_000);
});
