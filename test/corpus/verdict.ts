// capsicum's verdict on a corpus entry, offline: the same validators the webhook runs (policies/validate), with the
// ADMISSION_MODE default (findings are warnings) unless strict.
import {
  validateEC2NodeClass,
  validateNodeClaim,
  validateNodeOverlay,
  validateNodePool,
  type CatalogInstanceType,
  type ValidationResult,
} from "../../policies/validate";
import type { CorpusEntry } from "./karpenterCorpus";

export function capsicumVerdict(
  c: Pick<CorpusEntry, "kind" | "doc" | "old">,
  opts: { catalog?: readonly CatalogInstanceType[]; strict?: boolean } = {},
): ValidationResult {
  const ctx = { oldObject: c.old, strict: opts.strict, catalog: opts.catalog, nodeClassExists: () => true };
  switch (c.kind) {
    case "NodePool":
      return validateNodePool(c.doc, ctx);
    case "EC2NodeClass":
      return validateEC2NodeClass(c.doc, ctx);
    case "NodeClaim":
      return validateNodeClaim(c.doc, ctx);
    default:
      return validateNodeOverlay(c.doc, ctx);
  }
}

/** kubectl paths name the same field: `a.b[k]` = `a.b.k`; a list rule's error may name the list or an element. */
export function namesField(path: string, field: string): boolean {
  const norm = (p: string) => p.replace(/\[([^\]0-9][^\]]*)\]/g, ".$1");
  const p = norm(path);
  const f = norm(field);
  return p === f || p.startsWith(`${f}[`) || p.startsWith(`${f}.`);
}
