// Messages for Karpenter's CEL rules that name the offending value, a "did you mean" for a misspelt well-known key,
// and the fix. The per-key rule (requirements[].key) also gets a CEL messageExpression with the same text, so the
// apiserver prints it too. Rules over a whole list or label map keep their static message in the CRD: the
// apiserver's cost estimate for a messageExpression there (every item x every well-known name) exceeds its budget
// (kube-apiserver 1.34 refuses such a CRD); `capsicum validate` prints the detailed text for those.
import { CEL_HINTS } from "../validate/hints";

/** A CEL single-quoted string literal. */
export const celStr = (s: string): string => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
const celList = (xs: readonly (string | number)[]): string =>
  `[${xs.map((x) => (typeof x === "number" ? String(x) : celStr(x))).join(", ")}]`;

const hintOf = (message: string): string => CEL_HINTS[message] ?? "";

/** The part of a label key after its domain ("instance-category" of karpenter.k8s.aws/instance-category). */
const nameOf = (k: string): string => k.substring(k.indexOf("/") + 1);

/**
 * `s` is one local edit away from `name`: `name` with 2 characters at one position replaced by 0–3 others (a
 * deleted, inserted, changed or swapped character). The CEL below computes exactly this.
 */
export function nearName(name: string, s: string): boolean {
  if (!(name.length - 2 <= s.length && s.length <= name.length + 1)) return false;
  for (let p = 0; p <= name.length - 2 && p <= MAX_POSITION; p++)
    if (s.startsWith(name.substring(0, p)) && s.endsWith(name.substring(p + 2))) return true;
  return false;
}
const MAX_POSITION = 40; // longer than every well-known key's name part
const POSITIONS = Array.from({ length: MAX_POSITION + 1 }, (_, i) => i);

function nearNameCel(nameExpr: string, sExpr: string): string {
  return (
    `size(${nameExpr}) - 2 <= size(${sExpr}) && size(${sExpr}) <= size(${nameExpr}) + 1 && ` +
    `${celList(POSITIONS)}.exists(p, p <= size(${nameExpr}) - 2 && ${sExpr}.startsWith(${nameExpr}.substring(0, p)) && ${sExpr}.endsWith(${nameExpr}.substring(p + 2)))`
  );
}

/** The first allowed key whose name part is one local edit from `key`'s, if any. */
export function suggestKey(key: string, domain: string, allowed: readonly string[]): string | undefined {
  const s = nameOf(key);
  const hit = allowed.map(nameOf).find((n) => nearName(n, s));
  return hit === undefined ? undefined : `${domain}/${hit}`;
}

/** Restricted-domain rule on a single key (requirements[].key). */
export function keyDomainMessage(domain: string, allowed: readonly string[], message: string) {
  const names = allowed.map(nameOf);
  const hint = hintOf(message);
  const sn = "self.substring(self.indexOf('/') + 1)";
  const expression =
    `${celStr(`${message}: "`)} + self + ${celStr(`" is not a well-known ${domain} label`)} + ` +
    `(${celList(names)}.exists(n, ${nearNameCel("n", sn)}) ? ` +
    `${celStr(`; did you mean "${domain}/`)} + ${celList(names)}.filter(n, ${nearNameCel("n", sn)})[0] + '"?' : ${celStr(hint ? `; ${hint}` : "")})`;
  const messageFor = (k: string): string => {
    const near = suggestKey(k, domain, allowed);
    return `${message}: "${k}" is not a well-known ${domain} label${near ? `; did you mean "${near}"?` : hint ? `; ${hint}` : ""}`;
  };
  return { expression, messageFor };
}

/** Restricted-domain rule on a label map: names the offending keys (with the suggestion for the first). */
export function mapKeyDomainMessage(
  domain: string,
  allowed: readonly string[],
  message: string,
  isOffending: (k: string) => boolean,
) {
  const hint = hintOf(message);
  const messageFor = (m: Record<string, unknown>): string => {
    const bad = Object.keys(m).sort().filter(isOffending);
    const near = suggestKey(bad[0]!, domain, allowed);
    return (
      `${message}: ${bad.map((k) => `"${k}"`).join(", ")} ${bad.length === 1 ? "is not a well-known label" : "are not well-known labels"}` +
      (near ? `; did you mean "${near}"?` : hint ? `; ${hint}` : "")
    );
  };
  return { messageFor };
}

/** A list rule over requirements: names the requirements that break it (`key operator [values]`). */
export function requirementListMessage(message: string, isOffending: (x: any) => boolean) {
  const hint = hintOf(message);
  const messageFor = (xs: any[]): string => {
    const described = xs
      .filter(isOffending)
      .map(
        (x) =>
          `${x.key} ${x.operator}${Array.isArray(x.values) ? ` [${x.values.join(", ")}]` : ""}${x.minValues !== undefined ? ` minValues ${x.minValues}` : ""}`,
      );
    return `${message} (${described.join("; ")})${hint ? `; ${hint}` : ""}`;
  };
  return { messageFor };
}
