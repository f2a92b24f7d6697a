import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { formatDenial, validateEC2NodeClass, validateNodeClaim, validateNodePool, type ValidationResult } from "../../../policies/validate";
import { INVALID_CASES, type InvalidCase } from "./invalidCases";

const catalog = loadCatalog();

function run(c: InvalidCase): ValidationResult {
  const ctx = { oldObject: c.old, catalog: c.needsCatalog ? catalog : undefined, nodeClassExists: () => true };
  if (c.kind === "NodePool") return validateNodePool(c.doc, ctx);
  if (c.kind === "EC2NodeClass") return validateEC2NodeClass(c.doc, ctx);
  return validateNodeClaim(c.doc, ctx);
}

describe("invalid documents are rejected with a message naming the field", () => {
  it("the table has at least 40 cases with unique names", () => {
    expect(INVALID_CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(INVALID_CASES.map(c => c.name)).size).toBe(INVALID_CASES.length);
  });

  it.each(INVALID_CASES.map(c => [c.name, c] as const))("%s", (_name, c) => {
    const r = run(c);
    expect(r.allowed).toBe(false);
    const hit = r.errors.find(e => e.path === c.path && e.message.includes(c.message));
    if (!hit) throw new Error(`expected ${c.path}: …${c.message}… in\n${formatDenial(r.errors)}`);
    expect(formatDenial(r.errors)).toContain(`${c.path}: `);
    const apiserverLayer = r.errors.some(e => e.source === "schema" || e.source === "cel");
    expect(apiserverLayer).toBe(c.layer === "apiserver");
  });
});
