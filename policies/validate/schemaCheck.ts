// Structural-schema validation with ajv: one compiled validator per kind, cached for the process lifetime.
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { definitionFor, openAPISchemaFor, type KindName } from "../schemas";
import { toPlainSchema } from "../generate";
import type { Schema } from "../schemas/types";
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN, QUANTITY_PATTERN } from "../schemas/common";
import { BUDGET_SCHEDULE_PATTERN, matchesBudgetSchedulePattern } from "../../src/apis/cron";
import { pointerToPath } from "./paths";
import type { FieldError } from "./types";

/** Patterns a backtracking JS RegExp would take seconds on (the apiserver uses RE2) get a linear matcher. */
const LINEAR_PATTERNS: Record<string, (s: string) => boolean> = {
  [BUDGET_SCHEDULE_PATTERN]: matchesBudgetSchedulePattern,
};
const linearRegExp = Object.assign(
  (pattern: string, flags: string) => {
    const linear = LINEAR_PATTERNS[pattern];
    return linear ? { test: linear } : new RegExp(pattern, flags);
  },
  { code: "new RegExp" },
);

const K8S_KEYWORDS = [
  "x-kubernetes-validations",
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
];

/** An ajv instance that understands the Kubernetes vendor keywords as annotations (CEL runs elsewhere). */
export function newKubeAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    allowUnionTypes: true,
    code: { regExp: linearRegExp },
  });
  addFormats(ajv);
  for (const keyword of K8S_KEYWORDS) ajv.addKeyword({ keyword });
  return ajv;
}

const ajv = newKubeAjv();
const compiled = new Map<KindName, { fn: ValidateFunction; schema: Schema }>();

/** `x-kubernetes-list-type: set` lists reject duplicates in the apiserver ("Duplicate value"): ajv's uniqueItems. */
export function withSetUniqueness(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(withSetUniqueness);
  if (!s || typeof s !== "object") return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s))
    out[k] = k === "x-kubernetes-validations" || k === "default" ? v : withSetUniqueness(v);
  if (out["x-kubernetes-list-type"] === "set") out.uniqueItems = true;
  return out;
}

function validatorFor(kind: KindName): { fn: ValidateFunction; schema: Schema } {
  let v = compiled.get(kind);
  if (!v) {
    const schema = openAPISchemaFor(definitionFor(kind));
    v = { fn: ajv.compile(withSetUniqueness(toPlainSchema(schema)) as object), schema };
    compiled.set(kind, v);
  }
  return v;
}

/** Human hints for the patterns users most often get wrong. */
const PATTERN_HINTS: Record<string, string> = {
  [QUANTITY_PATTERN]: "use a quantity such as 1000, 500m, 64Gi or 1e3",
  [LABEL_VALUE_PATTERN]: "label values are at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric",
  [LABEL_KEY_PATTERN]: "use a qualified name such as example.com/team or team",
  "^(([0-9]+(s|m|h))+|Never)$": "use a duration such as 30s, 10m, 720h or 1h30m, or Never",
  "^([0-9]+(s|m|h))+$": "use a duration such as 30s, 10m or 24h",
  "^((100|[0-9]{1,2})%|[0-9]+)$": "use a node count such as 5 or a percentage 0%-100% such as 10%",
  "^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$": "use hours and/or minutes such as 8h, 30m or 1h30m",
};

/** What to put in commonly forgotten required fields. */
const REQUIRED_HINTS: Record<string, string> = {
  consolidateAfter:
    "set how long to wait before consolidating, e.g. consolidateAfter: 0s, 1m or Never (required whenever spec.disruption is given)",
  nodeClassRef: "reference the EC2NodeClass, e.g. {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}",
  requirements: "list node requirements (may be empty: requirements: [])",
  template: "add spec.template.spec with nodeClassRef and requirements",
  amiSelectorTerms: "select AMIs, e.g. amiSelectorTerms: [{alias: al2023@latest}]",
  subnetSelectorTerms: 'select subnets, e.g. [{tags: {"karpenter.sh/discovery": "<cluster>"}}]',
  securityGroupSelectorTerms: 'select security groups, e.g. [{tags: {"karpenter.sh/discovery": "<cluster>"}}]',
  nodes: 'set the budget size, e.g. nodes: "10%" or nodes: "5"',
};

function describe(e: ErrorObject): string {
  const value = JSON.stringify(e.data);
  switch (e.keyword) {
    case "enum":
      return `Unsupported value: ${value}: supported values: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    case "pattern": {
      const p = (e.params as { pattern: string }).pattern;
      return `Invalid value: ${value}: should match '${p}'${PATTERN_HINTS[p] ? ` (${PATTERN_HINTS[p]})` : ""}`;
    }
    case "type":
      return `Invalid value: ${value}: must be of type ${(e.params as { type: string }).type}`;
    case "minimum":
    case "maximum": {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      return `Invalid value: ${value}: should be ${comparison === ">=" ? "greater than or equal to" : "less than or equal to"} ${limit}`;
    }
    case "maxItems":
      return `Too many: ${(e.data as unknown[]).length}: must have at most ${(e.params as { limit: number }).limit} items`;
    case "minItems":
      return `Required value: must have at least ${(e.params as { limit: number }).limit} item(s)`;
    case "maxLength":
      return `Too long: may not be longer than ${(e.params as { limit: number }).limit}`;
    case "minLength":
      return `Invalid value: ${value}: should be at least ${(e.params as { limit: number }).limit} chars long`;
    case "maxProperties":
      return `Too many: must have at most ${(e.params as { limit: number }).limit} items`;
    case "uniqueItems": {
      const { i, j } = e.params as { i: number; j: number };
      return `Duplicate value: ${JSON.stringify((e.data as unknown[])[Math.max(i, j)])}; remove the repeated entry`;
    }
    case "format":
      return `Invalid value: ${value}: must be a valid ${(e.params as { format: string }).format}`;
    case "anyOf":
      return `Invalid value: ${value}: must be an integer or a string`;
    default:
      return e.message ?? e.keyword;
  }
}

/** Schema-level errors, one per (path, problem); `required` errors point at the missing field itself. */
export function schemaErrors(kind: KindName, obj: unknown): FieldError[] {
  const { fn, schema } = validatorFor(kind);
  if (fn(obj)) return [];
  const errs = fn.errors ?? [];
  const anyOfPaths = new Set(errs.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errs) {
    // int-or-string branches fail individually; report the anyOf once instead.
    if (e.keyword === "type" && anyOfPaths.has(e.instancePath) && /\/anyOf\/\d+\/type$/.test(e.schemaPath)) continue;
    let path = pointerToPath(e.instancePath, schema);
    let message = describe(e);
    if (e.keyword === "uniqueItems") {
      const { i, j } = e.params as { i: number; j: number };
      path = `${path}[${Math.max(i, j)}]`;
    }
    if (e.keyword === "required") {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      path = path ? `${path}.${missing}` : missing;
      message = REQUIRED_HINTS[missing] ? `Required value: ${REQUIRED_HINTS[missing]}` : "Required value";
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message, source: "schema" });
  }
  return out;
}
