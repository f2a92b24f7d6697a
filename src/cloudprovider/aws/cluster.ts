// What a node needs to join the EKS cluster: API endpoint, CA bundle, service CIDR (nodeadm refuses a NodeConfig
// without any of them) and the Kubernetes version AMI aliases resolve for. Settings win; whatever is missing
// comes from eks:DescribeCluster, as Karpenter's ResolveClusterCIDR does. Failures are reported, not thrown:
// the EC2NodeClass then is not Ready with the reason, and nothing launches a node that could not join.
import { readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import type { Now } from "./ttlCache";

export interface ClusterInfo {
  endpoint?: string;
  caBundle?: string;
  serviceCIDR?: string;
  /** "1.31" from DescribeCluster, when the cluster reports one. */
  kubernetesVersion?: string;
  /** The kube-dns service's cluster IP, when found at start (Karpenter's KubeDNSIP; optional, as there). */
  kubeDNSIP?: string;
  /** Why something is missing (DescribeCluster failed, or the cluster has no service CIDR), for conditions. */
  problem?: string;
}

export interface ClusterInfoSettings {
  clusterName: string;
  endpoint?: string;
  caBundle?: string;
  serviceCIDR?: string;
  kubeDNSIP?: string;
}

const SUCCESS_TTL_MS = 60 * 60_000;
const FAILURE_TTL_MS = 30_000;

export class ClusterInfoProvider {
  private cached?: { info: ClusterInfo; expires: number };
  constructor(
    private readonly eks: Pick<EKSClient, "send"> | undefined,
    private readonly s: ClusterInfoSettings,
    private readonly now: Now = Date.now,
  ) {}

  async get(): Promise<ClusterInfo> {
    if (this.cached && this.cached.expires > this.now()) return this.cached.info;
    const info = await this.resolve();
    this.cached = { info, expires: this.now() + (info.problem ? FAILURE_TTL_MS : SUCCESS_TTL_MS) };
    return info;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async resolve(): Promise<ClusterInfo> {
    const info: ClusterInfo = {
      endpoint: this.s.endpoint,
      caBundle: this.s.caBundle,
      serviceCIDR: this.s.serviceCIDR,
      ...(this.s.kubeDNSIP ? { kubeDNSIP: this.s.kubeDNSIP } : {}),
    };
    if (!this.eks) return withProblem(info, "eks:DescribeCluster is not available");
    try {
      const out = await this.eks.send(new DescribeClusterCommand({ name: this.s.clusterName }));
      const c = out.cluster;
      info.endpoint ??= c?.endpoint;
      info.caBundle ??= c?.certificateAuthority?.data;
      info.serviceCIDR ??= c?.kubernetesNetworkConfig?.serviceIpv4Cidr ?? c?.kubernetesNetworkConfig?.serviceIpv6Cidr;
      if (c?.version) info.kubernetesVersion = c.version;
      return withProblem(info, "");
    } catch (e) {
      const err = e as { name?: string; message?: string };
      return withProblem(
        info,
        `eks:DescribeCluster for cluster "${this.s.clusterName}" failed (${err.name ?? "Error"}: ${err.message ?? e})`,
      );
    }
  }
}

function withProblem(info: ClusterInfo, why: string): ClusterInfo {
  const missing = [
    !info.endpoint && "endpoint (CLUSTER_ENDPOINT)",
    !info.caBundle && "certificate authority (CLUSTER_CA_BUNDLE)",
    !info.serviceCIDR && "service CIDR",
  ].filter(Boolean);
  if (missing.length)
    info.problem = `cluster ${missing.join(", ")} unknown${why ? `: ${why}` : " (DescribeCluster returned none)"}; nodes could not join, so nothing is launched`;
  return info;
}

export type ClusterIPFamily = "IPv4" | "IPv6";

/**
 * Karpenter's ClusterIPFamily: IPv6 when the kube-dns service's cluster IP is an IPv6 address (not an IPv4-mapped
 * one, which Go's To4 reads as IPv4), else IPv4 (also when kube-dns could not be found).
 */
export function clusterIPFamily(kubeDNSIP: string | undefined): ClusterIPFamily {
  if (!kubeDNSIP || !isIPv6(kubeDNSIP)) return "IPv4";
  // The URL parser writes an IPv6 address canonically: an IPv4-mapped one always as [::ffff:x:y].
  let canonical = kubeDNSIP;
  try {
    canonical = new URL(`http://[${kubeDNSIP}]`).hostname;
  } catch {
    /* a zone-scoped address (fe80::1%eth0): IPv6 */
  }
  return /^\[::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}\]$/.test(canonical) ? "IPv4" : "IPv6";
}

const SERVICE_ACCOUNT_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

/** base64 of the service account's CA (Karpenter reads the CA data of its REST config); "" outside a pod. */
export function inClusterCABundle(): string {
  try {
    return readFileSync(SERVICE_ACCOUNT_CA).toString("base64");
  } catch {
    return "";
  }
}
