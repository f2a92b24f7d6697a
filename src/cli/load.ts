// Reads Kubernetes YAML (files or directories, multi-document) and sorts objects into scheduler inputs:
// workloads are expanded to their replica pods, Nodes become existing capacity (with pods bound via nodeName).
import { isOwnedByDaemonSet, isOwnedByNode, isTerminal } from "../apis/pods";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type {
  DaemonSet,
  ExistingNode,
  InFlightNodeClaim,
  Node,
  NodeClaim,
  NodeOverlay,
  NodePool,
  Pod,
  PodSpec,
} from "../scheduling/types";
import type { KubeletConfig } from "../cloudprovider/aws/catalog/types";
import type { VolumeSources } from "../scheduling/volumes";
import { addStorageObject, emptyStorage, statefulSetClaims, volumeSources } from "./loadVolumes";

export interface EC2NodeClassLike {
  metadata: { name?: string };
  spec?: {
    kubelet?: KubeletConfig;
    amiFamily?: string;
    amiSelectorTerms?: Array<{ alias?: string }>;
    instanceStorePolicy?: string;
    blockDeviceMappings?: Array<{ deviceName?: string; rootVolume?: boolean; ebs?: { volumeSize?: string } }>;
  };
}

export interface LoadedObjects {
  nodePools: NodePool[];
  nodeClasses: EC2NodeClassLike[];
  pods: Pod[];
  daemonSets: DaemonSet[];
  existingNodes: ExistingNode[];
  inFlightNodeClaims: InFlightNodeClaim[];
  nodeOverlays: NodeOverlay[];
  /** PersistentVolumeClaims, PersistentVolumes, StorageClasses and CSINodes: the pods' volume topology. */
  volumes: VolumeSources;
  /** Namespaces (`kubectl get namespaces -o yaml`): their labels for pod affinity namespaceSelectors. */
  namespaces: Array<{ metadata: { name?: string; labels?: Record<string, string> } }>;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function yamlFiles(path: string): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new Error(`-f ${path}: no such file or directory`);
  if (st.isFile()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((f) => {
      const p = join(path, f);
      const s = statSync(p);
      return s.isDirectory() ? yamlFiles(p) : /\.(ya?ml|json)$/.test(f) ? [p] : [];
    });
}

/** Every object in the given YAML/JSON files or directories (recursively, sorted), with `List`s flattened. */
export function readManifests(paths: string[]): Array<{ file: string; obj: any }> {
  const out: Array<{ file: string; obj: any }> = [];
  for (const file of paths.flatMap(yamlFiles)) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length) throw new Error(`${file}: invalid YAML: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as any;
      if (!obj || typeof obj !== "object") continue;
      for (const o of obj.kind === "List" ? (obj.items ?? []) : [obj]) out.push({ file, obj: o });
    }
  }
  return out;
}

function replicaPods(obj: any, count: number, file: string): Pod[] {
  const tpl = obj.spec?.template;
  if (!tpl?.spec?.containers)
    throw new Error(`${file}: ${obj.kind} ${obj.metadata?.name}: spec.template.spec.containers is required`);
  const ns = obj.metadata?.namespace ?? "default";
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${obj.metadata.name}-${i}`,
      namespace: ns,
      labels: { ...(tpl.metadata?.labels ?? {}) },
      annotations: tpl.metadata?.annotations,
      ownerReferences: [{ kind: obj.kind, name: obj.metadata.name }],
    },
    spec: structuredClone(tpl.spec) as PodSpec,
  }));
}

export function loadObjects(paths: string[]): LoadedObjects {
  const out: LoadedObjects = {
    nodePools: [],
    nodeClasses: [],
    pods: [],
    daemonSets: [],
    existingNodes: [],
    inFlightNodeClaims: [],
    nodeOverlays: [],
    volumes: volumeSources(emptyStorage()),
    namespaces: [],
  };
  const nodes: Node[] = [];
  const storage = emptyStorage();
  const statefulSets: Array<{ obj: any; pods: Pod[] }> = [];
  for (const { file, obj: o } of readManifests(paths)) {
    const replicas = (n: unknown): number => (n === undefined || n === null ? 1 : Number(n));
    switch (o.kind) {
      case "NodePool":
        out.nodePools.push(o);
        break;
      case "EC2NodeClass":
        out.nodeClasses.push(o);
        break;
      case "NodeOverlay":
        out.nodeOverlays.push(o);
        break;
      case "Pod":
        // In a `kubectl get pods -o yaml` snapshot: finished pods need no capacity, DaemonSet pods are the
        // DaemonSet's per-node overhead, and mirror (static) pods belong to their node.
        if (isTerminal(o) || isOwnedByDaemonSet(o) || isOwnedByNode(o)) break;
        out.pods.push({ ...o, metadata: { namespace: "default", ...o.metadata } });
        break;
      case "StatefulSet": {
        const pods = replicaPods(o, replicas(o.spec?.replicas), file);
        statefulSets.push({ obj: o, pods });
        out.pods.push(...pods);
        break;
      }
      case "Deployment":
      case "ReplicaSet":
      case "ReplicationController":
        out.pods.push(...replicaPods(o, replicas(o.spec?.replicas), file));
        break;
      case "Job":
        out.pods.push(
          ...replicaPods(
            o,
            Math.min(replicas(o.spec?.parallelism), replicas(o.spec?.completions ?? o.spec?.parallelism)),
            file,
          ),
        );
        break;
      case "DaemonSet":
        out.daemonSets.push(o);
        break;
      case "Node":
        nodes.push(o);
        break;
      case "Namespace":
        out.namespaces.push({ metadata: { name: o.metadata?.name, labels: o.metadata?.labels } });
        break;
      case "NodeClaim":
        out.inFlightNodeClaims.push({ nodeClaim: o as NodeClaim, pods: [] });
        break;
      default:
        addStorageObject(storage, o); // Services, ConfigMaps, ... do not affect scheduling
        break;
    }
  }
  // After every file is read: a StatefulSet's claims may be in a file read after it.
  for (const s of statefulSets) statefulSetClaims(s.obj, s.pods, storage);
  out.volumes = volumeSources(storage);
  const byNode = new Map<string, Pod[]>();
  const pending: Pod[] = [];
  for (const p of out.pods) {
    if (p.spec.nodeName) {
      if (!byNode.has(p.spec.nodeName)) byNode.set(p.spec.nodeName, []);
      byNode.get(p.spec.nodeName)!.push(p);
    } else pending.push(p);
  }
  out.pods = pending;
  out.existingNodes = nodes.map((n) => ({ node: n, pods: byNode.get(n.metadata.name ?? "") ?? [] }));
  for (const c of out.inFlightNodeClaims)
    c.pods = byNode.get(c.nodeClaim.status?.nodeName ?? c.nodeClaim.metadata.name ?? "") ?? [];
  return out;
}
