// `capsicum validate -f <files|dirs>... [--strict] [--region R] [-o json]`: the admission verdict offline, for pull
// requests. Every NodePool, NodeClaim, EC2NodeClass and NodeOverlay (and v1alpha5 Provisioner / AWSNodeTemplate)
// gets the CRDs' schema + CEL rules (what Karpenter's CRDs reject = "invalid") and capsicum's findings (warnings:
// satisfiability against the region's catalog, typos, cron, node class references, ...). Other kinds are skipped.
// Exit 0 all valid; 1 any invalid (with --strict, any warning); 2 usage or read errors.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { LineCounter, isMap, isSeq, parseAllDocuments, type Document } from "yaml";
import {
  validateAWSNodeTemplate,
  validateEC2NodeClass,
  validateNodeClaim,
  validateNodeOverlay,
  validateNodePool,
  validateProvisioner,
  type FieldError,
  type ValidationResult,
} from "../../policies/validate";
import { parseWarning } from "../../policies/validate/engine";
import { loadCatalog } from "../cloudprovider/aws/catalog";

export const VALIDATE_USAGE =
  "usage: capsicum validate -f <files or dirs>... [--strict] [--region REGION] [-o text|json]";

export interface DocumentVerdict {
  file: string;
  kind: string;
  name: string;
  verdict: "valid" | "invalid";
  errors: Array<{ path: string; message: string }>;
  warnings: Array<{ path: string; message: string }>;
  /** 1-based line of the document start (not part of the JSON contract). */
  line?: number;
}

/** apiVersion each kind is served at (as Karpenter v1.14's CRDs and capsicum's v1alpha5 CRDs). */
const SERVED: Record<string, string> = {
  NodePool: "karpenter.sh/v1",
  NodeClaim: "karpenter.sh/v1",
  NodeOverlay: "karpenter.sh/v1alpha1",
  EC2NodeClass: "karpenter.k8s.aws/v1",
  Provisioner: "karpenter.sh/v1alpha5",
  AWSNodeTemplate: "karpenter.k8s.aws/v1alpha1",
};
const GROUPS = new Set(["karpenter.sh", "karpenter.k8s.aws"]);

interface Parsed {
  file: string;
  obj: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  doc: Document;
  lines: LineCounter;
}

class ReadError extends Error {}

function yamlFiles(path: string): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new ReadError(`${path}: no such file or directory`);
  if (st.isFile()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((f) => {
      const p = join(path, f);
      return statSync(p).isDirectory() ? yamlFiles(p) : /\.(ya?ml|json)$/.test(f) ? [p] : [];
    });
}

function readAll(paths: string[]): Parsed[] {
  const out: Parsed[] = [];
  for (const file of paths.flatMap(yamlFiles)) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new ReadError(`${file}: ${(e as Error).message}`);
    }
    const lines = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false })) {
      if (doc.errors.length) {
        const pos = doc.errors[0]!.linePos?.[0];
        throw new ReadError(
          `${file}${pos ? `:${pos.line}` : ""}: invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`,
        );
      }
      const obj = doc.toJS({ maxAliasCount: 1000 });
      if (!obj || typeof obj !== "object") continue;
      if (obj.kind === "List" && Array.isArray(obj.items)) {
        for (const o of obj.items) out.push({ file, obj: o, doc, lines });
      } else out.push({ file, obj, doc, lines });
    }
  }
  return out;
}

/** `spec.a[0].b[key]` → ["spec","a",0,"b","key"]. */
function segments(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  const re = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) out.push(m[1]);
    else out.push(/^\d+$/.test(m[2]!) ? Number(m[2]) : m[2]!);
  }
  return out;
}

/** Line of the deepest YAML node that exists along `path` (the document start when none does). */
function lineOf(p: Parsed, path: string): number {
  const start = p.doc.contents?.range?.[0] ?? 0;
  let node: unknown = p.doc.contents;
  let offset = start;
  for (const seg of segments(path)) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown })?.value === seg);
      if (!pair) break;
      offset = (pair.key as { range?: [number, number, number] })?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as { range?: [number, number, number] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return p.lines.linePos(offset).line;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function verdictFor(p: Parsed, all: Parsed[], opts: { strict: boolean; catalog?: any[] }): DocumentVerdict | undefined {
  const o = p.obj;
  const kind = typeof o.kind === "string" ? o.kind : "";
  const group = typeof o.apiVersion === "string" ? o.apiVersion.split("/")[0] : "";
  if (!(kind in SERVED) && !GROUPS.has(group)) return undefined; // not a Karpenter kind: not ours to judge
  const name = typeof o.metadata?.name === "string" ? o.metadata.name : "";
  const base = { file: p.file, kind, name, line: lineOf(p, "") };
  if (!(kind in SERVED) || o.apiVersion !== SERVED[kind]) {
    const served = SERVED[kind];
    const message = served
      ? `apiVersion "${o.apiVersion}" is not served for ${kind}; use apiVersion: ${served}`
      : `no kind "${kind}" is served in ${o.apiVersion}; known kinds: ${Object.entries(SERVED)
          .filter(([, v]) => v.startsWith(`${group}/`))
          .map(([k, v]) => `${k} (${v})`)
          .join(", ")}`;
    return { ...base, verdict: "invalid", errors: [{ path: "apiVersion", message }], warnings: [] };
  }
  const nodeClasses = all.filter((x) => x.obj?.kind === "EC2NodeClass" && x.obj?.apiVersion === SERVED.EC2NodeClass);
  let r: ValidationResult;
  switch (kind) {
    case "NodePool": {
      const ref = o.spec?.template?.spec?.nodeClassRef;
      const nc = nodeClasses.find((x) => x.obj.metadata?.name === ref?.name)?.obj;
      r = validateNodePool(o, {
        strict: opts.strict,
        catalog: opts.catalog,
        nodeClass: nc,
        // Only judged when the input carries node classes at all (a PR may change NodePools alone).
        nodeClassExists: () => (nodeClasses.length ? nc !== undefined : undefined),
      });
      break;
    }
    case "NodeClaim":
      r = validateNodeClaim(o, { strict: opts.strict });
      break;
    case "EC2NodeClass":
      r = validateEC2NodeClass(o, { strict: opts.strict });
      break;
    case "NodeOverlay":
      r = validateNodeOverlay(o, { strict: opts.strict });
      break;
    case "Provisioner":
      r = validateProvisioner(o, { defaultInstanceProfile: process.env.DEFAULT_INSTANCE_PROFILE || undefined });
      break;
    default:
      r = validateAWSNodeTemplate(o, { defaultInstanceProfile: process.env.DEFAULT_INSTANCE_PROFILE || undefined });
  }
  const plain = (e: FieldError) => ({ path: e.path, message: e.message });
  const errors = r.errors.map(plain);
  const warnings = r.warnings.map((w) => plain(parseWarning(w)));
  return { ...base, verdict: errors.length ? "invalid" : "valid", errors, warnings };
}

export async function runValidate(
  argv: string[],
  out: (s: string) => void = (s) => console.log(s),
  err: (s: string) => void = (s) => console.error(s),
): Promise<number> {
  const files: string[] = [];
  let strict = false;
  let output = "text";
  let region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1";
  const usage = (m: string) => {
    err(`${m}\n${VALIDATE_USAGE}`);
    return 2;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf("=");
    const [flag, inline] = a.startsWith("--") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === "-f" || flag === "--filename") {
      const v = value();
      if (!v) return usage("-f needs a file or directory");
      files.push(v);
    } else if (a.startsWith("-f=")) files.push(a.slice(3));
    else if (flag === "--strict") strict = true;
    else if (flag === "--region") {
      const v = value();
      if (!v) return usage("--region needs a region, e.g. --region us-west-2");
      region = v;
    } else if (flag === "-o" || flag === "--output") {
      const v = value();
      if (v !== "json" && v !== "text") return usage(`-o ${v ?? ""}: use -o text or -o json`);
      output = v;
    } else if (a.startsWith("-o=")) {
      output = a.slice(3);
      if (output !== "json" && output !== "text") return usage(`-o ${output}: use -o text or -o json`);
    } else if (flag === "-h" || flag === "--help") {
      out(VALIDATE_USAGE);
      return 0;
    } else return usage(`unknown argument "${a}"`);
  }
  if (files.length === 0) return usage("no input: give -f <file or dir>");
  let catalog: any[] | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    catalog = loadCatalog({ region });
  } catch (e) {
    // Offline there is no DescribeInstanceTypeOfferings: say so instead of silently judging another region.
    err(`capsicum validate: ${(e as Error).message}; requirement satisfiability is not checked`);
  }
  const haveCatalog = catalog !== undefined;

  let parsed: Parsed[];
  try {
    parsed = readAll(files);
  } catch (e) {
    if (e instanceof ReadError) {
      err(`capsicum validate: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const verdicts: DocumentVerdict[] = [];
  const sources: Parsed[] = [];
  for (const p of parsed) {
    const v = verdictFor(p, parsed, { strict, catalog });
    if (v) {
      verdicts.push(v);
      sources.push(p);
    }
  }
  const failed = verdicts.some((v) => v.verdict === "invalid" || (strict && v.warnings.length > 0));

  if (output === "json") {
    const documents = verdicts.map(({ line: _line, ...v }) => v);
    out(JSON.stringify({ documents }, null, 2));
  } else {
    verdicts.forEach((v, i) => {
      const p = sources[i]!;
      const label = `${v.kind}${v.name ? ` ${v.name}` : ""}`;
      for (const e of v.errors)
        out(`${v.file}:${lineOf(p, e.path)}: ${e.path || "<document>"}: ${e.message} (${label}, invalid)`);
      for (const w of v.warnings)
        out(`${v.file}:${lineOf(p, w.path)}: ${w.path || "<document>"}: ${w.message} (${label}, warning)`);
    });
    const invalid = verdicts.filter((v) => v.verdict === "invalid").length;
    const warned = verdicts.filter((v) => v.warnings.length > 0).length;
    out(
      `${verdicts.length} document(s): ${verdicts.length - invalid} valid, ${invalid} invalid, ${warned} with warnings` +
        ` (${haveCatalog ? `satisfiability against ${region}` : `satisfiability not checked: no catalog for ${region}`}` +
        `${strict ? "; strict: warnings fail" : ""})`,
    );
  }
  return failed ? 1 : 0;
}
