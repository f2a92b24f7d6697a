// EC2NodeClass admission: Karpenter's rules plus capsicum's checks (per-term selector exclusivity that Karpenter's
// `!self.all(...)` rules miss, AWS tag limits, EBS parameter combinations, kubelet clusterDNS addresses).
import { parseQuantity } from "../../src/apis/quantity";
import { baseLayers, result } from "./engine";
import type { FieldError, ValidationContext, ValidationResult } from "./types";

const has = (o: any, k: string): boolean => o !== null && typeof o === "object" && o[k] !== undefined;
const GiB = 2 ** 30;
/** EBS minimum sizes per volume type (AWS EBS limits). */
const MIN_SIZE_GIB: Record<string, number> = { io1: 4, io2: 4, st1: 125, sc1: 125, gp2: 1, gp3: 1, standard: 1 };

function selectorTermChecks(spec: any, errors: FieldError[]): void {
  const exclusive: Array<[string, string, string[]]> = [
    ["subnetSelectorTerms", "id", ["tags"]],
    ["securityGroupSelectorTerms", "id", ["tags", "name"]],
    ["securityGroupSelectorTerms", "name", ["tags", "id"]],
    ["capacityReservationSelectorTerms", "id", ["tags", "ownerID", "instanceMatchCriteria"]],
  ];
  for (const [list, field, others] of exclusive) {
    const terms = spec[list];
    if (!Array.isArray(terms)) continue;
    terms.forEach((t: any, i: number) => {
      const clash = others.filter((o) => has(t, o));
      if (has(t, field) && clash.length > 0) {
        errors.push({
          path: `spec.${list}[${i}]`,
          message: `'${field}' cannot be combined with ${clash.map((c) => `'${c}'`).join(", ")} in one term; terms are ORed, so put them in separate terms`,
          source: "check",
        });
      }
    });
  }
}

function tagChecks(tags: unknown, errors: FieldError[]): void {
  if (!tags || typeof tags !== "object") return;
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    const path = `spec.tags[${k}]`;
    if (k.toLowerCase().startsWith("aws:"))
      errors.push({
        path,
        message: 'tag keys starting with "aws:" are reserved by AWS; use another prefix',
        source: "check",
      });
    if (k.length > 128)
      errors.push({ path, message: `tag key is ${k.length} characters; AWS allows at most 128`, source: "check" });
    if (typeof v === "string" && v.length > 256)
      errors.push({ path, message: `tag value is ${v.length} characters; AWS allows at most 256`, source: "check" });
  }
}

function blockDeviceChecks(bdms: unknown, errors: FieldError[]): void {
  if (!Array.isArray(bdms)) return;
  bdms.forEach((m: any, i: number) => {
    const p = `spec.blockDeviceMappings[${i}]`;
    if (!m || typeof m !== "object") return;
    if (!m.deviceName)
      errors.push({
        path: `${p}.deviceName`,
        message: "Required value: EC2 needs the device name, e.g. /dev/xvda (AL2/AL2023 root) or /dev/xvdb",
        source: "check",
      });
    const ebs = m.ebs;
    if (!ebs || typeof ebs !== "object") return;
    const type = typeof ebs.volumeType === "string" ? ebs.volumeType : "gp3";
    if (ebs.iops !== undefined && !["io1", "io2", "gp3"].includes(type)) {
      errors.push({
        path: `${p}.ebs.iops`,
        message: `iops applies only to io1, io2 and gp3 volumes, not ${type}; remove iops or change volumeType`,
        source: "check",
      });
    }
    if (ebs.throughput !== undefined) {
      if (type !== "gp3")
        errors.push({
          path: `${p}.ebs.throughput`,
          message: `throughput applies only to gp3 volumes, not ${type}; remove it or use volumeType: gp3`,
          source: "check",
        });
      else if (typeof ebs.throughput === "number" && (ebs.throughput < 125 || ebs.throughput > 2000)) {
        errors.push({
          path: `${p}.ebs.throughput`,
          message: `gp3 throughput must be 125-2000 MiB/s, got ${ebs.throughput}`,
          source: "check",
        });
      }
    }
    if (typeof ebs.volumeSize === "string") {
      let bytes: number | undefined;
      try {
        bytes = parseQuantity(ebs.volumeSize);
      } catch {
        bytes = undefined;
      }
      const min = MIN_SIZE_GIB[type];
      if (bytes !== undefined && min !== undefined && bytes < min * GiB) {
        errors.push({
          path: `${p}.ebs.volumeSize`,
          message: `${type} volumes must be at least ${min}Gi, got ${ebs.volumeSize}`,
          source: "check",
        });
      }
    }
  });
}

function kubeletChecks(kubelet: any, errors: FieldError[]): void {
  if (!kubelet || typeof kubelet !== "object") return;
  if (Array.isArray(kubelet.clusterDNS)) {
    kubelet.clusterDNS.forEach((ip: unknown, i: number) => {
      if (typeof ip === "string" && !isIP(ip))
        errors.push({
          path: `spec.kubelet.clusterDNS[${i}]`,
          message: `"${ip}" is not an IP address; use the cluster DNS service IP, e.g. 10.100.0.10`,
          source: "check",
        });
    });
  }
  for (const field of ["systemReserved", "kubeReserved", "evictionHard", "evictionSoft"]) {
    const m = kubelet[field];
    if (!m || typeof m !== "object") continue;
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== "string" || v.endsWith("%") || v === "") continue;
      try {
        parseQuantity(v);
      } catch {
        errors.push({
          path: `spec.kubelet.${field}[${k}]`,
          message: `invalid quantity "${v}"; use e.g. 100m, 1Gi${field.startsWith("eviction") ? " or a percentage like 10%" : ""}`,
          source: "check",
        });
      }
    }
  }
}

function isIP(s: string): boolean {
  if (/^(\d{1,3})(\.\d{1,3}){3}$/.test(s)) return s.split(".").every((o) => Number(o) <= 255);
  return /^[0-9a-fA-F:]+$/.test(s) && s.includes(":");
}

export function validateEC2NodeClass(obj: unknown, ctx: ValidationContext = {}): ValidationResult {
  const { defaulted, errors } = baseLayers("EC2NodeClass", obj, ctx.oldObject);
  const warnings: string[] = [];
  const spec = defaulted.spec ?? {};
  if (spec && typeof spec === "object") {
    selectorTermChecks(spec, errors);
    tagChecks(spec.tags, errors);
    blockDeviceChecks(spec.blockDeviceMappings, errors);
    kubeletChecks(spec.kubelet, errors);
    if (typeof spec.role === "string" && spec.role.startsWith("arn:")) {
      warnings.push(
        `spec.role: "${spec.role}" looks like an ARN; Karpenter expects the IAM role name (e.g. KarpenterNodeRole-my-cluster)`,
      );
    }
    if (spec.metadataOptions?.httpTokens === "optional") {
      warnings.push("spec.metadataOptions.httpTokens: optional allows IMDSv1; required (IMDSv2) is the secure default");
    }
  }
  return result(errors, warnings, ctx);
}
