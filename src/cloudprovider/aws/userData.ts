// AL2023 user data: a MIME multi-part document whose application/node.eks.aws part is a nodeadm NodeConfig
// (cluster name, API endpoint, CA, kubelet config and flags for labels/taints). A user-supplied spec.userData is
// kept as its own part(s) ahead of capsicum's, so nodeadm merges them with capsicum's settings taking effect last.
import { stringify } from "yaml";
import type { KubeletSpec } from "./nodeClass";
import { aliasFamily, type AmiFamily } from "../../apis/amiFamilies";
import { clusterIPFamily } from "./cluster";

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
  /** EC2NodeClass spec.instanceStorePolicy: RAID0 makes the bootstrap array the instance-store disks for pods. */
  instanceStorePolicy?: string;
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
  const spec: Record<string, unknown> = { cluster, kubelet };
  if (o.instanceStorePolicy === "RAID0") spec.instance = { localStorage: { strategy: "RAID0" } };
  return stringify({ apiVersion: "node.eks.aws/v1alpha1", kind: "NodeConfig", spec }, { lineWidth: 0 });
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

// ---- other AMI families (Karpenter's amifamily/bootstrap: eksbootstrap.go, bottlerocket.go, windows.go) ----

export type { AmiFamily };

/** spec.amiFamily, else the alias's family, else AL2023 (Karpenter's default). */
export function amiFamilyOf(spec: { amiFamily?: string; amiSelectorTerms?: Array<{ alias?: string }> }): AmiFamily {
  if (spec.amiFamily) return spec.amiFamily as AmiFamily;
  const alias = spec.amiSelectorTerms?.find((t) => t.alias)?.alias;
  return (alias && aliasFamily(alias)) || "AL2023";
}

const taintFlag = (t: { key: string; value?: string; effect: string }) =>
  `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`;
const labelList = (labels: Record<string, string>) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",");
const shq = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;

function requireCluster(o: UserDataOptions): void {
  if (!o.clusterName) throw new Error("user data: clusterName is required (settings CLUSTER_NAME)");
  if (!o.apiServerEndpoint) throw new Error("user data: the cluster endpoint is required (settings CLUSTER_ENDPOINT)");
}

/** Kubelet flags the AL2/Windows bootstrap scripts pass through --kubelet-extra-args. */
function kubeletExtraArgs(o: UserDataOptions): string[] {
  const args: string[] = [];
  const labels = labelList(o.labels);
  if (labels) args.push(`--node-labels=${labels}`);
  args.push(`--register-with-taints=${registerWithTaints(o.taints).map(taintFlag).join(",")}`);
  const maxPods = o.kubelet?.maxPods ?? o.maxPods;
  if (maxPods !== undefined) args.push(`--max-pods=${maxPods}`);
  const k = o.kubelet ?? {};
  const pairs = (m?: Record<string, string>) =>
    m &&
    Object.keys(m)
      .sort()
      .map((x) => `${x}=${m[x]}`)
      .join(",");
  if (k.kubeReserved) args.push(`--kube-reserved=${pairs(k.kubeReserved)}`);
  if (k.systemReserved) args.push(`--system-reserved=${pairs(k.systemReserved)}`);
  if (k.evictionHard) args.push(`--eviction-hard=${pairs(k.evictionHard)}`);
  if (k.podsPerCore !== undefined) args.push(`--pods-per-core=${k.podsPerCore}`);
  return args;
}

/**
 * AL2: a MIME document, the user's parts first, then /etc/eks/bootstrap.sh with the cluster and kubelet args. As
 * Karpenter's, an IPv6 clusterDNS makes it an IPv6 node (`--ip-family ipv6`); the service CIDR is passed only as
 * the IPv4 one it is taken for (bootstrap.sh derives an IPv6 node's DNS from --dns-cluster-ip).
 */
export function al2UserData(o: UserDataOptions): string {
  requireCluster(o);
  const dns = o.kubelet?.clusterDNS?.[0];
  const words = [
    "/etc/eks/bootstrap.sh",
    shq(o.clusterName),
    "--apiserver-endpoint",
    shq(o.apiServerEndpoint),
    ...(o.caBundle ? ["--b64-cluster-ca", shq(o.caBundle)] : []),
    ...(o.serviceCIDR && !o.serviceCIDR.includes(":") ? ["--service-ipv4-cidr", shq(o.serviceCIDR)] : []),
    ...(dns && clusterIPFamily(dns) === "IPv6" ? ["--ip-family", "ipv6"] : []),
    ...(dns ? ["--dns-cluster-ip", shq(dns)] : []),
    ...(o.instanceStorePolicy === "RAID0" ? ["--local-disks", "raid0"] : []),
    "--use-max-pods",
    "false",
    "--kubelet-extra-args",
    shq(kubeletExtraArgs(o).join(" ")),
  ];
  const script = [
    "#!/bin/bash -xe",
    "exec > >(tee /var/log/user-data.log|logger -t user-data -s 2>/dev/console) 2>&1",
    words.join(" "),
  ].join("\n");
  const parts = [
    ...customParts(o.customUserData),
    { contentType: 'text/x-shellscript; charset="us-ascii"', body: script },
  ];
  const lines = ["MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`, ""];
  for (const p of parts) lines.push(`--${MIME_BOUNDARY}`, `Content-Type: ${p.contentType}`, "", p.body, "");
  lines.push(`--${MIME_BOUNDARY}--`, "");
  return lines.join("\n");
}

const tomlStr = (s: string) => JSON.stringify(s);

/**
 * Bottlerocket: TOML. The user's TOML is kept and Karpenter's [settings.kubernetes] keys win: user lines for keys
 * capsicum sets are dropped from that table, the rest of it is merged into capsicum's.
 */
export function bottlerocketUserData(o: UserDataOptions): string {
  requireCluster(o);
  const ours: Array<[string, string]> = [
    ["cluster-name", tomlStr(o.clusterName)],
    ["api-server", tomlStr(o.apiServerEndpoint)],
  ];
  if (o.caBundle) ours.push(["cluster-certificate", tomlStr(o.caBundle)]);
  const maxPods = o.kubelet?.maxPods ?? o.maxPods;
  if (maxPods !== undefined) ours.push(["max-pods", String(maxPods)]);
  if (o.kubelet?.clusterDNS?.length) ours.push(["cluster-dns-ip", tomlStr(o.kubelet.clusterDNS[0]!)]);
  const { kubernetesExtra, rest } = splitUserToml(o.customUserData ?? "", new Set(ours.map(([k]) => k)));
  const lines = ["[settings.kubernetes]", ...ours.map(([k, v]) => `${k} = ${v}`), ...kubernetesExtra, ""];
  const sub = (name: string, m?: Record<string, string>) => {
    if (!m || !Object.keys(m).length) return;
    lines.push(`[settings.kubernetes.${name}]`);
    for (const k of Object.keys(m).sort()) lines.push(`${tomlStr(k)} = ${tomlStr(m[k]!)}`);
    lines.push("");
  };
  sub("node-labels", o.labels);
  const taints: Record<string, string[]> = {};
  for (const t of registerWithTaints(o.taints)) (taints[t.key] ??= []).push(`${t.value ?? ""}:${t.effect}`);
  lines.push("[settings.kubernetes.node-taints]");
  for (const k of Object.keys(taints).sort()) lines.push(`${tomlStr(k)} = [${taints[k]!.map(tomlStr).join(", ")}]`);
  lines.push("");
  sub("kube-reserved", o.kubelet?.kubeReserved);
  sub("system-reserved", o.kubelet?.systemReserved);
  sub("eviction-hard", o.kubelet?.evictionHard);
  if (o.instanceStorePolicy === "RAID0") {
    // Bottlerocket arrays the instance-store disks and binds them where containerd, the kubelet and pod logs write.
    const init = ["apiclient", "ephemeral-storage", "init"];
    const bind = [
      "apiclient",
      "ephemeral-storage",
      "bind",
      "--dirs",
      "/var/lib/containerd",
      "/var/lib/kubelet",
      "/var/log/pods",
    ];
    const arr = (a: string[]) => `[${a.map(tomlStr).join(", ")}]`;
    lines.push(
      '[settings.bootstrap-commands."000-mount-instance-storage"]',
      `commands = [${arr(init)}, ${arr(bind)}]`,
      "essential = true",
      'mode = "always"',
      "",
    );
  }
  return (
    [...lines, ...rest]
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trimEnd() + "\n"
  );
}

/** User TOML: lines of its [settings.kubernetes] table not overridden by us, and every other table untouched. */
function splitUserToml(toml: string, ours: Set<string>): { kubernetesExtra: string[]; rest: string[] } {
  const kubernetesExtra: string[] = [];
  const rest: string[] = [];
  let inKube = false;
  for (const line of toml.split(/\r?\n/)) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      inKube = header[1]!.trim() === "settings.kubernetes";
      if (!inKube) rest.push(line);
      continue;
    }
    if (!inKube) {
      rest.push(line);
      continue;
    }
    const key = /^\s*"?([A-Za-z0-9_-]+)"?\s*=/.exec(line)?.[1];
    if (key && ours.has(key)) continue;
    if (line.trim()) kubernetesExtra.push(line);
  }
  return { kubernetesExtra, rest };
}

/** Windows: one <powershell> block, the user's script first, then Start-EKSBootstrap.ps1. */
export function windowsUserData(o: UserDataOptions): string {
  requireCluster(o);
  const psq = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const args = [
    `-EKSClusterName ${psq(o.clusterName)}`,
    `-APIServerEndpoint ${psq(o.apiServerEndpoint)}`,
    ...(o.caBundle ? [`-Base64ClusterCA ${psq(o.caBundle)}`] : []),
    ...(o.serviceCIDR ? [`-ServiceCIDR ${psq(o.serviceCIDR)}`] : []),
    ...(o.kubelet?.clusterDNS?.length ? [`-DNSClusterIP ${psq(o.kubelet.clusterDNS[0]!)}`] : []),
    `-KubeletExtraArgs ${psq(kubeletExtraArgs(o).join(" "))}`,
  ];
  const user = (o.customUserData ?? "").replace(/<\/?powershell>/gi, "").trim();
  return [
    "<powershell>",
    ...(user ? [user] : []),
    '[string]$EKSBootstrapScriptFile = "$env:ProgramFiles\\Amazon\\EKS\\Start-EKSBootstrap.ps1"',
    `& $EKSBootstrapScriptFile ${args.join(" ")}`,
    "</powershell>",
    "",
  ].join("\n");
}

/** The user data of an AMI family; Custom AMIs get exactly the user's user data (Karpenter adds nothing). */
export function userDataFor(family: AmiFamily, o: UserDataOptions): string {
  switch (family) {
    case "AL2":
      return al2UserData(o);
    case "Bottlerocket":
      return bottlerocketUserData(o);
    case "Windows2019":
    case "Windows2022":
    case "Windows2025":
      return windowsUserData(o);
    case "Custom":
      return o.customUserData ?? "";
    default:
      return al2023UserData(o);
  }
}
