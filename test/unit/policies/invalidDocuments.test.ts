import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { formatDenial, validateEC2NodeClass, validateNodeClaim, validateNodePool, type ValidationResult } from "../../../policies/validate";
import { INVALID_CASES, type InvalidCase } from "./invalidCases";

const catalog = loadCatalog();

function run(c: InvalidCase, strict = false): ValidationResult {
  const ctx = { strict, oldObject: c.old, catalog: c.needsCatalog ? catalog : undefined, nodeClassExists: () => true };
  if (c.kind === "NodePool") return validateNodePool(c.doc, ctx);
  if (c.kind === "EC2NodeClass") return validateEC2NodeClass(c.doc, ctx);
  return validateNodeClaim(c.doc, ctx);
}

describe("invalid documents are rejected with a message naming the field", () => {
  it("the table has at least 40 cases with unique names", () => {
    expect(INVALID_CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(INVALID_CASES.map(c => c.name)).size).toBe(INVALID_CASES.length);
  });

  // Karpenter's CRDs reject the apiserver-layer cases: denied in every mode. capsicum-only findings deny in strict
  // mode only; by default the same message is an admission warning and the object is admitted.
  it.each(INVALID_CASES.filter(c => c.layer !== "apiserver").map(c => [c.name, c] as const))(
    "default mode admits with a warning: %s",
    (_name, c) => {
      const r = run(c);
      expect(r.errors.filter(e => e.source !== "check")).toEqual([]);
      expect(r.allowed).toBe(true);
      const w = r.warnings.find(x => x.startsWith(`${c.path}: `) && x.includes(c.message));
      if (!w) throw new Error(`expected warning ${c.path}: …${c.message}… in\n${r.warnings.join("\n")}`);
      expect(r.findings?.some(f => f.path === c.path && f.message.includes(c.message))).toBe(true);
    },
  );

  it.each(INVALID_CASES.map(c => [c.name, c] as const))("strict mode denies: %s", (_name, c) => {
    const r = run(c, true);
    expect(r.allowed).toBe(false);
    const hit = r.errors.find(e => e.path === c.path && e.message.includes(c.message));
    if (!hit) throw new Error(`expected ${c.path}: …${c.message}… in\n${formatDenial(r.errors)}`);
    expect(formatDenial(r.errors)).toContain(`${c.path}: `);
    const apiserverLayer = r.errors.some(e => e.source === "schema" || e.source === "cel");
    expect(apiserverLayer).toBe(c.layer === "apiserver");
  });
});
