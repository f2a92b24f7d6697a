// EC2NodeClass fields in the launch path, modelled on Karpenter v1.14's launchtemplate suite: network interfaces
// (primary, EFA per requested device, user-defined with EFA-only), associatePublicIPAddress, ipPrefixCount,
// connectionTracking, metadataOptions (defaults and InstanceMetadataTags disabled), detailedMonitoring,
// cpuOptions, placement groups, context on CreateFleet; fields not fully honoured are named in a condition.
import { launchTemplateData, LaunchTemplateInput } from "../../../src/cloudprovider/aws/launchTemplates";
import { buildCreateFleetInput } from "../../../src/cloudprovider/aws/fleetRequest";
import { fieldsCondition } from "../../../src/cloudprovider/aws/ignoredFields";
import { requestedEfa } from "../../../src/cloudprovider/aws/networkInterfaces";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";

function input(spec: Partial<EC2NodeClassLike["spec"]> = {}, over: Partial<LaunchTemplateInput> = {}): LaunchTemplateInput {
  return {
    nodeClass: { metadata: { name: "default" }, spec: { amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [], securityGroupSelectorTerms: [], ...spec } } as EC2NodeClassLike,
    clusterName: "demo", clusterEndpoint: "https://k", caBundle: "Q0E=", serviceCIDR: "10.100.0.0/16",
    imageId: "ami-1", capacityType: "on-demand", instanceProfile: "p", securityGroupIds: ["sg-b", "sg-a"],
    labels: {}, taints: [], tags: {}, ...over,
  };
}

describe("launch template network interfaces (Karpenter's generateNetworkInterfaces)", () => {
  test("default: one primary interface carrying the security groups; no SecurityGroupIds; no public IP field unless set", () => {
    const d = launchTemplateData(input());
    expect(d.SecurityGroupIds).toBeUndefined();
    expect(d.NetworkInterfaces).toEqual([{ DeviceIndex: 0, Groups: ["sg-a", "sg-b"] }]);
  });

  test("associatePublicIPAddress true/false is set on the primary interface", () => {
    expect(launchTemplateData(input({ associatePublicIPAddress: true })).NetworkInterfaces![0]).toMatchObject({ AssociatePublicIpAddress: true });
    expect(launchTemplateData(input({ associatePublicIPAddress: false })).NetworkInterfaces![0]).toMatchObject({ AssociatePublicIpAddress: false });
  });

  test("ipPrefixCount and connectionTracking on the primary interface", () => {
    const ni = launchTemplateData(input({ ipPrefixCount: 2, connectionTracking: { tcpEstablishedTimeout: 60 } })).NetworkInterfaces![0];
    expect(ni).toMatchObject({ Ipv4PrefixCount: 2, ConnectionTrackingSpecification: { TcpEstablishedTimeout: 60 } });
  });

  test("a NodeClaim requesting EFA gets one EFA interface per device, one per network card (device 0, then 1)", () => {
    const efa = requestedEfa({ cpu: "1", "vpc.amazonaws.com/efa": "2" });
    expect(efa).toBe(2);
    const nis = launchTemplateData(input({ associatePublicIPAddress: false }, { efaCount: efa })).NetworkInterfaces!;
    expect(nis).toEqual([
      { NetworkCardIndex: 0, DeviceIndex: 0, InterfaceType: "efa", Groups: ["sg-a", "sg-b"], AssociatePublicIpAddress: false },
      { NetworkCardIndex: 1, DeviceIndex: 1, InterfaceType: "efa", Groups: ["sg-a", "sg-b"], AssociatePublicIpAddress: false },
    ]);
    expect(requestedEfa({ cpu: "1" })).toBe(0);
  });

  test("user-defined networkInterfaces: EFA-only interfaces get no public IP, prefixes or connection tracking", () => {
    const nis = launchTemplateData(input({
      associatePublicIPAddress: true, ipPrefixCount: 1, connectionTracking: { udpTimeout: 30 },
      networkInterfaces: [{ networkCardIndex: 0, deviceIndex: 0, interfaceType: "interface" }, { networkCardIndex: 1, deviceIndex: 0, interfaceType: "efa-only" }],
    }, { efaCount: 4 })).NetworkInterfaces!;
    expect(nis).toEqual([
      { NetworkCardIndex: 0, DeviceIndex: 0, InterfaceType: "interface", Groups: ["sg-a", "sg-b"], Ipv4PrefixCount: 1, AssociatePublicIpAddress: true, ConnectionTrackingSpecification: { UdpTimeout: 30 } },
      { NetworkCardIndex: 1, DeviceIndex: 0, InterfaceType: "efa-only", Groups: ["sg-a", "sg-b"] },
    ]);
  });
});

describe("other launch template fields", () => {
  test("metadataOptions: Karpenter's defaults, instance tags off; each field overridable", () => {
    expect(launchTemplateData(input()).MetadataOptions).toEqual({ HttpEndpoint: "enabled", HttpProtocolIpv6: "disabled", HttpPutResponseHopLimit: 1, HttpTokens: "required", InstanceMetadataTags: "disabled" });
    expect(launchTemplateData(input({ metadataOptions: { httpEndpoint: "disabled", httpProtocolIPv6: "enabled", httpPutResponseHopLimit: 2, httpTokens: "optional" } })).MetadataOptions)
      .toEqual({ HttpEndpoint: "disabled", HttpProtocolIpv6: "enabled", HttpPutResponseHopLimit: 2, HttpTokens: "optional", InstanceMetadataTags: "disabled" });
  });

  test("detailedMonitoring toggles Monitoring.Enabled (off by default)", () => {
    expect(launchTemplateData(input()).Monitoring).toEqual({ Enabled: false });
    expect(launchTemplateData(input({ detailedMonitoring: true })).Monitoring).toEqual({ Enabled: true });
  });

  test("each AMI family's default block devices; Custom none; the user's mappings win", () => {
    const dev = (spec: Partial<EC2NodeClassLike["spec"]>) => launchTemplateData(input(spec)).BlockDeviceMappings?.map(b => [b.DeviceName, b.Ebs?.VolumeSize, b.Ebs?.VolumeType, b.Ebs?.Encrypted]);
    expect(dev({})).toEqual([["/dev/xvda", 20, "gp3", true]]);
    expect(dev({ amiSelectorTerms: [{ alias: "al2@latest" }] })).toEqual([["/dev/xvda", 20, "gp3", true]]);
    expect(dev({ amiSelectorTerms: [{ alias: "bottlerocket@latest" }] })).toEqual([["/dev/xvda", 4, "gp3", true], ["/dev/xvdb", 20, "gp3", true]]);
    expect(dev({ amiSelectorTerms: [{ alias: "windows2022@latest" }] })).toEqual([["/dev/sda1", 50, "gp3", true]]);
    expect(dev({ amiFamily: "Custom", amiSelectorTerms: [{ id: "ami-123" }] })).toBeUndefined();
    expect(dev({ blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: "100Gi", volumeType: "io2", encrypted: false } }] })).toEqual([["/dev/xvda", 100, "io2", false]]);
  });

  test("cpuOptions.nestedVirtualization and the resolved placement group (by id, a targeted partition) reach the template", () => {
    expect(launchTemplateData(input()).CpuOptions).toBeUndefined();
    expect(launchTemplateData(input({ cpuOptions: { nestedVirtualization: "enabled" } })).CpuOptions).toEqual({ NestedVirtualization: "enabled" });
    expect(launchTemplateData(input()).Placement).toBeUndefined();
    // As Karpenter's buildPlacement: the group resolved through DescribePlacementGroups, by id, even for a name selector.
    expect(launchTemplateData(input({ placementGroupSelector: { name: "my-cluster" } }, { placement: { groupId: "pg-0123" } })).Placement).toEqual({ GroupId: "pg-0123" });
    expect(launchTemplateData(input({ placementGroupSelector: { id: "pg-0456" } }, { placement: { groupId: "pg-0456", partition: 2 } })).Placement).toEqual({ GroupId: "pg-0456", PartitionNumber: 2 });
  });

  test("context is passed on CreateFleet", () => {
    const opts = { capacityType: "on-demand" as const, groups: [], tags: {}, clientToken: "t" };
    expect(buildCreateFleetInput({ ...opts, context: "c-0123" }).Context).toBe("c-0123");
    expect(buildCreateFleetInput(opts).Context).toBeUndefined();
  });
});

describe("fields not fully honoured are named, never silent", () => {
  const spec = (s: Partial<EC2NodeClassLike["spec"]>) => ({ amiSelectorTerms: [], subnetSelectorTerms: [], securityGroupSelectorTerms: [], ...s }) as EC2NodeClassLike["spec"];
  test("FieldsSupported=True when every field set is honoured", () => {
    expect(fieldsCondition(spec({ detailedMonitoring: true, associatePublicIPAddress: true, metadataOptions: { httpTokens: "optional" } }))).toEqual({ type: "FieldsSupported", ok: true, reason: "FieldsSupported", message: "" });
  });
  test("placementGroupSelector and cpuOptions.nestedVirtualization=enabled are honoured now: not named", () => {
    const c = fieldsCondition(spec({ placementGroupSelector: { name: "pg" }, cpuOptions: { nestedVirtualization: "enabled" } }));
    expect(c).toEqual({ type: "FieldsSupported", ok: true, reason: "FieldsSupported", message: "" });
  });
});
