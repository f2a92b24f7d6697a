// Karpenter v0.31/v0.32 webhook rules for the v1alpha5 kinds (core pkg/apis/v1alpha5/provisioner_validation.go and
// the AWS provider's v1alpha1 validation), with Karpenter's messages plus the fix. Karpenter checked these in Go,
// not CEL, so they live here rather than in the CRD.

import { parseQuantity } from "../../src/apis/quantity";
import { OPERATORS as REQUIREMENT_OPERATORS } from "../../src/apis/requirements";
import {
  AWS_ALLOWED_REQUIREMENT_KEYS,
  KARPENTER_SH_ALLOWED_KEYS,
  LABEL_KEY_PATTERN,
  LABEL_VALUE_PATTERN,
  labelDomain,
} from "../schemas/common";
import { EVICTION_SIGNALS, RESERVED_RESOURCES } from "../schemas/ec2nodeclassKubelet";
import { closest } from "./paths";
import type { FieldError } from "./types";

const PROVISIONER_NAME = "karpenter.sh/provisioner-name";
// The one requirement model's operators, less Gte/Lte (v1alpha5 predates them).
const OPERATORS: readonly string[] = REQUIREMENT_OPERATORS.filter((op) => op !== "Gte" && op !== "Lte");
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
export const V1ALPHA1_AMI_FAMILIES = [
  "AL2",
  "AL2023",
  "Bottlerocket",
  "Ubuntu",
  "Windows2019",
  "Windows2022",
  "Custom",
];
const VOLUME_TYPES = ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"];
const keyRe = new RegExp(LABEL_KEY_PATTERN);
const valueRe = new RegExp(LABEL_VALUE_PATTERN);
const isObj = (x: unknown): x is Record<string, any> => x !== null && typeof x === "object" && !Array.isArray(x);
const err = (path: string, message: string): FieldError => ({ path, message, source: "check" });

/** v1alpha5 IsRestrictedLabel: Karpenter's own domains except the well-known keys, and kubernetes.io/hostname. */
function restrictedLabel(key: string): string | undefined {
  if (key === PROVISIONER_NAME)
    return `label ${key} is restricted; Karpenter sets it (it becomes karpenter.sh/nodepool in v1)`;
  if (key === "kubernetes.io/hostname")
    return "label kubernetes.io/hostname is restricted; hostnames are assigned at launch";
  const d = labelDomain(key);
  if (d.endsWith("karpenter.sh") && !KARPENTER_SH_ALLOWED_KEYS.includes(key))
    return `label domain "karpenter.sh" is restricted; only karpenter.sh/capacity-type may be used`;
  if (d.endsWith("karpenter.k8s.aws") && !AWS_ALLOWED_REQUIREMENT_KEYS.includes(key)) {
    const near = closest(key, AWS_ALLOWED_REQUIREMENT_KEYS, 4);
    return `label domain "karpenter.k8s.aws" is restricted${near ? `; did you mean "${near}"?` : "; only the well-known karpenter.k8s.aws/* labels may be used"}`;
  }
  return undefined;
}

export function labelErrors(labels: unknown, path: string): FieldError[] {
  if (!isObj(labels)) return [];
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = `${path}[${k}]`;
    if (!keyRe.test(k))
      out.push(err(p, `invalid key name "${k}": use a qualified name such as example.com/team or team`));
    const r = restrictedLabel(k);
    if (r) out.push(err(p, r));
    if (typeof v === "string" && !valueRe.test(v))
      out.push(
        err(
          p,
          `invalid value "${v}": label values are at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric`,
        ),
      );
  }
  return out;
}

export function taintErrors(spec: any): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const field of ["taints", "startupTaints"]) {
    const list = spec?.[field];
    if (!Array.isArray(list)) continue;
    list.forEach((t: any, i: number) => {
      const p = `spec.${field}[${i}]`;
      if (!isObj(t)) return;
      if (typeof t.key === "string" && !keyRe.test(t.key))
        out.push(err(`${p}.key`, `invalid taint key "${t.key}": use a qualified name such as example.com/dedicated`));
      if (typeof t.value === "string" && t.value !== "" && !keyRe.test(t.value))
        out.push(err(`${p}.value`, `invalid taint value "${t.value}": use letters, digits, '-', '_' or '.'`));
      if (typeof t.effect === "string" && t.effect !== "" && !EFFECTS.includes(t.effect))
        out.push(err(`${p}.effect`, `Unsupported value: "${t.effect}": supported values: ${EFFECTS.join(", ")}`));
      const k = `${t.key}=${t.effect}`;
      if (seen.has(k))
        out.push(
          err(
            p,
            `duplicate taint Key/Effect pair ${k}; taints and startupTaints may not repeat a key with the same effect`,
          ),
        );
      seen.add(k);
    });
  }
  return out;
}

export function requirementErrorsV1alpha5(reqs: unknown): FieldError[] {
  if (!Array.isArray(reqs)) return [];
  const out: FieldError[] = [];
  reqs.forEach((r: any, i) => {
    if (!isObj(r) || typeof r.key !== "string") return;
    const p = `spec.requirements[${i}]`;
    const vals: unknown[] = Array.isArray(r.values) ? r.values : [];
    if (!OPERATORS.includes(r.operator)) {
      out.push(
        err(
          `${p}.operator`,
          `key ${r.key} has an unsupported operator ${r.operator} not in [${OPERATORS.join(" ")}]${r.operator === "Gte" || r.operator === "Lte" ? "; Gte/Lte exist only in karpenter.sh/v1 NodePools" : ""}`,
        ),
      );
    }
    if (!keyRe.test(r.key))
      out.push(err(`${p}.key`, `key ${r.key} is not a qualified name; use e.g. karpenter.k8s.aws/instance-family`));
    const restricted = restrictedLabel(r.key);
    if (restricted) out.push(err(`${p}.key`, restricted));
    vals.forEach((v, j) => {
      if (typeof v === "string" && !valueRe.test(v))
        out.push(
          err(
            `${p}.values[${j}]`,
            `invalid value ${v} for key ${r.key}: label values are at most 63 characters of [A-Za-z0-9._-]`,
          ),
        );
    });
    if (r.operator === "In" && vals.length === 0)
      out.push(
        err(
          `${p}.values`,
          `key ${r.key} with operator In must have a value defined; add at least one value, or use operator Exists`,
        ),
      );
    if ((r.operator === "Gt" || r.operator === "Lt") && !(vals.length === 1 && /^[0-9]+$/.test(String(vals[0])))) {
      out.push(
        err(
          `${p}.values`,
          `key ${r.key} with operator ${r.operator} must have a single positive integer value, e.g. values: ["2"]`,
        ),
      );
    }
  });
  return out;
}

function evictionErrors(m: unknown, path: string): FieldError[] {
  if (!isObj(m)) return [];
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(m)) {
    if (!EVICTION_SIGNALS.includes(k))
      out.push(err(`${path}[${k}]`, `invalid key name; valid: ${EVICTION_SIGNALS.join(", ")}`));
    const s = String(v);
    if (s.endsWith("%")) {
      const pct = Number(s.slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100)
        out.push(err(`${path}[${k}]`, `"${s}": percentage values must be between 0% and 100%`));
    } else {
      try {
        parseQuantity(s, `${path}[${k}]`);
      } catch {
        out.push(err(`${path}[${k}]`, `"${s}" could not be parsed as a resource quantity; use e.g. 500Mi or 10%`));
      }
    }
  }
  return out;
}

export function kubeletErrors(kc: unknown): FieldError[] {
  if (!isObj(kc)) return [];
  const base = "spec.kubeletConfiguration";
  const out = [
    ...evictionErrors(kc.evictionHard, `${base}.evictionHard`),
    ...evictionErrors(kc.evictionSoft, `${base}.evictionSoft`),
  ];
  for (const f of ["kubeReserved", "systemReserved"]) {
    if (!isObj(kc[f])) continue;
    for (const [k, v] of Object.entries(kc[f])) {
      if (!RESERVED_RESOURCES.includes(k))
        out.push(err(`${base}.${f}[${k}]`, `invalid key name; valid: ${RESERVED_RESOURCES.join(", ")}`));
      try {
        if (parseQuantity(v as string | number) < 0)
          out.push(err(`${base}.${f}[${k}]`, "Value cannot be a negative resource quantity"));
      } catch {
        /* schema pattern reports it */
      }
    }
  }
  const soft = isObj(kc.evictionSoft) ? Object.keys(kc.evictionSoft) : [];
  const grace = isObj(kc.evictionSoftGracePeriod) ? Object.keys(kc.evictionSoftGracePeriod) : [];
  for (const k of grace)
    if (!EVICTION_SIGNALS.includes(k))
      out.push(err(`${base}.evictionSoftGracePeriod[${k}]`, `invalid key name; valid: ${EVICTION_SIGNALS.join(", ")}`));
  for (const k of soft)
    if (!grace.includes(k))
      out.push(
        err(
          `${base}.evictionSoft[${k}]`,
          "Key does not have a matching evictionSoftGracePeriod; add one, e.g. evictionSoftGracePeriod: {" +
            k +
            ": 1m}",
        ),
      );
  for (const k of grace)
    if (!soft.includes(k))
      out.push(
        err(`${base}.evictionSoftGracePeriod[${k}]`, "Key does not have a matching evictionSoft threshold value"),
      );
  if (
    typeof kc.imageGCHighThresholdPercent === "number" &&
    typeof kc.imageGCLowThresholdPercent === "number" &&
    kc.imageGCHighThresholdPercent <= kc.imageGCLowThresholdPercent
  ) {
    out.push(
      err(
        `${base}.imageGCHighThresholdPercent`,
        "imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent",
      ),
    );
  }
  return out;
}

function selectorErrors(sel: unknown, path: string, required: boolean): FieldError[] {
  if (sel === undefined)
    return required
      ? [
          err(
            path,
            `Required value: select by tags, e.g. ${path.split(".").pop()}: {karpenter.sh/discovery: <cluster>}, or by ids with aws-ids`,
          ),
        ]
      : [];
  if (!isObj(sel)) return [];
  return Object.entries(sel)
    .filter(([k, v]) => k === "" || v === "")
    .map(([k]) =>
      err(
        `${path}['${k}']`,
        'Invalid value: "": selector keys and values may not be empty; use "*" to match any value',
      ),
    );
}

/** AWS provider fields (AWSNodeTemplate.spec or a Provisioner's inline provider); `at` is the path prefix. */
export function awsProviderErrors(spec: unknown, at: string): FieldError[] {
  if (!isObj(spec)) return [];
  const out: FieldError[] = [];
  const lt = spec.launchTemplate !== undefined;
  out.push(...selectorErrors(spec.subnetSelector, `${at}.subnetSelector`, true));
  out.push(...selectorErrors(spec.securityGroupSelector, `${at}.securityGroupSelector`, !lt));
  out.push(...selectorErrors(spec.amiSelector, `${at}.amiSelector`, false));
  for (const f of ["securityGroupSelector", "userData", "amiSelector", "blockDeviceMappings", "metadataOptions"]) {
    if (lt && spec[f] !== undefined)
      out.push(err(`${at}.${f}`, `expected exactly one, got both: launchTemplate, ${f}; remove one of them`));
  }
  if (typeof spec.amiFamily === "string" && !V1ALPHA1_AMI_FAMILIES.includes(spec.amiFamily)) {
    const near = closest(spec.amiFamily, V1ALPHA1_AMI_FAMILIES, 3);
    out.push(
      err(
        `${at}.amiFamily`,
        `Unsupported value: "${spec.amiFamily}"${near ? `; did you mean "${near}"?` : ""}: supported values: ${V1ALPHA1_AMI_FAMILIES.join(", ")}`,
      ),
    );
  }
  if (isObj(spec.tags)) {
    for (const k of Object.keys(spec.tags)) {
      if (
        k === "" ||
        k === PROVISIONER_NAME ||
        k === "karpenter.sh/managed-by" ||
        /^kubernetes\.io\/cluster\//.test(k)
      ) {
        out.push(err(`${at}.tags[${k}]`, `tag key "${k}" is restricted; Karpenter sets it`));
      }
    }
  }
  if (Array.isArray(spec.blockDeviceMappings)) {
    let roots = 0;
    spec.blockDeviceMappings.forEach((b: any, i: number) => {
      const p = `${at}.blockDeviceMappings[${i}]`;
      if (!isObj(b)) return;
      if (b.rootVolume === true) roots++;
      if (!b.deviceName) out.push(err(`${p}.deviceName`, "Required value: e.g. deviceName: /dev/xvda"));
      if (!isObj(b.ebs)) {
        out.push(err(`${p}.ebs`, "Required value: e.g. ebs: {volumeSize: 100Gi, volumeType: gp3}"));
        return;
      }
      if (b.ebs.volumeType !== undefined && !VOLUME_TYPES.includes(b.ebs.volumeType))
        out.push(
          err(
            `${p}.ebs.volumeType`,
            `Unsupported value: "${b.ebs.volumeType}": supported values: ${VOLUME_TYPES.join(", ")}`,
          ),
        );
      if (b.ebs.volumeSize === undefined && b.ebs.snapshotID === undefined)
        out.push(err(`${p}.ebs.volumeSize`, "Required value: set volumeSize (e.g. 100Gi) or snapshotID"));
      if (b.ebs.volumeSize !== undefined) {
        try {
          const bytes = parseQuantity(b.ebs.volumeSize);
          if (bytes < 2 ** 30 || bytes > 64 * 2 ** 40)
            out.push(err(`${p}.ebs.volumeSize`, `${b.ebs.volumeSize} is outside 1Gi..64Ti; use e.g. 100Gi`));
        } catch {
          /* schema pattern reports it */
        }
      }
    });
    if (roots > 1) out.push(err(`${at}.blockDeviceMappings`, "must have only one blockDeviceMappings with rootVolume"));
  }
  if (isObj(spec.metadataOptions)) {
    const mo = spec.metadataOptions,
      p = `${at}.metadataOptions`;
    const en = ["enabled", "disabled"];
    if (mo.httpEndpoint !== undefined && !en.includes(mo.httpEndpoint))
      out.push(
        err(`${p}.httpEndpoint`, `Unsupported value: "${mo.httpEndpoint}": supported values: enabled, disabled`),
      );
    if (mo.httpProtocolIPv6 !== undefined && !en.includes(mo.httpProtocolIPv6))
      out.push(
        err(
          `${p}.httpProtocolIPv6`,
          `Unsupported value: "${mo.httpProtocolIPv6}": supported values: enabled, disabled`,
        ),
      );
    if (mo.httpTokens !== undefined && !["required", "optional"].includes(mo.httpTokens))
      out.push(err(`${p}.httpTokens`, `Unsupported value: "${mo.httpTokens}": supported values: required, optional`));
    if (
      mo.httpPutResponseHopLimit !== undefined &&
      !(mo.httpPutResponseHopLimit >= 1 && mo.httpPutResponseHopLimit <= 64)
    )
      out.push(err(`${p}.httpPutResponseHopLimit`, `${mo.httpPutResponseHopLimit} is outside 1..64`));
  }
  return out;
}
