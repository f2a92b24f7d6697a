// The node group capsicum's own pods are scheduled to, as Karpenter's are on an EKS managed node group (never on
// nodes it manages). A KWOK node: KWOK keeps it Ready and marks the pods bound to it Running, which is what makes
// the module's Deployments Available to Argo CD; the processes themselves run on the host (sandbox/artefact.ts).
// Not a capsicum node: no karpenter.sh labels, no providerID of an emulator instance.
import { KWOK_NODE_ANNOTATION } from "./controlplane";

export const SYSTEM_NODE = "system-ng-0";

export function systemNodeManifest(name = SYSTEM_NODE): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "eks.amazonaws.com/nodegroup": "system",
      },
    },
    status: {
      capacity: { cpu: "4", memory: "16Gi", pods: "110", "ephemeral-storage": "80Gi" },
      allocatable: { cpu: "3920m", memory: "15Gi", pods: "110", "ephemeral-storage": "76Gi" },
      nodeInfo: {
        architecture: "amd64",
        operatingSystem: "linux",
        kubeletVersion: "v1.34.0",
        kubeProxyVersion: "",
        bootID: "",
        containerRuntimeVersion: "containerd://1.7.27",
        kernelVersion: "",
        machineID: "",
        osImage: "system",
        systemUUID: name,
      },
    },
  });
}
