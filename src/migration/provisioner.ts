// Provisioner (karpenter.sh/v1alpha5) -> NodePool (karpenter.sh/v1), following Karpenter's own migration
// (karpenter-core pkg/utils/nodepool.New, the AWS v1alpha5 defaulting webhook, then the v1beta1 -> v1 changes:
// kubelet moved to the EC2NodeClass, WhenUnderutilized became WhenEmptyOrUnderutilized).

import type { EC2NodeClass, EC2NodeClassSpec } from "../apis/generated/ec2nodeclasses";
import type { NodePool, NodePoolSpec } from "../apis/generated/nodepools";
import {
  LabelArch,
  LabelCapacityType,
  LabelInstanceCategory,
  LabelInstanceFamily,
  LabelInstanceGeneration,
  LabelInstanceType,
  LabelOS,
  NormalizedLabels,
} from "../apis/labels";
import { awsNodeTemplateToEC2NodeClass, providerToNodeClassSpec } from "./awsNodeTemplate";
import {
  ConvertedFromLabel,
  NodeClassGroup,
  carriedLabels,
  isObject,
  provenance,
  secondsToDuration,
  type ConversionContext,
} from "./common";

export const ProvisionerNameLabel = "karpenter.sh/provisioner-name";

export interface ProvisionerConversion {
  nodePool?: NodePool;
  /** Set when the Provisioner needs its own EC2NodeClass: inline `provider`, or kubeletConfiguration. */
  nodeClass?: EC2NodeClass;
  warnings: string[];
  errors: string[];
}

type Req = { key: string; operator: string; values?: string[] };

/** AWS v1alpha5 defaulting webhook: os linux, arch amd64, on-demand, and c/m/r gen>2 unless instance types are constrained. */
function withKarpenterDefaults(reqs: Req[], warnings: string[]): Req[] {
  const keys = new Set(reqs.map((r) => r.key));
  const added: Req[] = [];
  if (!keys.has(LabelOS)) added.push({ key: LabelOS, operator: "In", values: ["linux"] });
  if (!keys.has(LabelArch)) added.push({ key: LabelArch, operator: "In", values: ["amd64"] });
  if (!keys.has(LabelCapacityType)) added.push({ key: LabelCapacityType, operator: "In", values: ["on-demand"] });
  if (
    ![LabelInstanceType, LabelInstanceFamily, LabelInstanceCategory, LabelInstanceGeneration].some((k) => keys.has(k))
  ) {
    added.push(
      { key: LabelInstanceCategory, operator: "In", values: ["c", "m", "r"] },
      { key: LabelInstanceGeneration, operator: "Gt", values: ["2"] },
    );
  }
  if (added.length) {
    warnings.push(
      `spec.requirements: added the requirements Karpenter's v1alpha5 webhook defaulted (v1 has no such defaults): ${added.map((r) => `${r.key} ${r.operator} [${r.values!.join(",")}]`).join("; ")}`,
    );
  }
  return [...reqs, ...added];
}

function requirements(src: unknown, warnings: string[]): Req[] {
  const out: Req[] = [];
  (Array.isArray(src) ? src : []).forEach((r: any, i) => {
    if (!isObject(r) || typeof r.key !== "string") return;
    if (r.key === ProvisionerNameLabel) {
      warnings.push(`spec.requirements[${i}]: ${ProvisionerNameLabel} dropped (use karpenter.sh/nodepool in v1)`);
      return;
    }
    const key = NormalizedLabels[r.key] ?? r.key;
    if (key !== r.key) warnings.push(`spec.requirements[${i}].key: deprecated ${r.key} written as ${key}`);
    const req: Req = { key, operator: String(r.operator) };
    if (Array.isArray(r.values)) req.values = [...r.values];
    out.push(req);
  });
  return withKarpenterDefaults(out, warnings);
}

/** v1alpha5 kubeletConfiguration -> v1 EC2NodeClass.spec.kubelet (reserved quantities become strings). */
export function kubeletToV1(kc: any, warnings: string[]): EC2NodeClassSpec["kubelet"] | undefined {
  if (!isObject(kc)) return undefined;
  const out: Record<string, any> = {};
  for (const f of [
    "clusterDNS",
    "cpuCFSQuota",
    "evictionHard",
    "evictionMaxPodGracePeriod",
    "evictionSoft",
    "evictionSoftGracePeriod",
    "imageGCHighThresholdPercent",
    "imageGCLowThresholdPercent",
    "maxPods",
    "podsPerCore",
  ]) {
    if (kc[f] !== undefined) out[f] = kc[f];
  }
  for (const f of ["kubeReserved", "systemReserved"]) {
    if (isObject(kc[f])) out[f] = Object.fromEntries(Object.entries(kc[f]).map(([k, v]) => [k, String(v)]));
  }
  if (kc.containerRuntime !== undefined) {
    warnings.push(
      `spec.kubeletConfiguration.containerRuntime: dropped (${kc.containerRuntime}); v1 nodes always run containerd`,
    );
  }
  return out as EC2NodeClassSpec["kubelet"];
}

function disruption(spec: any, warnings: string[]): NodePoolSpec["disruption"] {
  if (spec.consolidation?.enabled === true) {
    return { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "0s" };
  }
  if (typeof spec.ttlSecondsAfterEmpty === "number") {
    return { consolidationPolicy: "WhenEmpty", consolidateAfter: secondsToDuration(spec.ttlSecondsAfterEmpty) };
  }
  warnings.push(
    "spec.disruption: no ttlSecondsAfterEmpty and consolidation not enabled meant nodes were never removed for being empty or underused; written as consolidationPolicy: WhenEmpty, consolidateAfter: Never",
  );
  return { consolidationPolicy: "WhenEmpty", consolidateAfter: "Never" };
}

/**
 * Provisioner -> NodePool of the same name. `awsNodeTemplate` is the object `spec.providerRef` names (needed only
 * when kubeletConfiguration must be merged into a node class). Pure and deterministic.
 */
export function provisionerToNodePool(
  p: any,
  awsNodeTemplate?: any,
  ctx: ConversionContext = {},
): ProvisionerConversion {
  const name: string = p?.metadata?.name ?? "";
  const spec: Record<string, any> = isObject(p?.spec) ? p.spec : {};
  const warnings: string[] = [];
  const errors: string[] = [];
  const kubelet = kubeletToV1(spec.kubeletConfiguration, warnings);

  let nodeClass: EC2NodeClass | undefined;
  let nodeClassName: string | undefined;
  if (isObject(spec.provider)) {
    nodeClassName = `${name}-provider`;
    const r = providerToNodeClassSpec(spec.provider, ctx, "spec.provider");
    warnings.push(...r.warnings);
    errors.push(...r.errors);
    if (r.object) {
      nodeClass = {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name: nodeClassName, labels: { [ConvertedFromLabel]: provenance("provisioner", name) } },
        spec: kubelet ? { ...r.object, kubelet } : r.object,
      };
      warnings.push(`spec.provider: inline provider converted to EC2NodeClass ${nodeClassName}`);
    }
  } else if (isObject(spec.providerRef) && typeof spec.providerRef.name === "string" && spec.providerRef.name) {
    const ref = spec.providerRef;
    if (ref.kind !== undefined && ref.kind !== "AWSNodeTemplate") {
      errors.push(
        `spec.providerRef.kind: ${ref.kind} is not convertible; reference an AWSNodeTemplate (kind: AWSNodeTemplate)`,
      );
    }
    nodeClassName = ref.name;
    if (kubelet) {
      // v1 moved kubelet settings to the node class; a shared AWSNodeTemplate gets a per-Provisioner copy.
      if (!awsNodeTemplate) {
        errors.push(
          `spec.kubeletConfiguration: v1 keeps kubelet settings on the EC2NodeClass; AWSNodeTemplate ${ref.name} is needed to build one and was not found`,
        );
      } else {
        nodeClassName = `${ref.name}-${name}`;
        const r = awsNodeTemplateToEC2NodeClass(awsNodeTemplate, ctx);
        errors.push(...r.errors);
        if (r.object) {
          nodeClass = {
            ...r.object,
            metadata: { name: nodeClassName, labels: { [ConvertedFromLabel]: provenance("provisioner", name) } },
            spec: { ...r.object.spec, kubelet },
          };
          warnings.push(
            `spec.kubeletConfiguration: moved to EC2NodeClass ${nodeClassName} (AWSNodeTemplate ${ref.name} plus this kubelet configuration), because v1 keeps kubelet settings on the node class`,
          );
        }
      }
    }
  } else {
    errors.push(
      "spec.providerRef: a v1 NodePool needs a node class; add providerRef: {name: <AWSNodeTemplate name>} or an inline spec.provider",
    );
  }

  const tmplSpec: Record<string, any> = {
    requirements: requirements(spec.requirements, warnings),
    nodeClassRef: { group: NodeClassGroup, kind: "EC2NodeClass", name: nodeClassName ?? "" },
    expireAfter:
      typeof spec.ttlSecondsUntilExpired === "number" ? secondsToDuration(spec.ttlSecondsUntilExpired) : "Never",
  };
  if (typeof spec.ttlSecondsUntilExpired !== "number")
    warnings.push(
      "spec.ttlSecondsUntilExpired: unset meant nodes never expire; written as expireAfter: Never (v1 defaults to 720h)",
    );
  if (Array.isArray(spec.taints) && spec.taints.length) tmplSpec.taints = spec.taints;
  if (Array.isArray(spec.startupTaints) && spec.startupTaints.length) tmplSpec.startupTaints = spec.startupTaints;
  const tmplMeta: Record<string, any> = {};
  if (isObject(spec.labels) && Object.keys(spec.labels).length) tmplMeta.labels = spec.labels;
  if (isObject(spec.annotations) && Object.keys(spec.annotations).length) tmplMeta.annotations = spec.annotations;

  const npSpec: Record<string, any> = {
    template: { ...(Object.keys(tmplMeta).length ? { metadata: tmplMeta } : {}), spec: tmplSpec },
    disruption: disruption(spec, warnings),
  };
  if (isObject(spec.limits?.resources)) npSpec.limits = spec.limits.resources;
  if (typeof spec.weight === "number") npSpec.weight = spec.weight;
  warnings.push(`pods selecting ${ProvisionerNameLabel}=${name} must select karpenter.sh/nodepool=${name} instead`);

  if (errors.length) return { warnings, errors };
  return {
    nodePool: {
      apiVersion: "karpenter.sh/v1",
      kind: "NodePool",
      metadata: { name, labels: carriedLabels(p?.metadata, "provisioner", name) },
      spec: npSpec as NodePoolSpec,
    },
    nodeClass,
    warnings: [
      `converted to NodePool ${name}${nodeClass ? ` and EC2NodeClass ${nodeClass.metadata.name}` : ""}`,
      ...warnings,
    ],
    errors: [],
  };
}
