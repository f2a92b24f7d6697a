// AL2023 user data: a MIME multi-part document whose application/node.eks.aws part is a nodeadm NodeConfig
// (cluster name, API endpoint, CA, kubelet config and flags for labels/taints). A user-supplied spec.userData is
// kept as its own part(s) ahead of capsicum's, so nodeadm merges them with capsicum's settings taking effect last.
import { stringify } from "yaml";
import type { KubeletSpec } from "./nodeClass";

export const MIME_BOUNDARY = "//";

export interface UserDataOptions {
  clusterName: string;
  apiServerEndpoint: string;
  caBundle?: string;
  /** Service CIDR; nodeadm needs it to derive cluster DNS when clusterDNS is unset. */
  serviceCIDR?: string;
  labels: Record<string, string>;
  taints: Array<{ key: string; value?: string; effect: string }>;
  kubelet?: KubeletSpec;
  maxPods?: number;
  customUserData?: string;
}

function kubeletConfig(o: UserDataOptions): Record<string, unknown> {
  const k = o.kubelet ?? {};
  const c: Record<string, unknown> = {};
  const maxPods = k.maxPods ?? o.maxPods;
  if (maxPods !== undefined) c.maxPods = maxPods;
  if (k.clusterDNS?.length) c.clusterDNS = k.clusterDNS;
  if (k.podsPerCore !== undefined) c.podsPerCore = k.podsPerCore;
  if (k.systemReserved) c.systemReserved = sorted(k.systemReserved);
  if (k.kubeReserved) c.kubeReserved = sorted(k.kubeReserved);
  if (k.evictionHard) c.evictionHard = sorted(k.evictionHard);
  if (k.evictionSoft) c.evictionSoft = sorted(k.evictionSoft);
  if (k.evictionSoftGracePeriod) c.evictionSoftGracePeriod = sorted(k.evictionSoftGracePeriod);
  if (k.evictionMaxPodGracePeriod !== undefined) c.evictionMaxPodGracePeriod = k.evictionMaxPodGracePeriod;
  if (k.imageGCHighThresholdPercent !== undefined) c.imageGCHighThresholdPercent = k.imageGCHighThresholdPercent;
  if (k.imageGCLowThresholdPercent !== undefined) c.imageGCLowThresholdPercent = k.imageGCLowThresholdPercent;
  if (k.cpuCFSQuota !== undefined) c.cpuCFSQuota = k.cpuCFSQuota;
  return c;
}

function sorted<T>(m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k]!]),
  );
}

/** Karpenter's unregistered taint: always registered with, removed by the registration step. */
export const UNREGISTERED_TAINT: { key: string; value?: string; effect: string } = {
  key: "karpenter.sh/unregistered",
  effect: "NoExecute",
};

/** The NodeClaim's taints + startupTaints (as given) + karpenter.sh/unregistered:NoExecute, deduplicated. */
export function registerWithTaints(
  taints: UserDataOptions["taints"],
): Array<{ key: string; value?: string; effect: string }> {
  const out: Array<{ key: string; value?: string; effect: string }> = [];
  for (const t of [...taints, UNREGISTERED_TAINT]) {
    if (out.some((x) => x.key === t.key && x.effect === t.effect && (x.value ?? "") === (t.value ?? ""))) continue;
    out.push({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect });
  }
  return out;
}

export function nodeConfigYaml(o: UserDataOptions): string {
  if (!o.clusterName) throw new Error("user data: clusterName is required (settings CLUSTER_NAME)");
  if (!o.apiServerEndpoint)
    throw new Error(
      "user data: the cluster endpoint is required (settings CLUSTER_ENDPOINT, e.g. https://ABC.gr7.us-east-1.eks.amazonaws.com)",
    );
  const flags: string[] = [];
  const labels = Object.keys(o.labels)
    .sort()
    .map((k) => `${k}=${o.labels[k]}`);
  if (labels.length) flags.push(`--node-labels=${labels.join(",")}`);
  const cluster: Record<string, string> = { name: o.clusterName, apiServerEndpoint: o.apiServerEndpoint };
  if (o.caBundle) cluster.certificateAuthority = o.caBundle;
  if (o.serviceCIDR) cluster.cidr = o.serviceCIDR;
  const config = kubeletConfig(o);
  config.registerWithTaints = registerWithTaints(o.taints);
  const kubelet: Record<string, unknown> = { config };
  if (flags.length) kubelet.flags = flags;
  return stringify(
    { apiVersion: "node.eks.aws/v1alpha1", kind: "NodeConfig", spec: { cluster, kubelet } },
    { lineWidth: 0 },
  );
}

interface Part {
  contentType: string;
  body: string;
}

/** Splits user-supplied user data into MIME parts: an existing MIME document's parts, a NodeConfig, or a shell script. */
export function customParts(userData: string | undefined): Part[] {
  if (!userData?.trim()) return [];
  const text = userData.trim();
  if (/^MIME-Version:/im.test(text.split("\n", 1)[0] ?? "") || /^Content-Type:\s*multipart\//im.test(text)) {
    const b = /boundary="?([^"\r\n;]+)"?/i.exec(text)?.[1];
    if (!b) throw new Error("EC2NodeClass spec.userData: MIME document has no boundary in its Content-Type header");
    const parts: Part[] = [];
    for (const chunk of text.split(`--${b}`).slice(1)) {
      if (chunk.startsWith("--")) break;
      const [head, ...rest] = chunk.replace(/^\r?\n/, "").split(/\r?\n\r?\n/);
      const ct = /Content-Type:\s*([^\r\n]+)/i.exec(head ?? "")?.[1]?.trim() ?? "text/x-shellscript";
      parts.push({ contentType: ct, body: rest.join("\n\n").replace(/\s+$/, "") });
    }
    return parts;
  }
  if (/^apiVersion:\s*node\.eks\.aws\//m.test(text)) return [{ contentType: "application/node.eks.aws", body: text }];
  return [{ contentType: 'text/x-shellscript; charset="us-ascii"', body: text }];
}

export function al2023UserData(o: UserDataOptions): string {
  const parts = [
    ...customParts(o.customUserData),
    { contentType: "application/node.eks.aws", body: nodeConfigYaml(o).trimEnd() },
  ];
  const lines = ["MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`, ""];
  for (const p of parts) lines.push(`--${MIME_BOUNDARY}`, `Content-Type: ${p.contentType}`, "", p.body, "");
  lines.push(`--${MIME_BOUNDARY}--`, "");
  return lines.join("\n");
}
