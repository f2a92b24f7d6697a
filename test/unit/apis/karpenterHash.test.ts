// Karpenter's own hash fixtures: aws/karpenter-provider-aws v1.14.1 pkg/apis/v1/ec2nodeclass_hash_test.go (static
// hashes of its base EC2NodeClass and of each single-field change), and NodePool hashes printed by
// sigs.k8s.io/karpenter v1.14.1's NodePool.Hash() for the documents below. A mismatch here means a cluster taken
// over from Karpenter would roll its nodes.
import { canonicalQuantity, goHash } from "../../../src/apis/hashstructure";

/** A duration folds into the hash as Go's int64 nanoseconds: equal to hashing that integer. */
const durationHash = (d: string) => goHash({ kind: "duration" }, d);
const int64Hash = (ns: bigint) => goHash({ kind: "int64" }, Number(ns));
import { EC2NODECLASS_HASH_VERSION, NODEPOOL_HASH_VERSION, ec2NodeClassHash, nodePoolHash, resolvedAmiFamily } from "../../../src/apis/karpenterHash";
import { NODEPOOL_CASES, nodePoolFixture } from "./nodePoolHashCases";

/** Printed by Karpenter v1.14.1 (Go) for NODEPOOL_CASES. */
const KARPENTER_NODEPOOL_HASHES: Record<string, string> = {
  base: "7280272686889155491",
  "labels changed": "6045399683651563346",
  "annotations reordered": "7280272686889155491",
  "taint value": "7772749072210854352",
  "taints reordered": "8439983791070607552",
  "taints reversed": "8439983791070607552",
  "taint timeAdded": "10898093269915549287",
  "no startupTaints": "17451878863008491658",
  "empty startupTaints": "17162253749478097259",
  "expireAfter 720h": "16532153080232880610",
  "expireAfter Never": "12425010112307203727",
  "expireAfter 1h30m": "9994705575928924949",
  "no terminationGracePeriod": "12605868451683305816",
  "terminationGracePeriod 48h": "14967951528339594562",
  "nodeClassRef name": "9246981679182747148",
  "requirements changed (ignored)": "7280272686889155491",
  "disruption/limits/weight changed (outside the template)": "7280272686889155491",
  "no metadata": "6313875153486454746",
  "empty labels": "11913191200896686937",
  "getting started guide": "6821555240594823858",
};

const CA = "test-ca-bundle";
type Spec = Record<string, any>;
const baseSpec = (): Spec => ({
  role: "role-1",
  tags: { "keyTag-1": "valueTag-1", "keyTag-2": "valueTag-2" },
  context: "fake-context",
  detailedMonitoring: false,
  associatePublicIPAddress: false,
  metadataOptions: {
    httpEndpoint: "disabled",
    httpProtocolIPv6: "disabled",
    httpPutResponseHopLimit: 1,
    httpTokens: "optional",
  },
  blockDeviceMappings: [
    {
      deviceName: "map-device-1",
      rootVolume: false,
      ebs: {
        deleteOnTermination: false,
        encrypted: false,
        iops: 0,
        kmsKeyID: "fakeKMSKeyID",
        snapshotID: "fakeSnapshot",
        throughput: 0,
        volumeSize: "2G",
        volumeType: "standard",
      },
    },
    { deviceName: "map-device-2" },
  ],
  userData: "userdata-test-1",
});
const STATIC = "2608468723537941485";
const hashOf = (change: (s: Spec) => void) => {
  const spec = baseSpec();
  change(spec);
  return ec2NodeClassHash({ spec }, CA);
};
const bdm0 = (s: Spec) => s.blockDeviceMappings[0];

describe("EC2NodeClass hash (Karpenter AWS v1.14.1 static hashes)", () => {
  it.each<[string, string, (s: Spec) => void]>([
    ["Base EC2NodeClass", STATIC, () => {}],
    ["UserData", "2153344579995979450", (s) => (s.userData = "userdata-test-2")],
    ["Tags", "4608386791045313156", (s) => (s.tags["keyTag-test-3"] = "valueTag-test-3")],
    ["Context", "11612053647989098410", (s) => (s.context = "context-2")],
    ["DetailedMonitoring", "11845605438531206428", (s) => (s.detailedMonitoring = true)],
    ["InstanceStorePolicy", "6430637013089544585", (s) => (s.instanceStorePolicy = "RAID0")],
    ["AssociatePublicIPAddress", "6811176403923819181", (s) => (s.associatePublicIPAddress = true)],
    ["MetadataOptions HTTPEndpoint", "8158886403801636337", (s) => (s.metadataOptions.httpEndpoint = "enabled")],
    [
      "MetadataOptions HTTPProtocolIPv6",
      "12355196004817691031",
      (s) => (s.metadataOptions.httpProtocolIPv6 = "enabled"),
    ],
    [
      "MetadataOptions HTTPPutResponseHopLimit",
      "8968306366664488826",
      (s) => (s.metadataOptions.httpPutResponseHopLimit = 10),
    ],
    ["MetadataOptions HTTPTokens", "12408995450371615650", (s) => (s.metadataOptions.httpTokens = "required")],
    ["BlockDeviceMapping DeviceName", "13986335469721503441", (s) => (bdm0(s).deviceName = "map-device-test-3")],
    ["BlockDeviceMapping RootVolume", "14242690863945643402", (s) => (bdm0(s).rootVolume = true)],
    ["BlockDeviceMapping DeleteOnTermination", "12316454167870753581", (s) => (bdm0(s).ebs.deleteOnTermination = true)],
    ["BlockDeviceMapping Encrypted", "17753517657333560591", (s) => (bdm0(s).ebs.encrypted = true)],
    ["BlockDeviceMapping IOPS", "2249322442135400321", (s) => (bdm0(s).ebs.iops = 10)],
    ["BlockDeviceMapping KMSKeyID", "12259594419287406661", (s) => (bdm0(s).ebs.kmsKeyID = "test")],
    ["BlockDeviceMapping SnapshotID", "1149563513090550380", (s) => (bdm0(s).ebs.snapshotID = "test")],
    ["BlockDeviceMapping Throughput", "12068199760789564545", (s) => (bdm0(s).ebs.throughput = 10)],
    ["BlockDeviceMapping VolumeType", "16361719363399715944", (s) => (bdm0(s).ebs.volumeType = "io1")],
    [
      "ConnectionTracking TCPEstablishedTimeout",
      "12177489405137904098",
      (s) => (s.connectionTracking = { tcpEstablishedTimeout: 300 }),
    ],
    [
      "ConnectionTracking UDPStreamTimeout",
      "17567831983996427",
      (s) => (s.connectionTracking = { udpStreamTimeout: 120 }),
    ],
    ["ConnectionTracking UDPTimeout", "5078825826133662844", (s) => (s.connectionTracking = { udpTimeout: 45 })],
    [
      "CPUOptions NestedVirtualization",
      "17001101224536964682",
      (s) => (s.cpuOptions = { nestedVirtualization: "enabled" }),
    ],
    ["Modified AMISelector", STATIC, (s) => (s.amiSelectorTerms = [{ tags: { "": "ami-test-value" } }])],
    ["Modified SubnetSelector", STATIC, (s) => (s.subnetSelectorTerms = [{ tags: { "subnet-test-key": "v" } }])],
    ["Modified SecurityGroupSelector", STATIC, (s) => (s.securityGroupSelectorTerms = [{ tags: { "sg-key": "v" } }])],
    ["reordered tags", STATIC, (s) => (s.tags = { "keyTag-2": "valueTag-2", "keyTag-1": "valueTag-1" })],
    ["reordered blockDeviceMappings", STATIC, (s) => s.blockDeviceMappings.reverse()],
    ["volumeSize 10G", "3564293065344858862", (s) => (bdm0(s).ebs.volumeSize = "10G")],
    ["volumeSize 10000M (same quantity)", "3564293065344858862", (s) => (bdm0(s).ebs.volumeSize = "10000M")],
    [
      "instanceProfile",
      "3585768058063247698",
      (s) => {
        s.role = "";
        s.instanceProfile = "test-instance-profile";
      },
    ],
  ])("%s", (_name, want, change) => {
    expect(hashOf(change)).toBe(want);
  });

  it("changes with the CA bundle and with the resolved AMI family, not with an equivalent alias", () => {
    const spec = baseSpec();
    expect(ec2NodeClassHash({ spec }, "other-ca")).not.toBe(STATIC);
    const fam = ec2NodeClassHash({ spec: { ...spec, amiFamily: "AL2023" } }, CA);
    expect(fam).not.toBe(STATIC);
    expect(ec2NodeClassHash({ spec: { ...spec, amiSelectorTerms: [{ alias: "al2023@latest" }] } }, CA)).toBe(fam);
    expect(resolvedAmiFamily({ spec: { amiSelectorTerms: [{ id: "ami-1" }] } })).toBe("Custom");
  });
});

describe("hash versions", () => {
  it("are Karpenter v1.14's (NodePoolHashVersion v3, EC2NodeClassHashVersion v6): another version re-stamps every NodeClaim", () => {
    expect(NODEPOOL_HASH_VERSION).toBe("v3");
    expect(EC2NODECLASS_HASH_VERSION).toBe("v6");
  });
});

describe("NodePool hash (sigs.k8s.io/karpenter v1.14.1 NodePool.Hash())", () => {
  it.each(NODEPOOL_CASES)("%s", (name, change) => {
    const np = nodePoolFixture();
    change(np);
    expect(nodePoolHash(np)).toBe(KARPENTER_NODEPOOL_HASHES[name]);
  });
  it("ignores requirements and fields outside the template; Never equals an unset expireAfter", () => {
    const h = (name: string) => KARPENTER_NODEPOOL_HASHES[name];
    expect(h("requirements changed (ignored)")).toBe(h("base"));
    expect(h("disruption/limits/weight changed (outside the template)")).toBe(h("base"));
    expect(h("annotations reordered")).toBe(h("base"));
    expect(h("taints reordered")).toBe(h("taints reversed"));
    expect(h("labels changed")).not.toBe(h("base"));
  });
});

describe("hashstructure primitives", () => {
  it("hashes Go durations as their nanoseconds", () => {
    expect(durationHash("5m")).toBe(int64Hash(300_000_000_000n));
    expect(durationHash("1h30m")).toBe(int64Hash(5_400_000_000_000n));
    expect(durationHash("1.5s")).toBe(int64Hash(1_500_000_000n));
    expect(durationHash("720h")).toBe(int64Hash(2_592_000_000_000_000n));
    expect(() => durationHash("5 minutes")).toThrow(/invalid Go duration/);
  });
  it("canonicalises quantities as Kubernetes prints them", () => {
    expect(canonicalQuantity("1024Mi")).toBe("1Gi");
    expect(canonicalQuantity("1.5Gi")).toBe("1536Mi");
    expect(canonicalQuantity("2000M")).toBe("2G");
    expect(canonicalQuantity("1500M")).toBe("1500M");
    expect(canonicalQuantity("20Gi")).toBe("20Gi");
    expect(canonicalQuantity("0.5")).toBe("500m");
    expect(canonicalQuantity("512")).toBe("512");
    expect(canonicalQuantity("100")).toBe("100");
  });
  it("hashes an empty string to FNV-1's offset basis", () => {
    expect(goHash({ kind: "string" }, "")).toBe(14695981039346656037n);
  });
});

describe("the hash's duration parser is the engine's", () => {
  it('accepts "-0" and "+1m" as Go does (the hash used its own stricter grammar before)', () => {
    expect(durationHash("-0")).toBe(int64Hash(0n));
    expect(durationHash("+1m")).toBe(int64Hash(60_000_000_000n));
    expect(() => durationHash("Never")).toThrow(/invalid Go duration/);
  });
});
