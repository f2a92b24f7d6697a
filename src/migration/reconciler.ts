// Keeps each v1alpha5 object's v1 twin applied: Provisioner -> NodePool (+ its own EC2NodeClass for an inline
// provider or kubelet settings), AWSNodeTemplate -> EC2NodeClass. Create-or-update through the KubeClient (it has
// no server-side apply), owned by the source object so deleting the Provisioner garbage-collects the NodePool.
// Idempotent: a hash annotation of the desired object decides whether to write, because the apiserver adds
// defaults that a plain comparison would always see as a difference.

import { transitionTime } from "../apis/conditions";
import { createHash } from "node:crypto";
import {
  KubeError,
  Kinds,
  rvGuard,
  type JsonPatchOp,
  type KubeClient,
  type KubeObject,
  type ResourceKind,
} from "../kube/client";
import { awsNodeTemplateToEC2NodeClass } from "./awsNodeTemplate";
import { ConvertedFromLabel, type ConversionContext } from "./common";
import { provisionerToNodePool } from "./provisioner";
import type { Condition } from "../apis/conditions";

export const V1alpha5Kinds = {
  Provisioner: {
    group: "karpenter.sh",
    version: "v1alpha5",
    kind: "Provisioner",
    plural: "provisioners",
    namespaced: false,
  },
  AWSNodeTemplate: {
    group: "karpenter.k8s.aws",
    version: "v1alpha1",
    kind: "AWSNodeTemplate",
    plural: "awsnodetemplates",
    namespaced: false,
  },
} satisfies Record<string, ResourceKind>;

export const ConvertedHashAnnotation = "capsicum.dev/converted-hash";

export interface MigrationDeps {
  client: KubeClient;
  ctx?: ConversionContext;
  now?: () => Date;
}

export interface ReconcileOutcome {
  converted: boolean;
  /** Objects created or updated by this pass (empty when everything was already up to date). */
  written: string[];
  warnings: string[];
  errors: string[];
}

function stable(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(stable).join(",")}]`;
  if (x && typeof x === "object")
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((x as any)[k])}`)
      .join(",")}}`;
  return JSON.stringify(x);
}
const hashOf = (o: unknown): string => createHash("sha256").update(stable(o)).digest("hex").slice(0, 16);

function ownerRef(src: KubeObject, kind: ResourceKind) {
  if (!src.metadata.uid)
    throw new Error(`${kind.kind} ${src.metadata.name} has no metadata.uid; reconcile objects read from the apiserver`);
  return {
    apiVersion: `${kind.group}/${kind.version}`,
    kind: kind.kind,
    name: src.metadata.name,
    uid: src.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Create-or-update `desired` (owned by `owner`). Refuses to take over an object it did not create. */
async function applyOwned(
  client: KubeClient,
  kind: ResourceKind,
  desired: KubeObject,
  owner: ReturnType<typeof ownerRef>,
): Promise<boolean> {
  const hash = hashOf({ spec: desired.spec, labels: desired.metadata.labels, owner });
  const name = desired.metadata.name;
  const existing = await client.get(kind, name);
  if (!existing) {
    const obj = {
      ...desired,
      metadata: {
        ...desired.metadata,
        annotations: { ...(desired.metadata.annotations ?? {}), [ConvertedHashAnnotation]: hash },
        ownerReferences: [owner],
      },
    };
    await client.create(kind, obj);
    return true;
  }
  const from = existing.metadata.labels?.[ConvertedFromLabel];
  if (from !== desired.metadata.labels?.[ConvertedFromLabel]) {
    throw new KubeError(
      409,
      `${kind.kind} ${name} already exists and was not converted from ${owner.kind} ${owner.name} (label ${ConvertedFromLabel}=${from ?? "<none>"}); rename one of them or delete the ${kind.kind}`,
    );
  }
  if (existing.metadata.annotations?.[ConvertedHashAnnotation] === hash) return false;
  const others = (existing.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.uid && !r.controller);
  const ops: JsonPatchOp[] = [
    rvGuard(existing.metadata.resourceVersion),
    { op: "add", path: "/spec", value: desired.spec },
    {
      op: "add",
      path: "/metadata/labels",
      value: { ...(existing.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) },
    },
    {
      op: "add",
      path: "/metadata/annotations",
      value: { ...(existing.metadata.annotations ?? {}), [ConvertedHashAnnotation]: hash },
    },
    { op: "add", path: "/metadata/ownerReferences", value: [...others, owner] },
  ];
  await client.patch(kind, name, ops);
  return true;
}

/** Writes Converted and Ready conditions; skipped when nothing changed (so our own status write does not loop). */
async function writeConditions(
  deps: MigrationDeps,
  kind: ResourceKind,
  src: KubeObject,
  ok: boolean,
  message: string,
): Promise<void> {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const current: Condition[] = Array.isArray(src.status?.conditions) ? src.status.conditions : [];
  const status = ok ? "True" : "False";
  const msg = message.slice(0, 32000);
  const next = (type: string, reason: string): Condition => {
    const prev = current.find((c) => c.type === type);
    return { type, status, reason, message: msg, lastTransitionTime: transitionTime(prev, status, now) };
  };
  const conditions = [
    next("Converted", ok ? "Converted" : "ConversionFailed"),
    next("Ready", ok ? "Ready" : "NotConverted"),
  ];
  const same = conditions.every((c) =>
    current.some((p) => p.type === c.type && p.status === c.status && p.reason === c.reason && p.message === c.message),
  );
  if (same) return;
  await deps.client.patchStatus(kind, src.metadata.name, { conditions });
}

async function finish(
  deps: MigrationDeps,
  kind: ResourceKind,
  src: KubeObject,
  out: ReconcileOutcome,
): Promise<ReconcileOutcome> {
  const message = out.converted ? out.warnings.join("; ") : out.errors.join("; ");
  await writeConditions(deps, kind, src, out.converted, message || (out.converted ? "converted" : "not converted"));
  return out;
}

export async function reconcileProvisioner(deps: MigrationDeps, p: KubeObject): Promise<ReconcileOutcome> {
  if (p.metadata.deletionTimestamp) return { converted: false, written: [], warnings: [], errors: [] }; // GC removes the twins
  const kind = V1alpha5Kinds.Provisioner;
  const refName = p.spec?.providerRef?.name;
  const template =
    typeof refName === "string" && refName && p.spec?.kubeletConfiguration
      ? await deps.client.get(V1alpha5Kinds.AWSNodeTemplate, refName)
      : undefined;
  const c = provisionerToNodePool(p, template, deps.ctx ?? {});
  const out: ReconcileOutcome = { converted: false, written: [], warnings: c.warnings, errors: [...c.errors] };
  if (c.nodePool) {
    try {
      const owner = ownerRef(p, kind);
      if (c.nodeClass && (await applyOwned(deps.client, Kinds.EC2NodeClass, c.nodeClass as KubeObject, owner)))
        out.written.push(`EC2NodeClass/${c.nodeClass.metadata.name}`);
      if (await applyOwned(deps.client, Kinds.NodePool, c.nodePool as KubeObject, owner))
        out.written.push(`NodePool/${c.nodePool.metadata.name}`);
      out.converted = true;
    } catch (e) {
      out.errors.push((e as Error).message);
    }
  }
  return finish(deps, kind, p, out);
}

export async function reconcileAWSNodeTemplate(deps: MigrationDeps, t: KubeObject): Promise<ReconcileOutcome> {
  if (t.metadata.deletionTimestamp) return { converted: false, written: [], warnings: [], errors: [] };
  const kind = V1alpha5Kinds.AWSNodeTemplate;
  const c = awsNodeTemplateToEC2NodeClass(t, deps.ctx ?? {});
  const out: ReconcileOutcome = { converted: false, written: [], warnings: c.warnings, errors: [...c.errors] };
  if (c.object) {
    try {
      if (await applyOwned(deps.client, Kinds.EC2NodeClass, c.object as KubeObject, ownerRef(t, kind)))
        out.written.push(`EC2NodeClass/${c.object.metadata.name}`);
      out.converted = true;
    } catch (e) {
      out.errors.push((e as Error).message);
    }
  }
  await finish(deps, kind, t, out);
  // Provisioners with kubelet settings carry a per-Provisioner copy of this template: refresh them too.
  const dependents = (await deps.client.list(V1alpha5Kinds.Provisioner))
    .filter((p) => p.spec?.providerRef?.name === t.metadata.name && p.spec?.kubeletConfiguration)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const p of dependents) {
    const r = await reconcileProvisioner(deps, p);
    out.written.push(...r.written);
  }
  return out;
}
