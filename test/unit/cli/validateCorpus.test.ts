// `capsicum validate` gives Karpenter's verdict on the labelled admission corpus (test/corpus), offline: every
// create case written out as YAML (one multi-document file per kind and a file per document for line numbers),
// validated in one run, matched back by name. Updates need the stored object, which a PR has not: not replayed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { main } from "../../../src/cli/main";
import { CORPUS } from "../../corpus/karpenterCorpus";
import { namesField } from "../../corpus/verdict";

const creates = CORPUS.filter((c) => !c.old).map((c, i) => ({ ...c, name: `corpus-${i}` }));

let documents: Array<{
  file: string;
  kind: string;
  name: string;
  verdict: string;
  errors: Array<{ path: string; message: string }>;
}>;
let code: number;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "capsicum-corpus-"));
  for (const kind of ["NodePool", "EC2NodeClass", "NodeClaim", "NodeOverlay"]) {
    const docs = creates
      .filter((c) => c.kind === kind)
      .map((c) => YAML.stringify({ ...c.doc, metadata: { ...c.doc.metadata, name: c.name } }));
    writeFileSync(join(dir, `${kind}.yaml`), docs.join("---\n"));
  }
  let out = "";
  code = await main(
    ["validate", "-f", dir, "-o", "json", "--region", "us-east-1"],
    (s) => (out += s + "\n"),
    () => {},
  );
  documents = JSON.parse(out).documents;
}, 120000);

test("every corpus document is judged, and the run fails because some are invalid", () => {
  expect(documents.length).toBe(creates.length);
  expect(code).toBe(1);
});

test.each(creates.map((c) => [c.id, c] as const))("%s", (_id, c) => {
  const d = documents.find((x) => x.name === c.name && x.kind === c.kind)!;
  expect(d.verdict).toBe(c.valid ? "valid" : "invalid");
  if (!c.valid) {
    const hit = d.errors.find((e) => namesField(e.path, c.field!));
    if (!hit) throw new Error(`no error names ${c.field}: ${JSON.stringify(d.errors)}`);
    if (c.fix) expect(d.errors.map((e) => e.message).join("\n")).toContain(c.fix);
  }
});
