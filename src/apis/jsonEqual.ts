// Whether two JSON values say the same thing, whatever the order of their object keys. An object read back from the
// apiserver does not keep the key order it was written with (a custom resource is stored and served with its keys
// sorted; a map such as labels is always served sorted), so comparing JSON strings of a computed value and a
// served one reports a change that is not there, and a controller that patches on "changed" patches forever.
// Arrays are ordered; a key whose value is undefined counts as absent, as in JSON.

type Json = unknown;

export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as Json[];
    if (a.length !== bs.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bs[i])) return false;
    return true;
  }
  const ao = a as Record<string, Json>;
  const bo = b as Record<string, Json>;
  let n = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    n++;
    if (!jsonEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (bo[k] !== undefined) n--;
  return n === 0;
}
