// NodeClaim lifecycle, one reconcile per NodeClaim key (driven by the work queue, never concurrently for one
// key): finalizer → Launched (cloud create) → Registered (Node with our providerID joined) → Initialized (Node
// Ready, startup taints gone, resources reported), plus liveness (not registered within the TTL → delete) and
// expiration (expireAfter → delete). Every step reads the cluster state, writes one thing, and is safe to
// repeat: cloud create is idempotent per NodeClaim name, patches carry a resourceVersion test, and a restart
// at any point resumes from the conditions already written.
import { recordRegistration } from "./registrationHealth";
import type { NodeClaim } from "../apis/generated/nodeclaims";
import { CloudProvider, InsufficientCapacityError, LaunchResult, NodeClassNotReadyError } from "../cloudprovider/types";
import type { CreateOptions } from "../cloudprovider/types";
import { isNodeReady } from "../kube/clusterState";
import { JsonPatchOp, KubeObject, Kinds, isNotFound, jsonPointerEscape, rvGuard } from "../kube/client";
import { ReconcileResult } from "../kube/workqueue";
import { parseDuration } from "../apis/duration";
import { jsonEqual } from "../apis/jsonEqual";
import { isZeroQuantity } from "../apis/quantity";
import { countNodeClaimDisrupted } from "../disruption/disruptedMetric";
import {
  Condition,
  Initialized,
  Launched,
  Registered,
  initialConditions,
  isTrue,
  setCondition,
  sameConditions,
} from "./conditions";
import {
  formatTaint,
  isKnownEphemeralTaint,
  matchTaint,
  LabelDoNotSyncTaints,
  LabelInitialized,
  LabelRegistered,
  TaintUnregistered,
  TerminationFinalizer,
  involvedNodeClaim,
  nodeClaimRef,
  nodePoolOf,
} from "./constants";
import { finalizeNodeClaim, Drainer } from "./finalize";
import { checkRegistrationHooks } from "./registrationHooks";
import type { EngineDeps } from "../kube/deps";
import { writeNodeClaimConditions } from "./nodeClaimConditions";

export interface LifecycleDeps extends EngineDeps {
  cloud: CloudProvider;
  drain: Drainer;
  registrationTtlMs: number;
  /** What NodeOverlays add to this pool's instance type (reported in status) and to its launches (as Karpenter). */
  overlayCapacity?: (nodePool: string, instanceType: string) => Record<string, string> | undefined;
  overlayLaunch?: (nodePool: string) => CreateOptions | undefined;
  /** 0..1, for the jitter of launch retries (Math.random by default; tests pin it). */
  random?: () => number;
}

type Taint = { key: string; value?: string; effect: string };
/** Karpenter's LaunchTimeout: a NodeClaim whose launch has not succeeded this long after it started failing is deleted. */
export const LAUNCH_TIMEOUT_MS = 5 * 60_000;
/** Bounds of a failing launch's retry delay (the cap well inside the launch timeout, which is honoured on time). */
export const LAUNCH_RETRY_INITIAL_MS = 1_000;
export const LAUNCH_RETRY_MAX_MS = 30_000;

/**
 * Delay before a failing launch is retried: exponential in how long it has been failing (the ceiling is that
 * elapsed time, so retries roughly double apart), between initial and max, with jitter over the upper half so
 * NodeClaims that failed together (a throttled or broken account) do not retry in lockstep. Derived from the
 * persisted Launched=False transition time, so the backoff survives a restart instead of starting over.
 */
export function launchRetryDelayMs(failingForMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(LAUNCH_RETRY_MAX_MS, Math.max(LAUNCH_RETRY_INITIAL_MS, failingForMs));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Writes the object back into state immediately so the next step reads our own write (watch events may lag). */
function remember<T extends KubeObject>(deps: LifecycleDeps, kind: "NodeClaim" | "Node", obj: T): T {
  deps.state.apply(kind, obj, "MODIFIED");
  return obj;
}

async function patchConditions(
  deps: LifecycleDeps,
  nc: NodeClaim,
  conditions: Condition[],
  extra: Record<string, unknown> = {},
): Promise<NodeClaim> {
  if (sameConditions(nc.status?.conditions as Condition[], conditions) && Object.keys(extra).length === 0) return nc;
  const out = await writeNodeClaimConditions(deps, nc as KubeObject, conditions, deps.clock.now(), extra);
  return out as unknown as NodeClaim;
}

export async function reconcileNodeClaim(deps: LifecycleDeps, name: string): Promise<ReconcileResult | void> {
  let nc = deps.state.nodeClaims.get(name);
  if (!nc) return;
  if (nc.metadata.deletionTimestamp) return finalizeNodeClaim(deps, nc);
  const now = deps.clock.now();

  // 1. Finalizer first, so no instance can exist for a NodeClaim that could vanish without cleanup.
  if (!nc.metadata.finalizers?.includes(TerminationFinalizer)) {
    const ops: JsonPatchOp[] = [rvGuard(nc.metadata.resourceVersion)];
    ops.push(
      nc.metadata.finalizers
        ? { op: "add", path: "/metadata/finalizers/-", value: TerminationFinalizer }
        : { op: "add", path: "/metadata/finalizers", value: [TerminationFinalizer] },
    );
    nc = remember(
      deps,
      "NodeClaim",
      await deps.client.patch<KubeObject>(Kinds.NodeClaim, name, ops),
    ) as unknown as NodeClaim;
  }
  if (!nc.status?.conditions?.length) nc = await patchConditions(deps, nc, initialConditions(now));

  // 2. Launch (and the launch timeout while it keeps failing).
  if (!isTrue(nc.status?.conditions as Condition[], Launched)) {
    if (await launchTimedOut(deps, nc, now)) return;
    const res = await launch(deps, nc);
    if (!res.nodeClaim) return res.result;
    nc = res.nodeClaim;
  }

  const created = Date.parse(nc.metadata.creationTimestamp ?? "") || now;
  const conds = () => nc!.status?.conditions as Condition[];

  // 3. Registration (and liveness while waiting for it).
  const node = deps.state.nodeForProviderID(nc.status?.providerID);
  if (node?.metadata.deletionTimestamp) {
    // Someone deleted the Node (kubectl delete node): terminate through the NodeClaim so the instance goes too.
    deps.log.info(
      { ...nodeClaimRef(nc), Node: { name: node.metadata.name } },
      "deleting nodeclaim, its node is being deleted",
    );
    await deps.client.delete(Kinds.NodeClaim, name);
    return;
  }
  if (!isTrue(conds(), Registered)) {
    if (!node) {
      const left = created + deps.registrationTtlMs - now;
      if (left <= 0) {
        deps.log.info(
          { ...nodeClaimRef(nc), "provider-id": nc.status?.providerID, ttl: `${deps.registrationTtlMs / 1000}s` },
          "deleting nodeclaim, node failed to register within the registration ttl",
        );
        deps.events.publish({
          involved: involvedNodeClaim(nc),
          type: "Warning",
          reason: "FailedRegistration",
          message: `Node did not register within ${deps.registrationTtlMs / 60000}m, deleting NodeClaim`,
        });
        countNodeClaimDisrupted(deps.metrics, "liveness", nc);
        recordRegistration(deps, nc, { reason: "RegistrationFailed", message: "Failed to register node" });
        await deps.client.delete(Kinds.NodeClaim, name);
        return;
      }
      nc = await patchConditions(
        deps,
        nc,
        setCondition(conds(), Registered, "Unknown", "NodeNotFound", "Node not registered with cluster", now),
      );
      return { requeueAfterMs: left };
    }
    // The provider's registration hooks first: until they are satisfied the Node gets the NodeClaim's labels,
    // taints and owner but keeps karpenter.sh/unregistered (Karpenter's registration.go).
    const hooks = await checkRegistrationHooks(deps.cloud, nc as never);
    if (Object.keys(hooks.labels).length) nc = await patchNodeClaimLabels(deps, nc, hooks.labels);
    await syncNodeOnRegistration(deps, nc, node, hooks.pending.length === 0);
    if (hooks.pending.length) {
      const message = hooks.pending.join(", ");
      nc = await patchConditions(
        deps,
        nc,
        setCondition(conds(), Registered, "Unknown", "RegistrationHookPending", message, now),
      );
      deps.log.debug({ ...nodeClaimRef(nc), hooks: hooks.pending }, "awaiting registration hooks");
      if (hooks.error) throw hooks.error;
      return hooks.result;
    }
    nc = await patchConditions(deps, nc, setCondition(conds(), Registered, "True", Registered, "", now), {
      nodeName: node.metadata.name,
    });
    recordRegistration(deps, nc);
    deps.log.info(
      { ...nodeClaimRef(nc), "provider-id": nc.status?.providerID, Node: { name: node.metadata.name } },
      "registered nodeclaim",
    );
    deps.metrics.nodesCreated.inc({
      nodepool: nodePoolOf(nc),
      zone:
        node.metadata.labels?.["topology.kubernetes.io/zone"] ??
        nc.metadata.labels?.["topology.kubernetes.io/zone"] ??
        "",
    });
  }

  // 4. Initialization.
  const current = deps.state.nodeForProviderID(nc.status?.providerID);
  if (!isTrue(conds(), Initialized)) {
    if (!current) return;
    const why = notInitializedReason(nc, current);
    if (why) {
      nc = await patchConditions(deps, nc, setCondition(conds(), Initialized, "Unknown", why.reason, why.message, now));
      // Node events (Ready, taint removal) re-trigger us; the requeue is a safety net only.
      return { requeueAfterMs: 30_000 };
    }
    if (current.metadata.labels?.[LabelInitialized] !== "true") {
      remember(
        deps,
        "Node",
        await deps.client.patch<KubeObject>(Kinds.Node, current.metadata.name, [
          rvGuard(current.metadata.resourceVersion),
          { op: "add", path: `/metadata/labels/${jsonPointerEscape(LabelInitialized)}`, value: "true" },
        ]),
      );
    }
    nc = await patchConditions(deps, nc, setCondition(conds(), Initialized, "True", Initialized, "", now));
    deps.log.info(
      {
        ...nodeClaimRef(nc),
        "provider-id": nc.status?.providerID,
        Node: { name: current.metadata.name },
        allocatable: current.status?.allocatable,
      },
      "initialized nodeclaim",
    );
  }

  // 5. Expiration: a NodeClaim older than expireAfter is deleted (graceful termination then honours PDBs until TGP).
  const expire = nc.spec.expireAfter ?? "720h";
  if (expire !== "Never") {
    const ms = parseDuration(expire).ms;
    if (ms !== undefined && ms !== null) {
      const left = created + ms - now;
      if (left <= 0) {
        deps.log.info({ ...nodeClaimRef(nc), ttl: expire }, "disrupting nodeclaim, expired");
        deps.events.publish({
          involved: involvedNodeClaim(nc),
          type: "Normal",
          reason: "Disrupted",
          message: `Disrupting NodeClaim: Expired`,
        });
        countNodeClaimDisrupted(deps.metrics, "expired", nc);
        await deps.client.delete(Kinds.NodeClaim, name);
        return;
      }
      return { requeueAfterMs: Math.min(left, 2 ** 31 - 1) };
    }
  }
}

async function launch(
  deps: LifecycleDeps,
  nc: NodeClaim,
): Promise<{ nodeClaim?: NodeClaim; result?: ReconcileResult }> {
  const now = deps.clock.now();
  const conds = nc.status?.conditions as Condition[];
  let result: LaunchResult;
  try {
    const opts = deps.overlayLaunch?.(nc.metadata.labels?.["karpenter.sh/nodepool"] ?? "");
    result = await (opts ? deps.cloud.create(nc as never, opts) : deps.cloud.create(nc as never));
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (err instanceof InsufficientCapacityError) {
      // As Karpenter: the NodeClaim is deleted so the next provisioning pass re-plans around the ICE'd offerings.
      deps.log.error({ ...nodeClaimRef(nc), error: msg }, "failed launching nodeclaim");
      deps.events.publish({
        involved: involvedNodeClaim(nc),
        type: "Warning",
        reason: "InsufficientCapacityError",
        message: `NodeClaim ${nc.metadata.name} event: ${truncate(msg)}`,
      });
      await deps.client.delete(Kinds.NodeClaim, nc.metadata.name!);
      return {};
    }
    // Anything else (NodeClass not ready, UnauthorizedOperation, a bad launch template, ...) is retried until
    // Karpenter's launch timeout, counted from when Launched first went False; then the NodeClaim is deleted.
    const reason = err instanceof NodeClassNotReadyError ? "NodeClassNotReady" : launchErrorReason(err);
    const updated = await patchConditions(
      deps,
      nc,
      setCondition(conds, Launched, "False", reason, truncate(msg), now),
    ).catch(() => undefined);
    deps.log.error({ ...nodeClaimRef(nc), error: msg, reason }, "failed launching nodeclaim");
    deps.events.publish({
      involved: involvedNodeClaim(nc),
      type: "Warning",
      reason: reason === "NodeClassNotReady" ? reason : "LaunchFailed",
      message: truncate(msg),
    });
    if (updated && (await launchTimedOut(deps, updated, now))) return {};
    const since = launchFailingSince(updated ?? nc) ?? now;
    const delay = launchRetryDelayMs(now - since, deps.random);
    return { result: { requeueAfterMs: Math.max(1, Math.min(delay, since + LAUNCH_TIMEOUT_MS - now)) } };
  }
  // Labels first, status second: if we crash in between, the retry's create() returns the same instance.
  const labels: Record<string, string> = {
    ...result.labels,
    "node.kubernetes.io/instance-type": result.instanceType,
    "topology.kubernetes.io/zone": result.zone,
    "karpenter.sh/capacity-type": result.capacityType,
  };
  const ops: JsonPatchOp[] = [rvGuard(nc.metadata.resourceVersion)];
  ops.push({ op: "add", path: "/metadata/labels", value: { ...labels, ...(nc.metadata.labels ?? {}) } });
  if (result.annotations && Object.keys(result.annotations).length)
    ops.push({
      op: "add",
      path: "/metadata/annotations",
      value: { ...(nc.metadata.annotations ?? {}), ...result.annotations },
    });
  const labelled = remember(
    deps,
    "NodeClaim",
    await deps.client.patch<KubeObject>(Kinds.NodeClaim, nc.metadata.name!, ops),
  ) as unknown as NodeClaim;
  const updated = await patchConditions(
    deps,
    labelled,
    setCondition(labelled.status?.conditions as Condition[], Launched, "True", Launched, "", now),
    {
      providerID: result.providerID,
      imageID: result.imageID,
      ...withOverlayCapacity(deps, nc, result),
    },
  );
  deps.log.info(
    {
      ...nodeClaimRef(updated),
      "provider-id": result.providerID,
      "instance-type": result.instanceType,
      zone: result.zone,
      "capacity-type": result.capacityType,
      allocatable: result.allocatable,
    },
    "launched nodeclaim",
  );
  deps.events.publish({
    involved: involvedNodeClaim(updated),
    type: "Normal",
    reason: "Launched",
    message: `Status condition transitioned, Type: Launched, Status: True, Reason: Launched`,
  });
  return { nodeClaim: updated };
}

/** Labels set by registration hooks: on the NodeClaim first, so a restart syncs them to the Node too. */
async function patchNodeClaimLabels(
  deps: LifecycleDeps,
  nc: NodeClaim,
  labels: Record<string, string>,
): Promise<NodeClaim> {
  const current = nc.metadata.labels ?? {};
  if (Object.entries(labels).every(([k, v]) => current[k] === v)) return nc;
  const ops: JsonPatchOp[] = [
    rvGuard(nc.metadata.resourceVersion),
    { op: "add", path: "/metadata/labels", value: { ...current, ...labels } },
  ];
  const out = await deps.client.patch<KubeObject>(Kinds.NodeClaim, nc.metadata.name!, ops);
  return remember(deps, "NodeClaim", out) as unknown as NodeClaim;
}

/**
 * Labels, taints, owner and finalizer the Node gets from its NodeClaim when it registers (Karpenter's
 * registration.go); `complete` (every registration hook satisfied) also removes the karpenter.sh/unregistered
 * taint and labels it karpenter.sh/registered. Nothing is written when the Node already has it all.
 */
async function syncNodeOnRegistration(
  deps: LifecycleDeps,
  nc: NodeClaim,
  node: KubeObject,
  complete: boolean,
): Promise<void> {
  const labels = {
    ...(node.metadata.labels ?? {}),
    ...(nc.metadata.labels ?? {}),
    ...(complete ? { [LabelRegistered]: "true" } : {}),
  };
  let taints: Taint[] = ((node.spec?.taints ?? []) as Taint[]).filter(
    (t) => !complete || !(t.key === TaintUnregistered.key),
  );
  if (nc.metadata.labels?.[LabelDoNotSyncTaints] !== "true") {
    for (const t of [...(nc.spec.taints ?? []), ...(nc.spec.startupTaints ?? [])] as Taint[]) {
      // Karpenter's Taints.Merge: a Node taint of the same key and effect (whatever its value) stands.
      if (!taints.some((x) => matchTaint(x, t)))
        taints.push({ key: t.key, effect: t.effect, ...(t.value ? { value: t.value } : {}) });
    }
  }
  const owners = (node.metadata.ownerReferences ?? []).filter((o) => o.kind !== "NodeClaim");
  owners.push({
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    name: nc.metadata.name!,
    uid: nc.metadata.uid ?? "",
    blockOwnerDeletion: true,
  });
  const finalizers = [...new Set([...(node.metadata.finalizers ?? []), TerminationFinalizer])];
  // Owner references are compared by what identifies them: the state's slim Node keeps no blockOwnerDeletion.
  const ownerKey = (o: { kind: string; name: string; uid: string }) => `${o.kind}/${o.name}/${o.uid}`;
  const unchanged =
    jsonEqual(labels, node.metadata.labels ?? {}) &&
    owners.map(ownerKey).join() === (node.metadata.ownerReferences ?? []).map(ownerKey).join() &&
    jsonEqual(finalizers, node.metadata.finalizers ?? []) &&
    jsonEqual(taints, node.spec?.taints ?? []);
  if (unchanged) return;
  const ops: JsonPatchOp[] = [
    rvGuard(node.metadata.resourceVersion),
    { op: "add", path: "/metadata/labels", value: labels },
    { op: "add", path: "/metadata/ownerReferences", value: owners },
    { op: "add", path: "/metadata/finalizers", value: finalizers },
    { op: "add", path: "/spec/taints", value: taints },
  ];
  try {
    remember(deps, "Node", await deps.client.patch<KubeObject>(Kinds.Node, node.metadata.name, ops));
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
}

/** The AWS error code (UnauthorizedOperation, InvalidLaunchTemplate...) names the failure when there is one. */
function launchErrorReason(err: unknown): string {
  const name = (err as { name?: string; Code?: string }).Code ?? (err as { name?: string }).name ?? "";
  return /^[A-Za-z][A-Za-z0-9.]*$/.test(name) && name !== "Error" ? name.replace(/\./g, "") : "LaunchFailed";
}

function launchFailingSince(nc: NodeClaim): number | undefined {
  const c = (nc.status?.conditions as Condition[] | undefined)?.find((x) => x.type === Launched);
  if (!c || c.status !== "False") return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isFinite(t) ? t : undefined;
}

/** Deletes the NodeClaim (its pods are then re-planned) once its launch has failed for LAUNCH_TIMEOUT_MS. */
async function launchTimedOut(deps: LifecycleDeps, nc: NodeClaim, now: number): Promise<boolean> {
  const since = launchFailingSince(nc);
  if (since === undefined || now - since < LAUNCH_TIMEOUT_MS) return false;
  const c = (nc.status?.conditions as Condition[]).find((x) => x.type === Launched)!;
  deps.log.info(
    { ...nodeClaimRef(nc), timeout: `${LAUNCH_TIMEOUT_MS / 1000}s`, reason: "launch_timeout", error: c.message },
    "terminating due to timeout",
  );
  deps.events.publish({
    involved: involvedNodeClaim(nc),
    type: "Warning",
    reason: "LaunchTimeout",
    message: truncate(`NodeClaim failed to launch within ${LAUNCH_TIMEOUT_MS / 60000}m (${c.reason}): ${c.message}`),
  });
  countNodeClaimDisrupted(deps.metrics, "launch_timeout", nc);
  recordRegistration(deps, nc, { reason: c.reason, message: c.message });
  await deps.client.delete(Kinds.NodeClaim, nc.metadata.name!).catch((e) => {
    if (!isNotFound(e)) throw e;
  });
  return true;
}

function notInitializedReason(nc: NodeClaim, node: KubeObject): { reason: string; message: string } | undefined {
  if (!isNodeReady(node)) return { reason: "NodeNotReady", message: "Node status is NotReady" };
  const nodeTaints = (node.spec?.taints ?? []) as Taint[];
  // Karpenter's StartupTaintsRemoved: a Node taint matching a startup taint by key and effect (corev1 MatchTaint,
  // the value not compared) still holds initialization; the message names the Node's taint.
  let startup: Taint | undefined;
  for (const t of (nc.spec.startupTaints ?? []) as Taint[])
    if ((startup = nodeTaints.find((x) => matchTaint(t, x)))) break;
  if (startup) return { reason: "StartupTaintsExist", message: `StartupTaint "${formatTaint(startup)}" still exists` };
  // As Karpenter: not before the node's starting taints (not-ready, uninitialized...) are gone, or the scheduler
  // would hold them against an initialized node and plan its pods elsewhere.
  const ephemeral = nodeTaints.find(isKnownEphemeralTaint);
  if (ephemeral)
    return {
      reason: "KnownEphemeralTaintsExist",
      message: `KnownEphemeralTaint "${formatTaint(ephemeral)}" still exists`,
    };
  // Karpenter's RequestedResourcesRegistered: only what the NodeClaim's pods requested must be non-zero in the
  // Node's allocatable; other extended resources of the type (e.g. vpc.amazonaws.com/pod-eni) may come later.
  const alloc = (node.status?.allocatable ?? {}) as Record<string, string>;
  for (const [r, q] of Object.entries((nc.spec.resources?.requests ?? {}) as Record<string, string>)) {
    if (isZeroQuantity(q)) continue;
    if (isZeroQuantity(alloc[r]))
      return { reason: "ResourceNotRegistered", message: `Resource "${r}" was requested but not registered` };
  }
  return undefined;
}

/** The launched type's capacity/allocatable plus what NodeOverlays add (Karpenter launches the overlaid type). */
function withOverlayCapacity(
  deps: LifecycleDeps,
  nc: NodeClaim,
  result: LaunchResult,
): Pick<LaunchResult, "capacity" | "allocatable"> {
  const pool = nc.metadata.labels?.["karpenter.sh/nodepool"];
  const extra = pool ? deps.overlayCapacity?.(pool, result.instanceType) : undefined;
  if (!extra) return { capacity: result.capacity, allocatable: result.allocatable };
  return { capacity: { ...result.capacity, ...extra }, allocatable: { ...result.allocatable, ...extra } };
}

function truncate(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}
