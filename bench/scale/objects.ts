// Apiserver-shaped objects for the scale bench: what a watch really delivers (managedFields, env, projected
// token volume, container statuses...), so the engine's trimming is measured against real object sizes.
import type { KubeObject } from "../../src/kube/client";

export interface App {
  name: string;
  replicas: number;
  cpu: string;
  memory: string;
  /** Zone topology spread (maxSkew 1, DoNotSchedule). */
  zoneSpread?: boolean;
  nodeSelector?: Record<string, string>;
}

/** Karpenter's e2e "basic" shape (issue 17): 500 × 0.9 vCPU/3.1Gi plus 500 × 3.5 vCPU/28Gi, pending at once. */
export function basicShape(): App[] {
  return [
    { name: "small", replicas: 500, cpu: "900m", memory: "3174Mi" },
    { name: "large", replicas: 500, cpu: "3500m", memory: "28Gi" },
  ];
}

/** A launchable mix of `total` pods over 20 Deployments: a third zone-spread, a fifth pinned to amd64. */
export function launchableMix(total: number): App[] {
  const sizes: Array<[string, string]> = [
    ["250m", "512Mi"],
    ["500m", "1Gi"],
    ["1", "2Gi"],
    ["900m", "3174Mi"],
    ["2", "4Gi"],
  ];
  const apps: App[] = [];
  const n = 20;
  for (let i = 0; i < n; i++) {
    const [cpu, memory] = sizes[i % sizes.length]!;
    apps.push({
      name: `app-${String(i).padStart(2, "0")}`,
      replicas: Math.floor(total / n) + (i < total % n ? 1 : 0),
      cpu,
      memory,
      zoneSpread: i % 3 === 0,
      nodeSelector: i % 5 === 4 ? { "kubernetes.io/arch": "amd64" } : undefined,
    });
  }
  return apps;
}

/** vCPUs the apps request in all ("250m" = 0.25). */
export function requestedCpu(apps: App[]): number {
  return apps.reduce((s, a) => s + a.replicas * (a.cpu.endsWith("m") ? Number(a.cpu.slice(0, -1)) / 1000 : Number(a.cpu)), 0);
}

/** Issue 17 (b): the NodePool's cpu limit for a launchable mix, 80 % of what it requests, so it is reached part-way. */
export function mixLimitCpu(apps: App[]): number {
  return Math.round(requestedCpu(apps) * 0.8);
}

/** The launchable mix's NodePool requirements (engine and sandbox): spot and on-demand c/m/r, both arches, gen > 4. */
export const MIX_REQUIREMENTS = [
  { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
  { key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64"] },
  { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
  { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["4"] },
];

const TS = "2026-03-02T10:00:00Z";

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** The pod the ReplicaSet controller creates, as the apiserver serves it; `nodeName` set = bound and Running. */
export function fullPod(app: App, i: number, rv: number, nodeName?: string): KubeObject {
  const rs = `${app.name}-${hash(app.name).slice(0, 8)}`;
  const name = `${rs}-${hash(`${app.name}/${i}`).slice(0, 5)}${i.toString(36)}`;
  const labels = { app: app.name, "pod-template-hash": hash(app.name).slice(0, 8) };
  const conditions = nodeName
    ? ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({
        type,
        status: "True",
        lastProbeTime: null,
        lastTransitionTime: TS,
      }))
    : [
        {
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/3 nodes are available: 3 node(s) had untolerated taint {CriticalAddonsOnly: true}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
          lastProbeTime: null,
          lastTransitionTime: TS,
        },
      ];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      generateName: `${rs}-`,
      namespace: "default",
      uid: `${hash(name)}-${hash(rs).slice(0, 4)}-4${hash(app.name).slice(0, 3)}-8${String(i).padStart(3, "0").slice(-3)}-${hash(`${name}x`)}${String(i).padStart(4, "0").slice(-4)}`,
      resourceVersion: String(rv),
      creationTimestamp: TS,
      labels,
      annotations: { "kubectl.kubernetes.io/restartedAt": TS },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: rs, uid: `rs-${hash(rs)}`, controller: true, blockOwnerDeletion: true },
      ],
      managedFields: [
        {
          manager: "kube-controller-manager",
          operation: "Update",
          apiVersion: "v1",
          time: TS,
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": { "f:generateName": {}, "f:labels": { ".": {}, "f:app": {}, "f:pod-template-hash": {} }, "f:ownerReferences": { ".": {}, [`k:{"uid":"rs-${hash(rs)}"}`]: {} } },
            "f:spec": {
              "f:containers": { [`k:{"name":"${app.name}"}`]: { ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": { ".": {}, "f:requests": { ".": {}, "f:cpu": {}, "f:memory": {} } }, "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {} } },
              "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:securityContext": {}, "f:terminationGracePeriodSeconds": {},
            },
          },
        },
        {
          manager: nodeName ? "kubelet" : "kube-scheduler",
          operation: "Update",
          apiVersion: "v1",
          time: TS,
          fieldsType: "FieldsV1",
          subresource: "status",
          fieldsV1: { "f:status": { "f:conditions": { ".": {}, 'k:{"type":"PodScheduled"}': { ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:message": {}, "f:reason": {}, "f:status": {}, "f:type": {} } } } },
        },
      ],
    },
    spec: {
      volumes: [
        {
          name: `kube-api-access-${hash(name).slice(0, 5)}`,
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
              { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
            ],
            defaultMode: 420,
          },
        },
      ],
      containers: [
        {
          name: app.name,
          image: "public.ecr.aws/eks-distro/kubernetes/pause:3.7",
          env: [
            { name: "APP", value: app.name },
            { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
          ],
          resources: { requests: { cpu: app.cpu, memory: app.memory } },
          volumeMounts: [{ name: `kube-api-access-${hash(name).slice(0, 5)}`, readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }],
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "IfNotPresent",
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 0,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      serviceAccount: "default",
      ...(nodeName ? { nodeName } : {}),
      ...(app.nodeSelector ? { nodeSelector: app.nodeSelector } : {}),
      ...(app.zoneSpread
        ? {
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: app.name } } },
            ],
          }
        : {}),
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: nodeName
      ? {
          phase: "Running",
          conditions,
          hostIP: "10.0.1.17",
          hostIPs: [{ ip: "10.0.1.17" }],
          podIP: `10.0.${(i >> 8) & 255}.${i & 255}`,
          podIPs: [{ ip: `10.0.${(i >> 8) & 255}.${i & 255}` }],
          startTime: TS,
          containerStatuses: [
            {
              name: app.name,
              state: { running: { startedAt: TS } },
              lastState: {},
              ready: true,
              restartCount: 0,
              image: "public.ecr.aws/eks-distro/kubernetes/pause:3.7",
              imageID: "public.ecr.aws/eks-distro/kubernetes/pause@sha256:1ff6c18fbef2045af6b9c16bf034cc421a29027b800e4f9b68ae9b1cb3e9ae07",
              containerID: `containerd://${hash(name).repeat(8)}`,
              started: true,
            },
          ],
          qosClass: "Burstable",
        }
      : { phase: "Pending", conditions, qosClass: "Burstable" },
  };
}

/** The Node a kubelet registers for a launched NodeClaim (labels from the claim, Ready, images and addresses). */
export function fullNode(name: string, providerID: string, labels: Record<string, string>, capacity: Record<string, string>, allocatable: Record<string, string>, rv: number): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      uid: `node-${hash(name)}`,
      resourceVersion: String(rv),
      creationTimestamp: TS,
      labels: { ...labels, "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "beta.kubernetes.io/os": "linux" },
      annotations: { "alpha.kubernetes.io/provided-node-ip": "10.0.1.17", "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true" },
      managedFields: [{ manager: "kubelet", operation: "Update", apiVersion: "v1", time: TS, fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:labels": {} }, "f:status": { "f:conditions": {} } } }],
    },
    spec: { providerID },
    status: {
      capacity,
      allocatable,
      conditions: ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"].map((type) => ({
        type,
        status: type === "Ready" ? "True" : "False",
        lastHeartbeatTime: TS,
        lastTransitionTime: TS,
        reason: type === "Ready" ? "KubeletReady" : `KubeletHasNo${type}`,
        message: type === "Ready" ? "kubelet is posting ready status" : `kubelet has no ${type}`,
      })),
      addresses: [
        { type: "InternalIP", address: "10.0.1.17" },
        { type: "InternalDNS", address: `${name}.ec2.internal` },
        { type: "Hostname", address: `${name}.ec2.internal` },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: hash(name).repeat(4),
        systemUUID: hash(name).repeat(4),
        bootID: hash(name).repeat(4),
        kernelVersion: "6.1.119-129.201.amzn2023.x86_64",
        osImage: "Amazon Linux 2023.6.20241212",
        containerRuntimeVersion: "containerd://1.7.23",
        kubeletVersion: "v1.34.4-eks-1234567",
        kubeProxyVersion: "",
        operatingSystem: "linux",
        architecture: labels["kubernetes.io/arch"] ?? "amd64",
      },
      images: [
        { names: ["public.ecr.aws/eks-distro/kubernetes/pause:3.7"], sizeBytes: 299513 },
        { names: ["602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.19.0"], sizeBytes: 45163018 },
        { names: ["602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.34.4-eksbuild.1"], sizeBytes: 37018193 },
      ],
    },
  };
}
