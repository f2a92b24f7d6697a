// The kube-dns service's cluster IP, read once at start as Karpenter's operator does (KubeDNSIP): the nodes'
// default clusterDNS, and its family is the cluster's (IPv6 clusters' launch templates give nodes IPv6 addresses).
// Optional, as in Karpenter: a cluster with custom DNS may have no kube-dns, so a failure is logged, not fatal.
import { isIP } from "node:net";
import type { KubeClient, KubeObject, ResourceKind } from "./client";
import type { Logger } from "../log";

export const ServiceKind: ResourceKind = {
  group: "",
  version: "v1",
  kind: "Service",
  plural: "services",
  namespaced: true,
};

export async function discoverKubeDNSIP(client: KubeClient, log: Logger): Promise<string | undefined> {
  try {
    const svc = await client.get<KubeObject>(ServiceKind, "kube-dns", "kube-system");
    if (!svc) throw new Error('services "kube-dns" not found');
    const ip = String(svc.spec?.clusterIP ?? "");
    if (!isIP(ip)) throw new Error("parsing cluster IP");
    log.debug({ "kube-dns-ip": ip }, "discovered kube dns");
    return ip;
  } catch (e) {
    log.debug({}, `unable to detect the IP of the kube-dns service, ${(e as Error)?.message ?? e}`);
    return undefined;
  }
}
