// Schema fragments shared by the karpenter.sh and karpenter.k8s.aws kinds (patterns, requirements, taints,
// conditions). Values are Karpenter v1.14 facts (see ../shared/reference/karpenter-crd-rules.md).
import { keyDomainMessage, mapKeyDomainMessage, requirementListMessage } from "./celMessages";
import { cel, celMsg, type CelRule, type Schema } from "./types";

export const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";
export const LABEL_KEY_PATTERN =
  "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$";
export const LABEL_VALUE_PATTERN = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
export const NILLABLE_DURATION_PATTERN = "^(([0-9]+(s|m|h))+|Never)$";
export const DURATION_PATTERN = "^([0-9]+(s|m|h))+$";

/** `karpenter.k8s.aws/*` keys a NodePool/NodeClaim may use (the AWS provider's CRD allow-list, in its order). */
export const AWS_ALLOWED_REQUIREMENT_KEYS = [
  "karpenter.k8s.aws/instance-tenancy",
  "karpenter.k8s.aws/capacity-reservation-type",
  "karpenter.k8s.aws/capacity-reservation-id",
  "karpenter.k8s.aws/capacity-reservation-interruptible",
  "karpenter.k8s.aws/ec2nodeclass",
  "karpenter.k8s.aws/instance-encryption-in-transit-supported",
  "karpenter.k8s.aws/instance-category",
  "karpenter.k8s.aws/instance-hypervisor",
  "karpenter.k8s.aws/instance-family",
  "karpenter.k8s.aws/instance-generation",
  "karpenter.k8s.aws/instance-local-nvme",
  "karpenter.k8s.aws/instance-size",
  "karpenter.k8s.aws/instance-cpu",
  "karpenter.k8s.aws/instance-cpu-manufacturer",
  "karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz",
  "karpenter.k8s.aws/instance-memory",
  "karpenter.k8s.aws/instance-ebs-bandwidth",
  "karpenter.k8s.aws/instance-network-bandwidth",
  "karpenter.k8s.aws/instance-gpu-name",
  "karpenter.k8s.aws/instance-gpu-manufacturer",
  "karpenter.k8s.aws/instance-gpu-count",
  "karpenter.k8s.aws/instance-gpu-memory",
  "karpenter.k8s.aws/instance-accelerator-name",
  "karpenter.k8s.aws/instance-accelerator-manufacturer",
  "karpenter.k8s.aws/instance-accelerator-count",
  "karpenter.k8s.aws/instance-capability-flex",
  "karpenter.k8s.aws/placement-group-id",
  "karpenter.k8s.aws/placement-group-partition",
];
/** NodeOverlay's allow-list is shorter: no tenancy, reservation or placement-group keys. */
export const AWS_ALLOWED_OVERLAY_KEYS = AWS_ALLOWED_REQUIREMENT_KEYS.filter(
  (k) => !/instance-tenancy|capacity-reservation|placement-group/.test(k),
);
export const KARPENTER_SH_ALLOWED_KEYS = ["karpenter.sh/capacity-type", "karpenter.sh/nodepool"];

const celList = (xs: string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;
/** CEL `key.find("^([^/]+)")`: the text before the first "/" (the whole key when there is none). */
export const labelDomain = (key: string): string => String(key).split("/")[0] ?? "";

// --- label key rules: each exists in a per-key form (requirements[].key) and a per-map form (labels) ---
export function keyDomainRule(domain: string, allowed: string[]): CelRule {
  const message = `label domain "${domain}" is restricted`;
  const m = keyDomainMessage(domain, allowed, message);
  return celMsg(
    `self in ${celList(allowed)} || !self.find("^([^/]+)").endsWith("${domain}")`,
    message,
    (k: string) => allowed.includes(k) || !labelDomain(k).endsWith(domain),
    m.expression,
    m.messageFor,
  );
}
export function keyNotRule(label: string): CelRule {
  return cel(`self != "${label}"`, `label "${label}" is restricted`, (k: string) => k !== label);
}
export function mapKeyDomainRule(domain: string, allowed: string[]): CelRule {
  const message = `label domain "${domain}" is restricted`;
  const ok = (k: string) => allowed.includes(k) || !labelDomain(k).endsWith(domain);
  const m = mapKeyDomainMessage(domain, allowed, message, (k) => !ok(k));
  return celMsg(
    `self.all(x, x in ${celList(allowed)} || !x.find("^([^/]+)").endsWith("${domain}"))`,
    message,
    (mp: Record<string, unknown>) => Object.keys(mp).every(ok),
    undefined,
    m.messageFor,
  );
}
export function mapKeyNotRule(label: string): CelRule {
  return cel(
    `self.all(x, x != "${label}")`,
    `label "${label}" is restricted`,
    (m: Record<string, unknown>) => !(label in m),
  );
}

/** CEL `int(s) >= 0`: int() accepts an optional sign and decimal digits only, within int64 (else it errors). */
export function isNonNegativeIntString(s: unknown): boolean {
  if (typeof s !== "string" || !/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= 0n && n <= 9223372036854775807n;
}
const vals = (x: any): unknown[] => (Array.isArray(x?.values) ? x.values : []);
const ORDER_OPS = ["Gt", "Lt", "Gte", "Lte"];

export type RequirementFlavor = "nodepool" | "nodeclaim" | "overlay";

/** NodeSelectorRequirementWithMinValues list (NodePool template, NodeClaim) or NodeOverlay requirements. */
export function requirementsSchema(flavor: RequirementFlavor): Schema {
  const keyRules: CelRule[] =
    flavor === "overlay"
      ? [
          keyDomainRule("karpenter.sh", KARPENTER_SH_ALLOWED_KEYS),
          keyNotRule("kubernetes.io/hostname"),
          keyDomainRule("karpenter.k8s.aws", AWS_ALLOWED_OVERLAY_KEYS),
        ]
      : [
          keyDomainRule("karpenter.sh", KARPENTER_SH_ALLOWED_KEYS),
          ...(flavor === "nodepool" ? [keyNotRule("karpenter.sh/nodepool")] : []),
          keyNotRule("kubernetes.io/hostname"),
          keyDomainRule("karpenter.k8s.aws", AWS_ALLOWED_REQUIREMENT_KEYS),
        ];
  const item: Schema = {
    type: "object",
    required: ["key", "operator"],
    properties: {
      key: { type: "string", maxLength: 316, pattern: LABEL_KEY_PATTERN, "x-kubernetes-validations": keyRules },
      operator: { type: "string", enum: ["Gte", "Lte", "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] },
      // Karpenter's CRDs put maxLength/pattern on the list, where the apiserver ignores them: values are not
      // pattern-checked by Karpenter, so capsicum does not deny them either (a bad value is a warning).
      values: {
        type: "array",
        "x-kubernetes-list-type": "atomic",
        maxLength: 63,
        pattern: LABEL_VALUE_PATTERN,
        items: { type: "string" },
      },
    },
  };
  if (flavor !== "overlay") item.properties!.minValues = { type: "integer", minimum: 1, maximum: 50 };
  const listRule = (rule: string, message: string, offending: (x: any) => boolean) => {
    const m = requirementListMessage(message, offending);
    return celMsg(rule, message, (xs: any[]) => !xs.some(offending), undefined, m.messageFor);
  };
  const noValues = (op: string) => (x: any) => x?.operator === op && vals(x).length === 0;
  const inRule = listRule(
    "self.all(x, x.operator == 'In' ? x.values.size() != 0 : true)",
    "requirements with operator 'In' must have a value defined",
    noValues("In"),
  );
  const orderRule = listRule(
    "self.all(x, (x.operator == 'Gt' || x.operator == 'Lt' || x.operator == 'Gte' || x.operator == 'Lte') ? (x.values.size() == 1 && int(x.values[0]) >= 0) : true)",
    flavor === "overlay"
      ? "requirements operator 'Gt', 'Lt', 'Gte' or 'Lte' must have a single positive integer value"
      : "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value",
    (x: any) => ORDER_OPS.includes(x?.operator) && !(vals(x).length === 1 && isNonNegativeIntString(vals(x)[0])),
  );
  const rules: CelRule[] =
    flavor === "overlay"
      ? [
          listRule(
            "self.all(x, x.operator == 'NotIn' ? x.values.size() != 0 : true)",
            "requirements with operator 'NotIn' must have a value defined",
            noValues("NotIn"),
          ),
          inRule,
          orderRule,
        ]
      : [
          inRule,
          orderRule,
          listRule(
            "self.all(x, (x.operator == 'In' && has(x.minValues)) ? x.values.size() >= x.minValues : true)",
            "requirements with 'minValues' must have at least that many values specified in the 'values' field",
            (x: any) => x?.operator === "In" && x?.minValues !== undefined && vals(x).length < x.minValues,
          ),
        ];
  return {
    type: "array",
    maxItems: 100,
    "x-kubernetes-list-type": "atomic",
    items: item,
    "x-kubernetes-validations": rules,
  };
}

export function taintsSchema(): Schema {
  return {
    type: "array",
    "x-kubernetes-list-type": "atomic",
    items: {
      type: "object",
      required: ["effect", "key"],
      properties: {
        effect: { type: "string", enum: ["NoSchedule", "PreferNoSchedule", "NoExecute"] },
        key: { type: "string", minLength: 1, pattern: LABEL_KEY_PATTERN },
        timeAdded: { type: "string", format: "date-time" },
        value: { type: "string", pattern: LABEL_KEY_PATTERN },
      },
    },
  };
}

export function nodeClassRefSchema(): Schema {
  const notEmpty = (what: string) => cel("self != ''", `${what} may not be empty`, (s: string) => s !== "");
  return {
    type: "object",
    required: ["group", "kind", "name"],
    properties: {
      group: { type: "string", pattern: "^[^/]*$", "x-kubernetes-validations": [notEmpty("group")] },
      kind: { type: "string", "x-kubernetes-validations": [notEmpty("kind")] },
      name: { type: "string", "x-kubernetes-validations": [notEmpty("name")] },
    },
  };
}

export function quantityMap(): Schema {
  return {
    type: "object",
    additionalProperties: {
      anyOf: [{ type: "integer" }, { type: "string" }],
      pattern: QUANTITY_PATTERN,
      "x-kubernetes-int-or-string": true,
    },
  };
}

export function conditionsSchema(reasonPattern = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"): Schema {
  return {
    type: "array",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
    items: {
      type: "object",
      required: ["lastTransitionTime", "message", "reason", "status", "type"],
      properties: {
        lastTransitionTime: { type: "string", format: "date-time" },
        message: { type: "string", maxLength: 32768 },
        observedGeneration: { type: "integer", format: "int64", minimum: 0 },
        reason: { type: "string", maxLength: 1024, minLength: 1, pattern: reasonPattern },
        status: { type: "string", enum: ["True", "False", "Unknown"] },
        type: {
          type: "string",
          maxLength: 316,
          pattern:
            "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        },
      },
    },
  };
}

/** Selector-term `tags` map: at most 20, no empty keys or values. */
export function selectorTags(): Schema {
  return {
    type: "object",
    maxProperties: 20,
    additionalProperties: { type: "string" },
    "x-kubernetes-validations": [
      cel(
        "self.all(k, k != '' && self[k] != '')",
        "empty tag keys or values aren't supported",
        (m: Record<string, string>) => Object.entries(m).every(([k, v]) => k !== "" && v !== ""),
      ),
    ],
  };
}

export const has = (o: any, k: string): boolean => o !== null && typeof o === "object" && o[k] !== undefined;
