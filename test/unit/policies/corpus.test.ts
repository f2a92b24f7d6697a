// capsicum's default admission verdict on the labelled corpus (test/corpus): never denies what Karpenter v1.14.1's
// CRDs accept, always denies what they reject, and the rejection names the field and how to fix it. The labels
// themselves are checked against Karpenter's CRDs in a real apiserver by test/integration/apis/corpusOracle.test.ts.
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { CORPUS, type CorpusEntry } from "../../corpus/karpenterCorpus";
import { capsicumVerdict, namesField } from "../../corpus/verdict";

const catalog = loadCatalog();

describe("admission corpus: capsicum's default verdict is Karpenter's", () => {
  it("covers every kind with valid and invalid documents", () => {
    expect(new Set(CORPUS.map((c) => c.id)).size).toBe(CORPUS.length);
    for (const kind of ["NodePool", "EC2NodeClass", "NodeClaim", "NodeOverlay"]) {
      expect(CORPUS.filter((c) => c.kind === kind && c.valid).length).toBeGreaterThan(5);
      expect(CORPUS.filter((c) => c.kind === kind && !c.valid).length).toBeGreaterThan(5);
    }
    expect(CORPUS.length).toBeGreaterThan(400);
  });

  const rows = CORPUS.map((c) => [c.id, c] as [string, CorpusEntry]);
  it.each(rows)("%s", (_id, c) => {
    const r = capsicumVerdict(c, { catalog });
    if (c.valid) {
      expect({ allowed: r.allowed, errors: r.errors }).toEqual({ allowed: true, errors: [] });
      return;
    }
    expect(r.allowed).toBe(false);
    const hit = r.errors.find((e) => namesField(e.path, c.field!));
    if (!hit)
      throw new Error(`no error names ${c.field}:\n${r.errors.map((e) => `${e.path}: ${e.message}`).join("\n")}`);
    if (c.fix) expect(r.errors.map((e) => e.message).join("\n")).toContain(c.fix);
  });

  it.each(rows.filter(([, c]) => !c.valid))("%s: every rejection says what to do", (_id, c) => {
    for (const e of capsicumVerdict(c, { catalog }).errors) expect(e.message).toMatch(ACTIONABLE);
  });

  it("strict mode never admits a document Karpenter rejects", () => {
    for (const c of CORPUS.filter((x) => !x.valid))
      expect(capsicumVerdict(c, { catalog, strict: true }).allowed).toBe(false);
  });
});

/** A rejection that says what to do: a fix, an example, the valid choices or the limit. */
export const ACTIONABLE =
  /use |set |add |remove |lower |list |select |omit|create a new|change |did you mean|e\.g\.|such as|supported values|expected one of|valid keys|must |may not|cannot|should|at most|at least|less than|greater than|only |either|mutually exclusive|Required value|not allowed|Karpenter sets/i;
