// Endpoint, CA and service CIDR for node user data: settings first, the rest from eks:DescribeCluster (Karpenter's
// ResolveClusterCIDR). Without a CIDR the EC2NodeClass is not Ready with the reason and nothing launches.
import { ClusterInfoProvider } from "../../../src/cloudprovider/aws/cluster";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import { NodeClassNotReadyError } from "../../../src/cloudprovider/types";

const described = (cluster: Record<string, unknown> | Error) => {
  const calls: string[] = [];
  return {
    calls,
    send: async (cmd: { input: { name: string } }) => {
      calls.push(cmd.input.name);
      if (cluster instanceof Error) throw cluster;
      return { cluster };
    },
  };
};

describe("cluster discovery", () => {
  test("fills what settings lack from DescribeCluster, including the service CIDR and the Kubernetes version", async () => {
    const eks = described({ endpoint: "https://ABC.gr7.eu-west-1.eks.amazonaws.com", certificateAuthority: { data: "Q0E=" }, version: "1.31", kubernetesNetworkConfig: { serviceIpv4Cidr: "172.20.0.0/16" } });
    const p = new ClusterInfoProvider(eks as never, { clusterName: "demo", endpoint: "https://from-settings" });
    expect(await p.get()).toEqual({ endpoint: "https://from-settings", caBundle: "Q0E=", serviceCIDR: "172.20.0.0/16", kubernetesVersion: "1.31" });
    await p.get();
    expect(eks.calls).toEqual(["demo"]); // cached
  });

  test("an IPv6 cluster's service CIDR is used when there is no IPv4 one", async () => {
    const p = new ClusterInfoProvider(described({ endpoint: "https://e", certificateAuthority: { data: "Q0E=" }, kubernetesNetworkConfig: { serviceIpv6Cidr: "fd00::/108" } }) as never, { clusterName: "demo" });
    expect((await p.get()).serviceCIDR).toBe("fd00::/108");
  });

  test("no CIDR anywhere is a problem naming what is missing and why", async () => {
    const denied = Object.assign(new Error("User is not authorized to perform: eks:DescribeCluster"), { name: "AccessDeniedException" });
    const p = new ClusterInfoProvider(described(denied) as never, { clusterName: "demo", endpoint: "https://e", caBundle: "Q0E=" });
    const info = await p.get();
    expect(info.problem).toMatch(/service CIDR unknown: eks:DescribeCluster for cluster "demo" failed \(AccessDeniedException: User is not authorized/);
    expect(info.problem).not.toMatch(/endpoint|certificate/);
  });

  test("the EC2NodeClass is not Ready (ValidationSucceeded=False) and create refuses to launch without a CIDR", async () => {
    const eks = described({ endpoint: "https://e", certificateAuthority: { data: "Q0E=" }, version: "1.30", kubernetesNetworkConfig: {} });
    const nc = { metadata: { name: "default" }, spec: { role: "r", amiSelectorTerms: [{ id: "ami-1" }], subnetSelectorTerms: [{ id: "subnet-a" }], securityGroupSelectorTerms: [{ id: "sg-1" }] } };
    const ec2 = {
      send: async (cmd: { constructor: { name: string } }) => {
        switch (cmd.constructor.name) {
          case "DescribeSubnetsCommand": return { Subnets: [{ SubnetId: "subnet-a", AvailabilityZone: "eu-west-1a", AvailabilityZoneId: "euw1-az1", AvailableIpAddressCount: 100 }] };
          case "DescribeSecurityGroupsCommand": return { SecurityGroups: [{ GroupId: "sg-1", GroupName: "g" }] };
          case "DescribeImagesCommand": return { Images: [{ ImageId: "ami-1", Name: "custom", Architecture: "x86_64", CreationDate: "2025-01-01T00:00:00Z", State: "available" }] };
          default: throw new Error(`unexpected ${cmd.constructor.name}`);
        }
      },
    };
    const iam = { send: async () => ({ InstanceProfile: { InstanceProfileName: "p", Roles: [{ RoleName: "r" }] } }) };
    const p = new AwsCloudProvider({
      clusterName: "demo", clusterEndpoint: "", region: "us-east-1", nodeClassLookup: async () => undefined,
      clients: { ec2, iam, ssm: {}, sqs: {}, eks } as unknown as AwsClients,
    });
    const r = await p.resolveNodeClass(nc as never);
    expect(r.ready).toBe(false);
    expect(r.status.conditions!.find(c => c.type === "ValidationSucceeded")).toMatchObject({ status: "False", reason: "ClusterNotResolved" });
    expect(r.status.conditions!.find(c => c.type === "Ready")!.message).toMatch(/service CIDR unknown/);
    const ready = { ...nc, status: { ...r.status, conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "" }] } };
    const p2 = new AwsCloudProvider({
      clusterName: "demo", clusterEndpoint: "", region: "us-east-1", nodeClassLookup: async () => ready as never,
      clients: { ec2, iam, ssm: {}, sqs: {}, eks } as unknown as AwsClients,
    });
    await expect(p2.create({ metadata: { name: "n1", uid: "u" }, spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] } }))
      .rejects.toThrow(NodeClassNotReadyError);
  });
});

describe("a bad kubelet value is this NodeClass's typed error", () => {
  test("getInstanceTypes throws InvalidNodeClassError naming the NodeClass and field; another NodeClass is unaffected", async () => {
    const { InvalidNodeClassError } = await import("../../../src/cloudprovider/types");
    const ec2 = { send: async (cmd: { constructor: { name: string } }) => { if (cmd.constructor.name === "DescribeSpotPriceHistoryCommand") return { SpotPriceHistory: [] }; throw new Error("offline"); } };
    const p = new AwsCloudProvider({ clusterName: "c", clusterEndpoint: "https://k", region: "us-east-1", nodeClassLookup: async () => undefined, clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients });
    const status = { subnets: [{ id: "s", zone: "us-east-1a" }] };
    const bad = { metadata: { name: "bad" }, spec: { kubelet: { kubeReserved: { cpu: "10%" } } }, status };
    const err = await p.getInstanceTypes(bad as never).catch(e => e);
    expect(err).toBeInstanceOf(InvalidNodeClassError);
    expect(err).toMatchObject({ nodeClass: "bad", field: "spec.kubelet.kubeReserved.cpu" });
    expect(err.message).toMatch(/^EC2NodeClass "bad": .*10%/);
    const good = { metadata: { name: "good" }, spec: { kubelet: { kubeReserved: { cpu: "200m" } } }, status };
    expect((await p.getInstanceTypes(good as never)).length).toBeGreaterThan(100);
  });
});
