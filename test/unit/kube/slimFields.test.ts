// The cluster state keeps trimmed pods, nodes and NodeClaims (src/kube/slim.ts). These tests run the scheduler
// (provisioning) and the disruption pass (snapshot + consolidation through the scheduler simulator) over full,
// apiserver-shaped objects whose every property read is recorded, then check that the trimmed copies the cluster
// state holds still carry every field that was read, and that both give the same decisions.
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { computeCommand } from "../../../src/disruption/disruptionController";
import { schedulerSimulator } from "../../../src/disruption/schedulerSimulator";
import { buildSnapshot, type KubeObjectLike } from "../../../src/disruption/snapshot";
import type { NodePoolLike } from "../../../src/disruption/types";
import type { KubeObject } from "../../../src/kube/client";
import { ClusterState, isProvisionable, podKey } from "../../../src/kube/clusterState";
import { pairObjects } from "../../../src/kube/stateNodes";
import { schedule } from "../../../src/scheduling/scheduler";
import type { NodePool, SchedulingInput } from "../../../src/scheduling/types";

const TS = "2026-03-02T09:00:00Z";
const NOW = new Date("2026-03-02T10:00:00Z");
const catalog = loadCatalog();
const m5 = catalog.find((t) => t.name === "m5.2xlarge")!;
const fmt = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === "cpu" ? `${v}m` : String(v)]));

const managed = [{ manager: "kube-controller-manager", operation: "Update", apiVersion: "v1", time: TS, fieldsType: "FieldsV1", fieldsV1: { "f:metadata": {} } }];

/** A pod as the apiserver serves it, with every scheduling feature and the noise the engine must not keep. */
function fullPod(name: string, opts: { nodeName?: string; app: string; cpu: string; extra?: Record<string, unknown>; annotations?: Record<string, string> }): KubeObject {
  const bound = !!opts.nodeName;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name, namespace: "default", uid: `uid-${name}`, resourceVersion: "10", creationTimestamp: TS, generateName: `${opts.app}-`,
      labels: { app: opts.app, tier: "web" },
      annotations: { "kubectl.kubernetes.io/restartedAt": TS, "karpenter.sh/do-not-disrupt": "false", "controller.kubernetes.io/pod-deletion-cost": "5", ...opts.annotations },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${opts.app}-rs`, uid: `rs-${opts.app}`, controller: true, blockOwnerDeletion: true }],
      managedFields: managed,
    },
    spec: {
      ...(bound ? { nodeName: opts.nodeName } : {}),
      containers: [{
        name: "app", image: "nginx:1.27", env: [{ name: "A", value: "b" }], command: ["nginx"],
        resources: { requests: { cpu: opts.cpu, memory: "512Mi" }, limits: { memory: "1Gi" } },
        ports: [{ containerPort: 8080, protocol: "TCP" }],
        volumeMounts: [{ name: "data", mountPath: "/data" }],
      }],
      initContainers: [{ name: "init", image: "busybox", resources: { requests: { cpu: "100m" } } }, { name: "sidecar", image: "envoy", restartPolicy: "Always", resources: { requests: { cpu: "50m", memory: "64Mi" } } }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: `data-${name}` } }, { name: "tok", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } }],
      nodeSelector: { "kubernetes.io/os": "linux" },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }] } }],
        },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: opts.app } } } }] },
      },
      topologySpreadConstraints: [{ maxSkew: 2, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: opts.app } } }],
      tolerations: [{ key: "dedicated", operator: "Equal", value: "web", effect: "NoSchedule" }, { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
      priority: 1000, priorityClassName: "web", preemptionPolicy: "PreemptLowerPriority", overhead: { cpu: "10m" },
      terminationGracePeriodSeconds: 30, schedulerName: "default-scheduler", dnsPolicy: "ClusterFirst", restartPolicy: "Always",
      serviceAccountName: "web", securityContext: { runAsNonRoot: true }, enableServiceLinks: true,
      ...opts.extra,
    },
    status: bound
      ? {
          phase: "Running", startTime: TS, hostIP: "10.0.0.1", podIP: "10.0.1.5",
          conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({ type, status: "True", lastTransitionTime: TS })),
          containerStatuses: [{ name: "app", ready: true, restartCount: 0, image: "nginx:1.27", imageID: "sha256:abc", state: { running: { startedAt: TS } } }],
          qosClass: "Burstable",
        }
      : { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/2 nodes are available", lastTransitionTime: TS }], qosClass: "Burstable" },
  };
}

function fullNode(name: string, i: number): KubeObject {
  const od = m5.offerings.find((o) => o.capacityType === "on-demand")!;
  return {
    apiVersion: "v1", kind: "Node",
    metadata: {
      name, uid: `uid-${name}`, resourceVersion: "20", creationTimestamp: TS, managedFields: managed,
      labels: { ...m5.labels, "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": "on-demand", "topology.kubernetes.io/zone": od.zone, "node.kubernetes.io/instance-type": m5.name, "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "karpenter.sh/registered": "true", "karpenter.sh/initialized": "true" },
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "karpenter.sh/nodepool-hash": "123" },
    },
    spec: { providerID: `aws:///${od.zone}/i-${i}`, taints: [{ key: "dedicated", value: "web", effect: "NoSchedule" }] },
    status: {
      capacity: fmt(m5.capacity), allocatable: fmt(m5.allocatable),
      conditions: [{ type: "MemoryPressure", status: "False", lastHeartbeatTime: TS }, { type: "Ready", status: "True", reason: "KubeletReady", lastTransitionTime: TS, lastHeartbeatTime: TS }],
      addresses: [{ type: "InternalIP", address: "10.0.0.1" }],
      nodeInfo: { kubeletVersion: "v1.34.4", architecture: "amd64" },
      images: [{ names: ["nginx:1.27"], sizeBytes: 1 }],
    },
  };
}

function fullNodeClaim(name: string, node: KubeObject | undefined, i: number): KubeObject {
  const od = m5.offerings.find((o) => o.capacityType === "on-demand")!;
  return {
    apiVersion: "karpenter.sh/v1", kind: "NodeClaim",
    metadata: {
      name, uid: `uid-${name}`, resourceVersion: "30", creationTimestamp: "2026-03-01T10:00:00Z", generation: 1, managedFields: managed,
      labels: { "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": "on-demand", "node.kubernetes.io/instance-type": m5.name, "topology.kubernetes.io/zone": od.zone },
      annotations: { "karpenter.sh/nodepool-hash": "123", "karpenter.sh/nodepool-hash-version": "v3", "karpenter.k8s.aws/ec2nodeclass-hash": "456" },
      finalizers: ["karpenter.sh/termination"],
      ownerReferences: [{ apiVersion: "karpenter.sh/v1", kind: "NodePool", name: "default", uid: "np", blockOwnerDeletion: true }],
    },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: [m5.name] }, { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }],
      resources: { requests: { cpu: "1200m", memory: "1Gi", pods: "2" } },
      taints: [{ key: "dedicated", value: "web", effect: "NoSchedule" }],
      expireAfter: "720h", terminationGracePeriod: "1h",
    },
    status: {
      ...(node ? { providerID: node.spec.providerID, nodeName: node.metadata.name } : {}),
      imageID: "ami-1", capacity: fmt(m5.capacity), allocatable: fmt(m5.allocatable), lastPodEventTime: "2026-03-02T08:00:00Z",
      conditions: ["Launched", "Registered", "Initialized", "Ready"].map((type) => ({ type, status: node || type === "Launched" ? "True" : "Unknown", reason: type, message: "", lastTransitionTime: TS, observedGeneration: 1 })),
    },
  };
}

const nodePool: NodePoolLike & NodePool = {
  metadata: { name: "default" },
  spec: {
    template: { spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }, { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5"] }],
      taints: [{ key: "dedicated", value: "web", effect: "NoSchedule" }],
    } },
    disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "0s", budgets: [{ nodes: "100%" }] },
  } as never,
};

function fixture() {
  const nodes = [fullNode("node-a", 1), fullNode("node-b", 2)];
  const claims = [fullNodeClaim("default-a", nodes[0], 1), fullNodeClaim("default-b", nodes[1], 2), fullNodeClaim("default-c", undefined, 3)];
  // Two under-used nodes (consolidation has work) and pending pods with every constraint kind.
  const bound = [
    fullPod("web-1", { nodeName: "node-a", app: "web", cpu: "500m" }),
    fullPod("web-2", { nodeName: "node-b", app: "web", cpu: "500m", annotations: { "karpenter.sh/do-not-disrupt": "true" } }),
    fullPod("api-1", { nodeName: "node-b", app: "api", cpu: "250m", extra: { containers: [{ name: "api", image: "api", resources: { requests: { cpu: "250m" } }, ports: [{ containerPort: 80, hostPort: 8080, protocol: "TCP" }] }] } }),
  ];
  const pending = [
    fullPod("pend-1", { app: "web", cpu: "1" }),
    fullPod("pend-2", { app: "batch", cpu: "2", extra: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "topology.kubernetes.io/zone", labelSelector: { matchLabels: { app: "web" } } }] } } } }),
    fullPod("pend-3", { app: "spread", cpu: "500m", extra: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["spread"] }] } }] } }),
    fullPod("pend-4", { app: "anti", cpu: "500m", extra: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "web" } } }] } } } }),
    fullPod("pend-5", { app: "port", cpu: "250m", extra: { containers: [{ name: "p", image: "p", resources: { requests: { cpu: "250m" } }, ports: [{ containerPort: 80, hostPort: 8080, protocol: "TCP" }] }] } }),
    fullPod("gated", { app: "web", cpu: "100m", extra: { schedulingGates: [{ name: "wait" }] } }),
  ];
  const pdbs: KubeObject[] = [{ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "api", namespace: "default", managedFields: managed }, spec: { selector: { matchLabels: { app: "api" } }, maxUnavailable: 1 }, status: { disruptionsAllowed: 1, currentHealthy: 1, observedGeneration: 1 } }];
  return { nodes, claims, pods: [...bound, ...pending], pdbs };
}

/** A deep copy whose every leaf read (a property holding a primitive) is recorded as `Kind:path` (indices as []). */
function recorded(obj: KubeObject, kind: string, reads: Set<string>): KubeObject {
  const wrap = (v: unknown, path: string): unknown => {
    if (v === null || typeof v !== "object") return v;
    const isArr = Array.isArray(v);
    const out: Record<string, unknown> | unknown[] = isArr ? [] : {};
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const p = isArr ? `${path}[]` : path ? `${path}.${k}` : k;
      const wrapped = wrap(child, p);
      Object.defineProperty(out, k, {
        enumerable: true,
        configurable: true,
        get() {
          if (wrapped === null || typeof wrapped !== "object") reads.add(`${kind}:${p}`);
          return wrapped;
        },
      });
    }
    return out;
  };
  return wrap(obj, "") as KubeObject;
}

/** Every value at a path (with [] over array elements). */
function valuesAt(obj: unknown, path: string): unknown[] {
  let cur: unknown[] = [obj];
  for (const part of path.split(".")) {
    const arr = part.endsWith("[]");
    const key = arr ? part.slice(0, -2) : part;
    cur = cur.flatMap((o) => (o && typeof o === "object" && key in (o as object) ? [(o as Record<string, unknown>)[key]] : []));
    if (arr) cur = cur.flatMap((o) => (Array.isArray(o) ? o : []));
  }
  return cur.filter((v) => v !== undefined);
}

/** The engine's reads: pending-pod detection, one provisioning solve, one disruption decision. */
function runEngine(f: { nodes: KubeObject[]; claims: KubeObject[]; pods: KubeObject[]; pdbs: KubeObject[] }) {
  const pending = f.pods.filter((p) => isProvisionable(p));
  const registered = new Set(f.nodes.map((n) => n.spec.providerID));
  const input: SchedulingInput = {
    pods: pending as never,
    nodePools: [nodePool],
    instanceTypes: catalog,
    existingNodes: f.nodes.map((n) => ({ node: n as never, pods: f.pods.filter((p) => p.spec.nodeName === n.metadata.name) as never, markedForDeletion: false })),
    inFlightNodeClaims: f.claims.filter((c) => !registered.has(c.status?.providerID)).map((c) => ({ nodeClaim: c as never, markedForDeletion: false })),
    daemonSets: [],
  };
  const provisioning = schedule(input);
  const snap = buildSnapshot(
    { stateNodes: pairObjects(f.nodes, f.claims as never, f.pods), pdbs: f.pdbs as KubeObjectLike[], nodePools: [nodePool], price: (t, z, c) => catalog.find((x) => x.name === t)?.offerings.find((o) => o.zone === z && o.capacityType === c)?.price },
    NOW,
  );
  const pass = computeCommand(snap, NOW, { simulator: schedulerSimulator(schedule, { nodePools: [nodePool], instanceTypes: catalog }) });
  return {
    pending: pending.map((p) => p.metadata.name).sort(),
    claims: provisioning.newNodeClaims.map((c) => ({ pods: c.pods.map((p) => p.metadata.name).sort(), types: c.instanceTypeOptions.map((t) => t.name).slice(0, 5), reqs: c.requirements })),
    existing: provisioning.existingNodes.map((a) => ({ name: a.name, pods: a.pods.map((p) => p.metadata.name).sort() })),
    unschedulable: provisioning.unschedulable.map((u) => [u.key, u.reason]),
    command: pass.command && { method: pass.command.method, decision: pass.command.decision, nodes: pass.command.candidates.map((c) => c.node.name), replacements: pass.command.replacements?.length },
    blocked: pass.blocked.map((b) => [b.node, b.reason]),
  };
}

function trimmed(f: ReturnType<typeof fixture>): ReturnType<typeof fixture> {
  const s = new ClusterState();
  for (const n of f.nodes) s.apply("Node", structuredClone(n), "ADDED");
  for (const c of f.claims) s.apply("NodeClaim", structuredClone(c), "ADDED");
  for (const p of f.pods) s.apply("Pod", structuredClone(p), "ADDED");
  for (const b of f.pdbs) s.apply("PodDisruptionBudget", structuredClone(b), "ADDED");
  return {
    nodes: f.nodes.map((n) => s.nodes.get(n.metadata.name)!),
    claims: f.claims.map((c) => s.nodeClaims.get(c.metadata.name!)! as unknown as KubeObject),
    pods: f.pods.map((p) => s.pods.get(podKey(p))!),
    pdbs: f.pdbs.map((b) => s.pdbs.get(podKey(b))!),
  };
}

describe("trimmed cluster state", () => {
  it("keeps every pod, node and NodeClaim field the scheduler and the disruption pass read", () => {
    const full = fixture();
    const reads = new Set<string>();
    const rec = {
      nodes: full.nodes.map((n) => recorded(n, "Node", reads)),
      claims: full.claims.map((c) => recorded(c, "NodeClaim", reads)),
      pods: full.pods.map((p) => recorded(p, "Pod", reads)),
      pdbs: full.pdbs.map((b) => recorded(b, "PodDisruptionBudget", reads)),
    };
    const result = runEngine(rec);
    // The run must have exercised the interesting paths, or the field check below proves little.
    expect(result.claims.length).toBeGreaterThan(0);
    expect(result.command).toBeDefined();
    for (const p of ["Pod:spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[].topologyKey", "Pod:spec.topologySpreadConstraints[].maxSkew", "Pod:spec.initContainers[].restartPolicy", "Pod:spec.containers[].ports[].hostPort", "Pod:metadata.annotations.karpenter.sh/do-not-disrupt", "Node:spec.taints[].key", "NodeClaim:status.allocatable.cpu", "NodeClaim:spec.requirements[].values[]"])
      expect(reads).toContain(p);

    const slim = trimmed(full);
    const byKind: Record<string, Array<[KubeObject, KubeObject]>> = {
      Pod: full.pods.map((p, i) => [p, slim.pods[i]!]),
      Node: full.nodes.map((n, i) => [n, slim.nodes[i]!]),
      NodeClaim: full.claims.map((c, i) => [c, slim.claims[i]!]),
      PodDisruptionBudget: full.pdbs.map((b, i) => [b, slim.pdbs[i]!]),
    };
    // Read only as part of copying a whole object ({ ...pod.spec } in preference relaxation and deleting-node
    // pods), never consulted; and port protocols, compared for host ports only (ports without one are dropped).
    const copiedOnly = new Set(["Pod:spec.dnsPolicy", "Pod:spec.enableServiceLinks", "Pod:spec.restartPolicy", "Pod:spec.serviceAccountName", "Pod:spec.containers[].ports[].protocol"]);
    const missing: string[] = [];
    for (const r of reads) {
      if (copiedOnly.has(r)) continue;
      const [kind, path] = [r.slice(0, r.indexOf(":")), r.slice(r.indexOf(":") + 1)];
      // Annotation keys contain dots: look them up as one key.
      const ann = path.match(/^metadata\.annotations\.(.+)$/);
      for (const [f, s] of byKind[kind]!) {
        const has = (o: KubeObject) => (ann ? o.metadata.annotations?.[ann[1]!] !== undefined : valuesAt(o, path).length > 0);
        if (has(f) && !has(s)) missing.push(`${r} (${f.metadata.name})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("gives the same provisioning and disruption decisions as the full objects", () => {
    const full = fixture();
    expect(runEngine(trimmed(full))).toEqual(runEngine(full));
  });

  it("drops what the engine never reads", () => {
    const full = fixture();
    const slim = trimmed(full);
    for (const o of [...slim.pods, ...slim.nodes, ...slim.claims]) expect(o.metadata.managedFields).toBeUndefined();
    const pod = slim.pods[0]!;
    expect(pod.spec.containers[0]).not.toHaveProperty("env");
    expect(pod.spec.containers[0]).not.toHaveProperty("image");
    expect(pod.status).not.toHaveProperty("containerStatuses");
    expect(pod.spec.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "data-web-1" } }]);
    expect(slim.nodes[0]!.status).not.toHaveProperty("images");
    const size = (xs: KubeObject[]) => JSON.stringify(xs).length;
    expect(size(slim.pods)).toBeLessThan(size(full.pods) * 0.75);
    expect(size(slim.nodes)).toBeLessThan(size(full.nodes) * 0.8);
    expect(size(slim.claims)).toBeLessThan(size(full.claims));
  });
});
