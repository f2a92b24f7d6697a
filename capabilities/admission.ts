// Admission: validating webhooks for capsicum's API kinds and the pod-defaulting mutating webhook.
// Glue only: every rule lives in policies/validate and policies/podDefaults.
import { Capability, Log, a } from "pepr";
import { loadCatalog } from "../src/cloudprovider/aws/catalog";
import { admissionModeFrom } from "../src/settings";
import {
  formatDenial,
  validateAWSNodeTemplate,
  validateEC2NodeClass,
  validateProvisioner,
  validateNodeClaim,
  validateNodeOverlay,
  validateNodePool,
  type CatalogInstanceType,
  type ValidationResult,
} from "../policies/validate";
import {
  POLICY_CONFIGMAP_NAME,
  defaultPod,
  parsePodDefaultsConfigMap,
  type PodDefaultsPolicy,
  type PodLike,
} from "../policies/podDefaults";
import { cachedExistence, cachedLoader } from "../policies/lookups";
import { ApiKubeClient } from "../src/kube/apiClient";
import { Kinds, type ResourceKind } from "../src/kube/client";
import { AWSNodeTemplate, EC2NodeClass, NodeClaim, NodeOverlay, NodePool, Provisioner } from "./kinds";

export const Admission = new Capability({
  name: "admission",
  description:
    "Validates NodePool/EC2NodeClass/NodeClaim/NodeOverlay (and v1alpha5 Provisioner/AWSNodeTemplate) with Karpenter's rules and capsicum's checks; defaults pod requests and node requirements",
});
const { When } = Admission;

const MODULE_NAMESPACE = process.env.PEPR_NAMESPACE ?? "pepr-system";
// default: deny exactly what Karpenter's CRDs deny, everything else is a warning; strict: findings deny too.
const STRICT = admissionModeFrom(process.env) === "strict";

let catalog: CatalogInstanceType[] | undefined;
function catalogOnce(): CatalogInstanceType[] | undefined {
  if (catalog === undefined && process.env.CAPSICUM_SKIP_SATISFIABILITY !== "true") {
    try {
      catalog = loadCatalog({ region: process.env.AWS_REGION });
    } catch (e) {
      Log.warn({ err: String(e) }, "instance-type catalog unavailable; NodePool satisfiability checks skipped");
      catalog = [];
    }
  }
  return catalog && catalog.length > 0 ? catalog : undefined;
}

// Lookups made while admitting go through the engine's pooled connection: kfc's K8s(...) opens a TLS connection per
// request and keeps it 10 minutes, and the pod webhook looks its policy up throughout a scale-out.
const api = new ApiKubeClient();
// Not in the engine's Kinds: only admission reads ConfigMaps, and the cluster state never holds one.
const ConfigMapKind: ResourceKind = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  plural: "configmaps",
  namespaced: true,
};
const AWSNodeTemplateKind: ResourceKind = {
  group: "karpenter.k8s.aws",
  version: "v1alpha1",
  kind: "AWSNodeTemplate",
  plural: "awsnodetemplates",
  namespaced: false,
};
const nodeClassExists = cachedExistence((name) => api.get(Kinds.EC2NodeClass, name));

const podPolicy = cachedLoader<PodDefaultsPolicy | undefined>(async (namespace) => {
  for (const ns of [namespace, MODULE_NAMESPACE]) {
    try {
      const cm = await api.get<{ metadata: { name: string }; data?: Record<string, string> }>(
        ConfigMapKind,
        POLICY_CONFIGMAP_NAME,
        ns,
      );
      if (cm) return parsePodDefaultsConfigMap(cm.data, MODULE_NAMESPACE);
    } catch (e) {
      Log.warn({ namespace: ns, err: String(e) }, "pod-defaults policy unreadable; pods left as they are");
      return undefined;
    }
  }
  return undefined;
});

type Responder<R> = { Approve: (w?: string[]) => R; Deny: (m?: string, c?: number, w?: string[]) => R };
function respond<R>(req: Responder<R>, r: ValidationResult): R {
  return r.allowed
    ? req.Approve(r.warnings.length ? r.warnings : undefined)
    : req.Deny(formatDenial(r.errors), 422, r.warnings);
}

When(NodePool)
  .IsCreatedOrUpdated()
  .Validate(async (req) => {
    const ref = req.Raw.spec?.template?.spec?.nodeClassRef;
    const exists = ref?.kind === "EC2NodeClass" && ref.name ? await nodeClassExists(ref.name) : undefined;
    return respond(
      req,
      validateNodePool(req.Raw, {
        oldObject: req.OldResource,
        strict: STRICT,
        nodeClassExists: () => exists,
        catalog: catalogOnce(),
      }),
    );
  });

When(EC2NodeClass)
  .IsCreatedOrUpdated()
  .Validate((req) => respond(req, validateEC2NodeClass(req.Raw, { oldObject: req.OldResource, strict: STRICT })));
When(NodeClaim)
  .IsCreatedOrUpdated()
  .Validate((req) => respond(req, validateNodeClaim(req.Raw, { oldObject: req.OldResource, strict: STRICT })));
When(NodeOverlay)
  .IsCreatedOrUpdated()
  .Validate((req) => respond(req, validateNodeOverlay(req.Raw, { oldObject: req.OldResource, strict: STRICT })));

// v1alpha5: approve Karpenter-valid YAML with the conversion's warnings ("converted to NodePool default; ...").
const DEFAULT_INSTANCE_PROFILE = process.env.DEFAULT_INSTANCE_PROFILE || undefined;
When(Provisioner)
  .IsCreatedOrUpdated()
  .Validate(async (req) => {
    const ref = req.Raw.spec?.providerRef?.name;
    const awsNodeTemplate =
      ref && req.Raw.spec?.kubeletConfiguration
        ? await api.get(AWSNodeTemplateKind, ref).catch((e: unknown) => {
            Log.warn({ awsNodeTemplate: ref, err: String(e) }, "AWSNodeTemplate unreadable; converted without it");
            return undefined;
          })
        : undefined;
    return respond(
      req,
      validateProvisioner(req.Raw, {
        oldObject: req.OldResource,
        awsNodeTemplate,
        defaultInstanceProfile: DEFAULT_INSTANCE_PROFILE,
      }),
    );
  });
When(AWSNodeTemplate)
  .IsCreatedOrUpdated()
  .Validate((req) =>
    respond(
      req,
      validateAWSNodeTemplate(req.Raw, {
        oldObject: req.OldResource,
        defaultInstanceProfile: DEFAULT_INSTANCE_PROFILE,
      }),
    ),
  );

When(a.Pod)
  .IsCreated()
  .Mutate(async (req) => {
    const ns = req.Raw.metadata?.namespace ?? req.Request.namespace ?? "default";
    if (ns === MODULE_NAMESPACE || ns === "kube-system") return;
    const policy = await podPolicy(ns);
    if (!policy) return;
    const pod = { ...req.Raw, metadata: { ...req.Raw.metadata, namespace: ns } } as PodLike;
    const { patchedPod, changes } = defaultPod(pod, policy, MODULE_NAMESPACE);
    if (changes.length === 0) return;
    req.Raw.spec = patchedPod.spec as typeof req.Raw.spec;
    req.Raw.metadata = { ...req.Raw.metadata, annotations: patchedPod.metadata?.annotations };
    Log.info({ pod: req.Raw.metadata?.name, namespace: ns, changes }, "defaulted pod");
  });
