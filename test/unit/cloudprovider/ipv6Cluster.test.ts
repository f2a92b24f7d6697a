// IPv6 clusters, modelled on Karpenter v1.14's launchtemplate suite ("Networking": ipFamily from the DNS ip,
// "should set Primary IPv6 as true and provision a IPv6 address", "should set 'IPv6PrefixCount' based on
// EC2NodeClass", "should not set Ipv6 specs on EFA-only interfaces"; "should specify clusterDNS when running in an
// ipv6/ipv4 cluster") and its operator's KubeDNSIP and ResolveClusterCIDR (ServiceIpv6Cidr).
import { parse } from "yaml";
import { launchTemplateData, LaunchTemplateInput } from "../../../src/cloudprovider/aws/launchTemplates";
import { ClusterInfoProvider, clusterIPFamily } from "../../../src/cloudprovider/aws/cluster";
import { al2UserData } from "../../../src/cloudprovider/aws/userData";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { discoverKubeDNSIP } from "../../../src/kube/kubeDNS";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { silentLogger } from "../../../src/log";

const V6_DNS = "fd4b:121b:812b::a";
const V4_DNS = "10.0.100.10";

function input(spec: Partial<EC2NodeClassLike["spec"]> = {}, over: Partial<LaunchTemplateInput> = {}): LaunchTemplateInput {
  return {
    nodeClass: { metadata: { name: "default" }, spec: { amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [], securityGroupSelectorTerms: [], ...spec } } as EC2NodeClassLike,
    clusterName: "demo", clusterEndpoint: "https://k", caBundle: "Q0E=", serviceCIDR: "fd4b:121b:812b::/108",
    kubeDNSIP: V6_DNS, imageId: "ami-1", capacityType: "on-demand", instanceProfile: "p", securityGroupIds: ["sg-a"],
    labels: {}, taints: [], tags: {}, ...over,
  };
}

/** The NodeConfig part of AL2023 user data. */
function nodeConfig(userDataB64: string | undefined): any {
  const text = Buffer.from(userDataB64 ?? "", "base64").toString("utf8");
  const part = text.split("--//").find((p) => p.includes("application/node.eks.aws"))!;
  return parse(part.slice(part.indexOf("apiVersion:")));
}

describe("the cluster's IP family is the kube-dns service IP's (Karpenter's ClusterIPFamily)", () => {
  test.each([
    [V4_DNS, "IPv4"],
    ["fd01:99f0:d47b::a", "IPv6"],
    ["::ffff:10.0.0.10", "IPv4"], // Go's To4 reads an IPv4-mapped address as IPv4
    [undefined, "IPv4"], // kube-dns not found
  ])("%s -> %s", (ip, family) => expect(clusterIPFamily(ip)).toBe(family));
});

describe("IPv6 cluster launch template interfaces (Karpenter's generateNetworkInterfaces / ipCounts)", () => {
  test.each([
    ["not set, no EFA", undefined, 0],
    ["not set, EFA", undefined, 2],
    ["true, EFA", true, 2],
    ["false, no EFA", false, 0],
  ])("associatePublicIPAddress %s: primary IPv6 and one IPv6 address", (_name, pub, efa) => {
    const nis = launchTemplateData(input({ associatePublicIPAddress: pub }, { efaCount: efa })).NetworkInterfaces!;
    expect(nis.length).toBeGreaterThanOrEqual(1);
    expect(nis[0]).toMatchObject({ PrimaryIpv6: true, Ipv6AddressCount: 1 });
    expect(nis[0]!.AssociatePublicIpAddress).toBe(pub);
    if (efa) expect(nis.map((n) => n.InterfaceType)).toEqual(["efa", "efa"]);
    for (const n of nis) expect(n).toMatchObject({ PrimaryIpv6: true, Ipv6AddressCount: 1 });
  });

  test.each([0, 1, 10, 100])("ipPrefixCount %i is IPv6 prefixes, no IPv4 prefixes", (n) => {
    const [ni] = launchTemplateData(input({ ipPrefixCount: n })).NetworkInterfaces!;
    expect(ni!.Ipv6PrefixCount).toBe(n);
    expect(ni!.Ipv4PrefixCount).toBeUndefined();
    const [efa] = launchTemplateData(input({ ipPrefixCount: n }, { efaCount: 1 })).NetworkInterfaces!;
    expect(efa).toMatchObject({ InterfaceType: "efa", Ipv6PrefixCount: n });
    expect(efa!.Ipv4PrefixCount).toBeUndefined();
  });

  test("user-defined networkInterfaces: IPv6 fields on ENA interfaces, none on EFA-only ones", () => {
    const nis = launchTemplateData(input({
      ipPrefixCount: 2,
      networkInterfaces: [{ networkCardIndex: 0, deviceIndex: 0, interfaceType: "interface" }, { networkCardIndex: 0, deviceIndex: 1, interfaceType: "efa-only" }],
    })).NetworkInterfaces!;
    expect(nis).toEqual([
      { NetworkCardIndex: 0, DeviceIndex: 0, InterfaceType: "interface", Groups: ["sg-a"], Ipv6PrefixCount: 2, PrimaryIpv6: true, Ipv6AddressCount: 1 },
      { NetworkCardIndex: 0, DeviceIndex: 1, InterfaceType: "efa-only", Groups: ["sg-a"] },
    ]);
  });

  test("an IPv4 cluster's interfaces carry no IPv6 fields", () => {
    const [ni] = launchTemplateData(input({ ipPrefixCount: 3 }, { kubeDNSIP: V4_DNS, serviceCIDR: "10.100.0.0/16" })).NetworkInterfaces!;
    expect(ni).toEqual({ DeviceIndex: 0, Groups: ["sg-a"], Ipv4PrefixCount: 3 });
  });
});

describe("user data: clusterDNS defaults to the kube-dns IP (Karpenter's defaultClusterDNS)", () => {
  test("an IPv6 cluster: NodeConfig clusterDNS is the IPv6 kube-dns address, cidr the IPv6 service CIDR", () => {
    const nc = nodeConfig(launchTemplateData(input()).UserData);
    expect(nc.spec.kubelet.config.clusterDNS).toEqual([V6_DNS]);
    expect(nc.spec.cluster.cidr).toBe("fd4b:121b:812b::/108");
  });

  test("an IPv4 cluster: clusterDNS is the IPv4 kube-dns address", () => {
    const nc = nodeConfig(launchTemplateData(input({}, { kubeDNSIP: V4_DNS, serviceCIDR: "10.100.0.0/16" })).UserData);
    expect(nc.spec.kubelet.config.clusterDNS).toEqual([V4_DNS]);
  });

  test("the EC2NodeClass's clusterDNS wins; without kube-dns none is set (nodeadm derives it from the CIDR)", () => {
    const own = nodeConfig(launchTemplateData(input({ kubelet: { clusterDNS: ["10.1.0.10"] } })).UserData);
    expect(own.spec.kubelet.config.clusterDNS).toEqual(["10.1.0.10"]);
    const none = nodeConfig(launchTemplateData(input({}, { kubeDNSIP: undefined })).UserData);
    expect(none.spec.kubelet.config.clusterDNS).toBeUndefined();
  });

  test("AL2: an IPv6 clusterDNS bootstraps with --ip-family ipv6 and no --service-ipv4-cidr", () => {
    const base = { clusterName: "demo", apiServerEndpoint: "https://k", labels: {}, taints: [] };
    const v6 = al2UserData({ ...base, serviceCIDR: "fd4b:121b:812b::/108", kubelet: { clusterDNS: [V6_DNS] } });
    expect(v6).toContain(`--ip-family ipv6 --dns-cluster-ip '${V6_DNS}'`);
    expect(v6).not.toContain("--service-ipv4-cidr");
    const v4 = al2UserData({ ...base, serviceCIDR: "10.100.0.0/16", kubelet: { clusterDNS: [V4_DNS] } });
    expect(v4).not.toContain("--ip-family");
    expect(v4).toContain("--service-ipv4-cidr '10.100.0.0/16'");
  });
});

describe("discovery", () => {
  test("kube-dns: the kube-system Service's cluster IP; missing or not an IP is no address (not an error)", async () => {
    const client = new MemoryKubeClient();
    expect(await discoverKubeDNSIP(client, silentLogger())).toBeUndefined();
    const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "kube-dns", namespace: "kube-system" }, spec: { clusterIP: V6_DNS } };
    const kind = { group: "", version: "v1", kind: "Service", plural: "services", namespaced: true };
    await client.create(kind, svc);
    expect(await discoverKubeDNSIP(client, silentLogger())).toBe(V6_DNS);
    await client.create(kind, { ...svc, metadata: { name: "kube-dns", namespace: "other" }, spec: { clusterIP: V4_DNS } });
    expect(await discoverKubeDNSIP(client, silentLogger())).toBe(V6_DNS);
    const headless = new MemoryKubeClient();
    await headless.create(kind, { ...svc, spec: { clusterIP: "None" } });
    expect(await discoverKubeDNSIP(headless, silentLogger())).toBeUndefined();
  });

  test("the service CIDR: DescribeCluster's ServiceIpv6Cidr when it reports no IPv4 one; kube-dns rides along", async () => {
    const eks = { send: jest.fn(async () => ({ cluster: { endpoint: "https://k", certificateAuthority: { data: "Q0E=" }, kubernetesNetworkConfig: { serviceIpv6Cidr: "fd4b:121b:812b::/108" } } })) };
    const info = await new ClusterInfoProvider(eks as never, { clusterName: "demo", kubeDNSIP: V6_DNS }).get();
    expect(info).toMatchObject({ serviceCIDR: "fd4b:121b:812b::/108", kubeDNSIP: V6_DNS });
    expect(info.problem).toBeUndefined();
  });
});
