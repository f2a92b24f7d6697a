// AWSNodeTemplate (karpenter.k8s.aws/v1alpha1) -> EC2NodeClass (karpenter.k8s.aws/v1), following Karpenter's own
// migration (pkg/utils/nodeclass + karpenter-convert) and then its v1beta1 -> v1 changes. capsicum-specific: AMI
// aliases resolve only for al2023 and nodes boot with AL2023 nodeadm user data, so AL2/unset families map to
// al2023@latest (Kubernetes >= 1.33 has no AL2 EKS AMIs) — always with a warning saying so.

import type { EC2NodeClass, EC2NodeClassSpec } from "../apis/generated/ec2nodeclasses";
import { parseQuantity } from "../apis/quantity";
import { carriedLabels, type ConversionContext, type ConversionOutcome, isObject } from "./common";

type Terms = Array<Record<string, any>>;
const V1_FAMILIES = ["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025"];
/** Tag keys v1 reserves for Karpenter itself. */
const RESERVED_TAG = (k: string) =>
  [
    "eks:eks-cluster-name",
    "karpenter.sh/nodepool",
    "karpenter.sh/nodeclaim",
    "karpenter.k8s.aws/ec2nodeclass",
    "karpenter.sh/provisioner-name",
  ].includes(k) || k.startsWith("kubernetes.io/cluster");

const splitList = (v: string): string[] =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const sortedEntries = (m: Record<string, string>) => Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Tag map of a selector; "" (v1alpha1 wildcard) becomes "*" (v1 rejects empty values). */
function tagsOf(
  selector: Record<string, string>,
  special: string[],
  field: string,
  warnings: string[],
): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  for (const [k, v] of sortedEntries(selector)) {
    if (special.includes(k)) continue;
    if (v === "") warnings.push(`${field}[${k}]: empty value (any value) written as "*", v1's wildcard`);
    tags[k] = v === "" ? "*" : v;
  }
  return Object.keys(tags).length ? tags : undefined;
}

/** subnetSelector / securityGroupSelector map -> selector terms (`aws-ids`/`aws::ids` become one id term each). */
export function selectorTerms(selector: Record<string, string>, field: string, warnings: string[]): Terms {
  const idKey = ["aws-ids", "aws::ids"].find((k) => selector[k] !== undefined);
  const tags = tagsOf(selector, ["aws-ids", "aws::ids"], field, warnings);
  if (idKey) {
    if (tags)
      warnings.push(
        `${field}: v1 terms cannot combine an id with tags; kept the ids from ${idKey} and dropped the tag filter (${Object.keys(tags).join(", ")})`,
      );
    return splitList(selector[idKey]!).map((id) => ({ id }));
  }
  return tags ? [{ tags }] : [];
}

/** amiSelector map -> amiSelectorTerms: ids, or owners x names (each with the tag filter), as Karpenter expands it. */
export function amiTerms(selector: Record<string, string>, warnings: string[]): Terms {
  const special = ["aws-ids", "aws::ids", "aws::name", "aws::owners"];
  const idKey = ["aws-ids", "aws::ids"].find((k) => selector[k] !== undefined);
  const tags = tagsOf(selector, special, "spec.amiSelector", warnings);
  if (idKey) {
    const dropped = Object.keys(selector).filter((k) => k !== idKey);
    if (dropped.length)
      warnings.push(
        `spec.amiSelector: v1 terms cannot combine an id with other fields; kept the ids from ${idKey} and dropped ${dropped.join(", ")}`,
      );
    return splitList(selector[idKey]!).map((id) => ({ id }));
  }
  const names = selector["aws::name"] !== undefined ? splitList(selector["aws::name"]) : [undefined];
  const owners = selector["aws::owners"] !== undefined ? splitList(selector["aws::owners"]) : [undefined];
  const terms: Terms = [];
  for (const owner of owners) {
    for (const name of names) {
      const t: Record<string, any> = {};
      if (name) t.name = name;
      if (owner) t.owner = owner;
      if (tags) t.tags = tags;
      if (Object.keys(t).length) terms.push(t);
    }
  }
  return terms;
}

/** v1alpha1 volumeSize was any quantity; v1 wants whole Gi/G/Ti/T. */
function volumeSize(v: unknown, path: string, warnings: string[], errors: string[]): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string" && /^[0-9]+(Gi|G|Ti|T)$/.test(v)) return v;
  try {
    const gib = Math.ceil(parseQuantity(v as string | number, path) / 2 ** 30);
    warnings.push(`${path}: ${JSON.stringify(v)} written as ${gib}Gi (v1 takes whole Gi, G, Ti or T)`);
    return `${gib}Gi`;
  } catch (e) {
    errors.push(`${path}: ${(e as Error).message}`);
    return undefined;
  }
}

function blockDeviceMappings(
  bdms: unknown,
  warnings: string[],
  errors: string[],
): EC2NodeClassSpec["blockDeviceMappings"] {
  if (!Array.isArray(bdms)) return undefined;
  return bdms.map((b: any, i) => {
    const out: Record<string, any> = {};
    if (b?.deviceName !== undefined) out.deviceName = b.deviceName;
    if (b?.rootVolume !== undefined) out.rootVolume = b.rootVolume;
    if (isObject(b?.ebs)) {
      const ebs: Record<string, any> = { ...b.ebs };
      const size = volumeSize(b.ebs.volumeSize, `spec.blockDeviceMappings[${i}].ebs.volumeSize`, warnings, errors);
      if (size === undefined) delete ebs.volumeSize;
      else ebs.volumeSize = size;
      out.ebs = ebs;
    }
    return out;
  });
}

/**
 * v1alpha1 effective IMDS settings: omitted -> {enabled, disabled, hop limit 2, required}; a partial block left the
 * rest to EC2 (hop limit 1, tokens optional). Written out in full because v1's defaults differ (hop limit 1).
 */
function metadataOptions(mo: unknown, warnings: string[]): EC2NodeClassSpec["metadataOptions"] {
  const given = isObject(mo);
  const src: Record<string, any> = given ? mo : {};
  const out = {
    httpEndpoint: src.httpEndpoint ?? "enabled",
    httpProtocolIPv6: src.httpProtocolIPv6 ?? "disabled",
    httpPutResponseHopLimit: src.httpPutResponseHopLimit ?? (given ? 1 : 2),
    httpTokens: src.httpTokens ?? (given ? "optional" : "required"),
  };
  if (!given)
    warnings.push("spec.metadataOptions: kept v1alpha1's default httpPutResponseHopLimit 2 (v1 defaults to 1)");
  else if (src.httpTokens === undefined)
    warnings.push(
      'spec.metadataOptions.httpTokens: unset meant "optional" in v1alpha1; written explicitly (v1 defaults to required)',
    );
  return out as EC2NodeClassSpec["metadataOptions"];
}

/** AMI selection: explicit AMIs keep their family; otherwise an alias (al2023 is the only one capsicum resolves). */
function amiSelection(
  spec: Record<string, any>,
  warnings: string[],
  errors: string[],
): Pick<EC2NodeClassSpec, "amiFamily" | "amiSelectorTerms"> | undefined {
  const family: string | undefined = spec.amiFamily;
  const hasSelector = isObject(spec.amiSelector) && Object.keys(spec.amiSelector).length > 0;
  if (hasSelector) {
    const terms = amiTerms(spec.amiSelector, warnings);
    const v1Family = family === undefined ? "AL2" : V1_FAMILIES.includes(family) ? family : "Custom";
    if (family === undefined)
      warnings.push("spec.amiFamily: unset meant AL2 in v1alpha1; written as amiFamily: AL2 for the selected AMIs");
    else if (v1Family !== family)
      warnings.push(`spec.amiFamily: ${family} is not a v1 family; written as Custom (you supply complete user data)`);
    if (!["AL2023", "Custom"].includes(v1Family)) {
      warnings.push(
        `spec.amiFamily: capsicum boots every node with AL2023 nodeadm user data; the AMIs selected by spec.amiSelector must be AL2023-based (${v1Family} images will not join)`,
      );
    }
    return {
      amiFamily: v1Family as EC2NodeClassSpec["amiFamily"],
      amiSelectorTerms: terms as EC2NodeClassSpec["amiSelectorTerms"],
    };
  }
  if (family === "Custom") {
    errors.push(
      "spec.amiSelector: amiFamily Custom needs spec.amiSelector to choose the AMIs; add e.g. amiSelector: {aws-ids: ami-0123456789abcdef0}",
    );
    return undefined;
  }
  if (family !== undefined && /^Windows/.test(family)) {
    errors.push(
      `spec.amiFamily: ${family} cannot be converted: capsicum launches only Linux (AL2023) nodes; use amiFamily AL2 or AL2023`,
    );
    return undefined;
  }
  if (family !== "AL2023") {
    warnings.push(
      `spec.amiFamily: ${family ?? "unset (AL2)"} mapped to amiSelectorTerms [{alias: al2023@latest}]: capsicum resolves only al2023 aliases and Kubernetes >= 1.33 has no ${family ?? "AL2"} EKS AMIs`,
    );
  }
  return { amiSelectorTerms: [{ alias: "al2023@latest" }] };
}

/**
 * The v1 EC2NodeClass spec for an AWS provider block (AWSNodeTemplate.spec or a Provisioner's inline `provider`).
 * `at` prefixes field paths in messages ("spec" or "spec.provider").
 */
export function providerToNodeClassSpec(
  spec: Record<string, any>,
  ctx: ConversionContext,
  at = "spec",
): ConversionOutcome<EC2NodeClassSpec> {
  const warnings: string[] = [];
  const errors: string[] = [];
  if (spec.launchTemplate !== undefined) {
    errors.push(
      `${at}.launchTemplate: v1 EC2NodeClass has no launch template; move its AMI, user data, block devices and security groups into the AWSNodeTemplate fields and remove launchTemplate`,
    );
  }
  const subnets = isObject(spec.subnetSelector)
    ? selectorTerms(spec.subnetSelector, `${at}.subnetSelector`, warnings)
    : [];
  if (subnets.length === 0)
    errors.push(
      `${at}.subnetSelector: required to convert (v1 needs subnetSelectorTerms); add e.g. subnetSelector: {karpenter.sh/discovery: <cluster>}`,
    );
  const sgs = isObject(spec.securityGroupSelector)
    ? selectorTerms(spec.securityGroupSelector, `${at}.securityGroupSelector`, warnings)
    : [];
  if (sgs.length === 0 && spec.launchTemplate === undefined) {
    errors.push(
      `${at}.securityGroupSelector: required to convert (v1 needs securityGroupSelectorTerms); add e.g. securityGroupSelector: {karpenter.sh/discovery: <cluster>}`,
    );
  }
  const ami = amiSelection(spec, warnings, errors);

  const out: Record<string, any> = { ...ami, subnetSelectorTerms: subnets, securityGroupSelectorTerms: sgs };
  if (typeof spec.instanceProfile === "string" && spec.instanceProfile !== "")
    out.instanceProfile = spec.instanceProfile;
  else if (ctx.defaultInstanceProfile) {
    out.instanceProfile = ctx.defaultInstanceProfile;
    warnings.push(
      `${at}.instanceProfile: unset; used the cluster default instance profile "${ctx.defaultInstanceProfile}" (v1 EC2NodeClasses name their own)`,
    );
  } else {
    errors.push(
      `${at}.instanceProfile: unset and no cluster default instance profile is configured; set ${at}.instanceProfile or the DEFAULT_INSTANCE_PROFILE setting`,
    );
  }
  if (spec.userData !== undefined) {
    out.userData = spec.userData;
    if (out.amiSelectorTerms?.[0]?.alias || out.amiFamily === "AL2") {
      warnings.push(
        `${at}.userData: passed unchanged, but nodes now boot AL2023 (nodeadm): AL2 bootstrap.sh scripts must become a MIME part with a NodeConfig or a shell script`,
      );
    }
  }
  if (isObject(spec.tags)) {
    const tags: Record<string, string> = {};
    for (const [k, v] of sortedEntries(spec.tags)) {
      if (RESERVED_TAG(k)) warnings.push(`${at}.tags[${k}]: dropped, v1 reserves this tag for Karpenter`);
      else tags[k] = v;
    }
    if (Object.keys(tags).length) out.tags = tags;
  }
  const bdms = blockDeviceMappings(spec.blockDeviceMappings, warnings, errors);
  if (bdms) out.blockDeviceMappings = bdms;
  out.metadataOptions = metadataOptions(spec.metadataOptions, warnings);
  for (const f of ["detailedMonitoring", "context", "associatePublicIPAddress"])
    if (spec[f] !== undefined) out[f] = spec[f];
  return { object: errors.length ? undefined : (out as EC2NodeClassSpec), warnings, errors };
}

/** AWSNodeTemplate -> EC2NodeClass of the same name. Pure and deterministic. */
export function awsNodeTemplateToEC2NodeClass(t: any, ctx: ConversionContext = {}): ConversionOutcome<EC2NodeClass> {
  const name: string = t?.metadata?.name ?? "";
  const r = providerToNodeClassSpec(isObject(t?.spec) ? t.spec : {}, ctx);
  if (!r.object) return { warnings: r.warnings, errors: r.errors };
  return {
    object: {
      apiVersion: "karpenter.k8s.aws/v1",
      kind: "EC2NodeClass",
      metadata: { name, labels: carriedLabels(t?.metadata, "awsnodetemplate", name) },
      spec: r.object,
    },
    warnings: [`converted to EC2NodeClass ${name}`, ...r.warnings],
    errors: [],
  };
}
