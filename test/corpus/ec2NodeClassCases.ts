// The corpus's EC2NodeClass cases (see karpenterCorpus.ts).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { add, ok, bad, base, entries, type CorpusKind } from "./corpusBase";

// ============================== EC2NodeClass ==============================
const EC = "EC2NodeClass" as const;
ok(EC, "getting-started", () => {});
ok(EC, "instanceProfile", (d) => {
  delete d.spec.role;
  d.spec.instanceProfile = "KarpenterNodeInstanceProfile";
});
bad(EC, "role-and-instanceProfile", "spec", (d) => (d.spec.instanceProfile = "p"));
bad(EC, "neither-role-nor-instanceProfile", "spec", (d) => delete d.spec.role);
bad(EC, "empty-role", "spec.role", (d) => (d.spec.role = ""));
bad(EC, "empty-instanceProfile", "spec.instanceProfile", (d) => {
  delete d.spec.role;
  d.spec.instanceProfile = "";
});
ok(EC, "role-arn", (d) => (d.spec.role = "arn:aws:iam::123456789012:role/KarpenterNodeRole"));

// --- AMI selection ---
const ami = (terms: any[], family?: string) => (d: any) => {
  d.spec.amiSelectorTerms = terms;
  if (family !== undefined) d.spec.amiFamily = family;
};
const AMI = "spec.amiSelectorTerms";
for (const [alias, family, valid] of [
  ["al2@latest", undefined, true],
  ["al2@latest", "AL2", true],
  ["al2@latest", "Custom", true],
  ["al2@latest", "AL2023", false],
  ["al2@v20240807", undefined, true],
  ["al2023@latest", "AL2023", true],
  ["al2023@latest", "Custom", true],
  ["al2023@latest", "AL2", false],
  ["al2023@latest", "Bottlerocket", false],
  ["al2023@v20240807", undefined, true],
  ["bottlerocket@latest", "Bottlerocket", true],
  ["bottlerocket@v1.20.0", undefined, true],
  ["bottlerocket@latest", "AL2", false],
  ["windows2019@latest", "Windows2019", true],
  ["windows2019@latest", "Windows2022", false],
  ["windows2022@latest", "Windows2022", true],
  ["windows2022@latest", "Custom", true],
  ["windows2022@latest", "Windows2025", false],
  ["windows2025@latest", "Windows2025", true],
  ["windows2025@latest", undefined, true],
  ["al2023@latest@extra", undefined, true],
] as const)
  add(EC, `alias=${alias}${family ? `+${family}` : ""}`, valid, ami([{ alias }], family), { field: valid ? undefined : "spec" });
for (const [alias, fix] of [
  ["al2023", "family@version"],
  ["@latest", "family@version"],
  ["al2023@", "family@version"],
  ["al-2023@latest", "family@version"],
  ["AL2023@latest", undefined],
  ["ubuntu@latest", undefined],
  ["al2024@latest", undefined],
  ["windows2022@v1", "latest"],
  ["windows2019@2024.01", "latest"],
  ["bottlerocket@v1.20.0-with-a-very-long-suffix", undefined],
] as const)
  bad(EC, `alias=${alias}`, `${AMI}[0].alias`, ami([{ alias }]), fix ? { fix } : {});
bad(EC, "alias-empty", `${AMI}[0].alias`, ami([{ alias: "" }]));
bad(EC, "amiFamily-unknown", "spec.amiFamily", ami([{ alias: "al2023@latest" }], "Ubuntu"));
bad(EC, "amiFamily-lowercase", "spec.amiFamily", ami([{ id: "ami-123" }], "al2023"));
bad(EC, "no-alias-no-amiFamily", "spec", ami([{ id: "ami-123" }]), { fix: "amiFamily" });
bad(EC, "ssmParameter-no-amiFamily", "spec", ami([{ ssmParameter: "/aws/service/x" }]));
for (const family of ["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025"])
  ok(EC, `id+amiFamily=${family}`, ami([{ id: "ami-0123abcd" }], family));
ok(EC, "tags+amiFamily", ami([{ tags: { Name: "my-ami" } }], "AL2023"));
ok(EC, "name+owner", ami([{ name: "my-ami-*", owner: "self" }], "AL2023"));
ok(EC, "name-only", ami([{ name: "my-ami-*" }], "Custom"));
ok(EC, "ssmParameter", ami([{ ssmParameter: "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id" }], "Custom"));
ok(EC, "id-next-to-tags-term", ami([{ id: "ami-123" }, { tags: { a: "b" } }], "AL2023"));
ok(EC, "id-next-to-name-term", ami([{ id: "ami-123" }, { name: "x", owner: "amazon" }], "AL2"));
ok(EC, "ami-id-unanchored-pattern", ami([{ id: "my-ami-123" }], "AL2023"));
ok(EC, "ami-terms-30", ami(Array.from({ length: 30 }, (_, i) => ({ id: `ami-${i}` })), "AL2023"));
bad(EC, "ami-terms-31", AMI, ami(Array.from({ length: 31 }, (_, i) => ({ id: `ami-${i}` })), "AL2023"));
bad(EC, "ami-id-bad", `${AMI}[0].id`, ami([{ id: "img-123" }], "AL2023"));
bad(EC, "ami-id-uppercase", `${AMI}[0].id`, ami([{ id: "ami-ABC" }], "AL2023"));
bad(EC, "alias-with-id", AMI, ami([{ alias: "al2023@latest", id: "ami-123" }]));
bad(EC, "alias-with-tags", AMI, ami([{ alias: "al2023@latest", tags: { a: "b" } }]));
bad(EC, "alias-with-name", AMI, ami([{ alias: "al2023@latest", name: "x" }]));
bad(EC, "alias-with-owner", AMI, ami([{ alias: "al2023@latest", owner: "self" }]));
bad(EC, "alias-next-to-another-term", AMI, ami([{ alias: "al2023@latest" }, { id: "ami-123" }]));
bad(EC, "two-aliases", AMI, ami([{ alias: "al2023@latest" }, { alias: "al2@latest" }]));
bad(EC, "id-with-tags", AMI, ami([{ id: "ami-123", tags: { a: "b" } }], "AL2023"));
bad(EC, "id-with-name", AMI, ami([{ id: "ami-123", name: "x" }], "AL2023"));
bad(EC, "id-with-owner", AMI, ami([{ id: "ami-123", owner: "self" }], "AL2023"));
bad(EC, "id-with-tags-next-to-good-term", AMI, ami([{ id: "ami-123", tags: { a: "b" } }, { tags: { c: "d" } }], "AL2023"));
bad(EC, "ami-empty-term", AMI, ami([{}], "AL2023"));
bad(EC, "ami-owner-only", AMI, ami([{ owner: "self" }], "AL2023"));
bad(EC, "ami-terms-empty", AMI, ami([], "AL2023"));
bad(EC, "ami-terms-missing", AMI, (d) => delete d.spec.amiSelectorTerms);
bad(EC, "ami-tags-empty-value", `${AMI}[0].tags`, ami([{ tags: { a: "" } }], "AL2023"));
bad(EC, "ami-tags-empty-key", `${AMI}[0].tags`, ami([{ tags: { "": "b" } }], "AL2023"));
bad(EC, "ami-tags-21", `${AMI}[0].tags`, ami([{ tags: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"])) }], "AL2023"));
ok(EC, "ami-tags-20", ami([{ tags: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, "v"])) }], "AL2023"));
ok(EC, "ami-tags-wildcard", ami([{ tags: { Name: "*" } }], "AL2023"));

// --- subnets and security groups ---
const subnets = (terms: any) => (d: any) => (d.spec.subnetSelectorTerms = terms);
const sgs = (terms: any) => (d: any) => (d.spec.securityGroupSelectorTerms = terms);
const SUB = "spec.subnetSelectorTerms";
const SG = "spec.securityGroupSelectorTerms";
ok(EC, "subnet-id", subnets([{ id: "subnet-0123abcd" }]));
ok(EC, "subnet-ids-and-tags-terms", subnets([{ id: "subnet-1" }, { tags: { a: "b" } }]));
ok(EC, "subnet-id-unanchored", subnets([{ id: "my-subnet-1" }]));
ok(EC, "subnet-id-with-tags-next-to-good-term", subnets([{ id: "subnet-1", tags: { a: "b" } }, { tags: { c: "d" } }]));
ok(EC, "subnet-terms-30", subnets(Array.from({ length: 30 }, (_, i) => ({ id: `subnet-${i}` }))));
bad(EC, "subnet-terms-31", SUB, subnets(Array.from({ length: 31 }, (_, i) => ({ id: `subnet-${i}` }))));
bad(EC, "subnet-terms-empty", SUB, subnets([]));
bad(EC, "subnet-terms-missing", SUB, (d) => delete d.spec.subnetSelectorTerms);
bad(EC, "subnet-empty-term", SUB, subnets([{}]));
bad(EC, "subnet-id-with-tags", SUB, subnets([{ id: "subnet-1", tags: { a: "b" } }]));
bad(EC, "subnet-id-bad", `${SUB}[0].id`, subnets([{ id: "sn-1" }]));
bad(EC, "subnet-name-unsupported", `${SUB}[0].name`, subnets([{ name: "private" }]));
bad(EC, "subnet-tags-empty-value", `${SUB}[0].tags`, subnets([{ tags: { "karpenter.sh/discovery": "" } }]));
ok(EC, "sg-id", sgs([{ id: "sg-0123abcd" }]));
ok(EC, "sg-name", sgs([{ name: "my-sg" }]));
ok(EC, "sg-id-with-name-next-to-good-term", sgs([{ id: "sg-1", name: "x" }, { name: "y" }]));
ok(EC, "sg-name-with-tags-next-to-good-term", sgs([{ name: "x", tags: { a: "b" } }, { id: "sg-2" }]));
bad(EC, "sg-terms-empty", SG, sgs([]));
bad(EC, "sg-empty-term", SG, sgs([{}]));
bad(EC, "sg-id-with-tags", SG, sgs([{ id: "sg-1", tags: { a: "b" } }]));
bad(EC, "sg-id-with-name", SG, sgs([{ id: "sg-1", name: "x" }]));
bad(EC, "sg-name-with-tags", SG, sgs([{ name: "x", tags: { a: "b" } }]));
bad(EC, "sg-id-bad", `${SG}[0].id`, sgs([{ id: "group-1" }]));
bad(EC, "sg-tags-empty-key", `${SG}[0].tags`, sgs([{ tags: { "": "x" } }]));

// --- capacity reservations ---
const crs = (terms: any) => (d: any) => (d.spec.capacityReservationSelectorTerms = terms);
const CR = "spec.capacityReservationSelectorTerms";
ok(EC, "cr-id", crs([{ id: "cr-0123abcd" }]));
ok(EC, "cr-tags", crs([{ tags: { a: "b" } }]));
ok(EC, "cr-tags-ownerID", crs([{ tags: { a: "b" }, ownerID: "123456789012" }]));
ok(EC, "cr-instanceMatchCriteria-open", crs([{ instanceMatchCriteria: "open" }]));
ok(EC, "cr-instanceMatchCriteria-targeted-tags", crs([{ instanceMatchCriteria: "targeted", tags: { a: "b" } }]));
ok(EC, "cr-id-with-tags-next-to-good-term", crs([{ id: "cr-1", tags: { a: "b" } }, { tags: { c: "d" } }]));
bad(EC, "cr-id-uppercase", `${CR}[0].id`, crs([{ id: "cr-ABC" }]));
bad(EC, "cr-id-prefix", `${CR}[0].id`, crs([{ id: "my-cr-1" }]));
bad(EC, "cr-ownerID-only", CR, crs([{ ownerID: "123456789012" }]));
bad(EC, "cr-empty-term", CR, crs([{}]));
bad(EC, "cr-id-with-ownerID", CR, crs([{ id: "cr-1", ownerID: "123456789012" }]));
bad(EC, "cr-id-with-tags", CR, crs([{ id: "cr-1", tags: { a: "b" } }]));
bad(EC, "cr-id-with-instanceMatchCriteria", CR, crs([{ id: "cr-1", instanceMatchCriteria: "open" }]));
bad(EC, "cr-ownerID-short", `${CR}[0].ownerID`, crs([{ tags: { a: "b" }, ownerID: "1234" }]));
bad(EC, "cr-instanceMatchCriteria-unknown", `${CR}[0].instanceMatchCriteria`, crs([{ instanceMatchCriteria: "closed" }]));
// `!self.all(...)` is false on an empty list: Karpenter rejects an empty list of capacity reservation terms.
bad(EC, "cr-terms-empty", CR, crs([]));

// --- block devices ---
const bdm = (ms: any[]) => (d: any) => (d.spec.blockDeviceMappings = ms);
const BDM = "spec.blockDeviceMappings";
const vol = (ebs: any, extra: any = {}) => ({ deviceName: "/dev/xvda", ebs, ...extra });
ok(EC, "bdm-root", bdm([vol({ volumeSize: "100Gi", volumeType: "gp3", iops: 3000, throughput: 125, encrypted: true }, { rootVolume: true })]));
ok(EC, "bdm-two-not-root", bdm([vol({ volumeSize: "20Gi" }, { rootVolume: false }), { deviceName: "/dev/xvdb", ebs: { volumeSize: "20Gi" }, rootVolume: false }]));
ok(EC, "bdm-snapshot-only", bdm([vol({ snapshotID: "snap-123" })]));
ok(EC, "bdm-init-rate-with-snapshot", bdm([vol({ snapshotID: "snap-123", volumeInitializationRate: 100 })]));
ok(EC, "bdm-no-ebs", bdm([{ deviceName: "/dev/xvda" }]));
ok(EC, "bdm-throughput-on-gp2", bdm([vol({ volumeSize: "20Gi", volumeType: "gp2", throughput: 250 })]));
for (const [size, valid] of [
  ["1Gi", true],
  ["59000Gi", true],
  ["64000G", true],
  ["58Ti", true],
  ["64T", true],
  ["100G", true],
  ["59001Gi", false],
  ["64001G", false],
  ["59Ti", false],
  ["65T", false],
  ["0Gi", false],
  ["100GB", false],
  ["100", false],
  ["1.5Gi", false],
] as const)
  add(EC, `bdm-volumeSize=${size}`, valid, bdm([vol({ volumeSize: size })]), { field: valid ? undefined : `${BDM}[0].ebs.volumeSize` });
for (const t of ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"]) ok(EC, `bdm-volumeType=${t}`, bdm([vol({ volumeSize: "20Gi", volumeType: t })]));
bad(EC, "bdm-volumeType-gp4", `${BDM}[0].ebs.volumeType`, bdm([vol({ volumeSize: "20Gi", volumeType: "gp4" })]));
bad(EC, "bdm-two-roots", BDM, bdm([vol({ volumeSize: "20Gi" }, { rootVolume: true }), { deviceName: "/dev/xvdb", ebs: { volumeSize: "20Gi" }, rootVolume: true }]));
bad(EC, "bdm-ebs-without-size-or-snapshot", `${BDM}[0].ebs`, bdm([vol({ volumeType: "gp3" })]));
bad(EC, "bdm-init-rate-without-snapshot", `${BDM}[0].ebs`, bdm([vol({ volumeSize: "20Gi", volumeInitializationRate: 100 })]));
bad(EC, "bdm-init-rate-empty-snapshot", `${BDM}[0].ebs`, bdm([vol({ snapshotID: "", volumeSize: "20Gi", volumeInitializationRate: 100 })]));
bad(EC, "bdm-init-rate-99", `${BDM}[0].ebs.volumeInitializationRate`, bdm([vol({ snapshotID: "snap-1", volumeInitializationRate: 99 })]));
bad(EC, "bdm-init-rate-301", `${BDM}[0].ebs.volumeInitializationRate`, bdm([vol({ snapshotID: "snap-1", volumeInitializationRate: 301 })]));
bad(EC, "bdm-51", BDM, bdm(Array.from({ length: 51 }, (_, i) => ({ deviceName: `/dev/xvd${i}`, ebs: { volumeSize: "1Gi" } }))));

// --- metadata options ---
const mo = (m: any) => (d: any) => (d.spec.metadataOptions = m);
const MO = "spec.metadataOptions";
for (const [hop, valid] of [[1, true], [2, true], [64, true], [0, false], [65, false], [-1, false]] as const)
  add(EC, `hopLimit=${hop}`, valid, mo({ httpPutResponseHopLimit: hop }), { field: valid ? undefined : `${MO}.httpPutResponseHopLimit` });
ok(EC, "httpTokens-optional", mo({ httpTokens: "optional" }));
ok(EC, "httpEndpoint-disabled", mo({ httpEndpoint: "disabled" }));
ok(EC, "httpProtocolIPv6-enabled", mo({ httpProtocolIPv6: "enabled" }));
bad(EC, "httpTokens-maybe", `${MO}.httpTokens`, mo({ httpTokens: "maybe" }));
bad(EC, "httpEndpoint-off", `${MO}.httpEndpoint`, mo({ httpEndpoint: "off" }));
bad(EC, "httpProtocolIPv6-yes", `${MO}.httpProtocolIPv6`, mo({ httpProtocolIPv6: "yes" }));

// --- kubelet ---
const kl = (k: any) => (d: any) => (d.spec.kubelet = k);
const KL = "spec.kubelet";
ok(EC, "kubelet-full", kl({
  maxPods: 110,
  podsPerCore: 10,
  systemReserved: { cpu: "100m", memory: "100Mi", "ephemeral-storage": "1Gi", pid: "100" },
  kubeReserved: { cpu: "200m", memory: "100Mi" },
  evictionHard: { "memory.available": "5%", "nodefs.available": "10%", "pid.available": "10%" },
  evictionSoft: { "memory.available": "500Mi" },
  evictionSoftGracePeriod: { "memory.available": "1m" },
  evictionMaxPodGracePeriod: 60,
  imageGCHighThresholdPercent: 85,
  imageGCLowThresholdPercent: 80,
  cpuCFSQuota: true,
  clusterDNS: ["10.100.0.10"],
}));
ok(EC, "kubelet-maxPods-0", kl({ maxPods: 0 }));
ok(EC, "kubelet-clusterDNS-not-ip", kl({ clusterDNS: ["kube-dns"] }));
ok(EC, "kubelet-imageGC-high-only", kl({ imageGCHighThresholdPercent: 90 }));
ok(EC, "kubelet-empty", kl({}));
bad(EC, "kubelet-maxPods-negative", `${KL}.maxPods`, kl({ maxPods: -1 }));
bad(EC, "kubelet-podsPerCore-negative", `${KL}.podsPerCore`, kl({ podsPerCore: -1 }));
bad(EC, "kubelet-imageGC-inverted", KL, kl({ imageGCHighThresholdPercent: 50, imageGCLowThresholdPercent: 80 }));
bad(EC, "kubelet-imageGC-equal", KL, kl({ imageGCHighThresholdPercent: 80, imageGCLowThresholdPercent: 80 }));
bad(EC, "kubelet-imageGC-101", `${KL}.imageGCHighThresholdPercent`, kl({ imageGCHighThresholdPercent: 101 }));
bad(EC, "kubelet-evictionHard-unknown-signal", `${KL}.evictionHard`, kl({ evictionHard: { "memory.free": "5%" } }));
bad(EC, "kubelet-evictionHard-bad-value", `${KL}.evictionHard[memory.available]`, kl({ evictionHard: { "memory.available": "lots" } }));
bad(EC, "kubelet-evictionHard-101%", `${KL}.evictionHard[memory.available]`, kl({ evictionHard: { "memory.available": "101%" } }));
bad(EC, "kubelet-evictionSoft-without-grace", KL, kl({ evictionSoft: { "memory.available": "5%" } }));
bad(EC, "kubelet-grace-without-evictionSoft", KL, kl({ evictionSoftGracePeriod: { "memory.available": "1m" } }));
bad(EC, "kubelet-evictionSoft-grace-mismatch", KL, kl({ evictionSoft: { "memory.available": "5%" }, evictionSoftGracePeriod: { "nodefs.available": "1m" } }));
bad(EC, "kubelet-systemReserved-gpu", `${KL}.systemReserved`, kl({ systemReserved: { gpu: "1" } }));
bad(EC, "kubelet-kubeReserved-negative", `${KL}.kubeReserved`, kl({ kubeReserved: { cpu: "-1" } }));
bad(EC, "kubelet-kubeReserved-percent", `${KL}.kubeReserved[cpu]`, kl({ kubeReserved: { cpu: "10%" } }));
bad(EC, "kubelet-unknown-field", `${KL}.maxpods`, kl({ maxpods: 10 }));

// --- tags ---
const tags = (t: any) => (d: any) => (d.spec.tags = t);
ok(EC, "tags", tags({ team: "platform", "example.com/owner": "me" }));
ok(EC, "tags-aws-prefix", tags({ "aws:team": "x" }));
ok(EC, "tags-empty-value", tags({ team: "" }));
ok(EC, "tags-kubernetes.io-other", tags({ "kubernetes.io/role": "x" }));
for (const key of [
  "kubernetes.io/cluster/my-cluster",
  "kubernetes.io/clusterfoo",
  "eks:eks-cluster-name",
  "karpenter.sh/nodepool",
  "karpenter.sh/nodeclaim",
  "karpenter.k8s.aws/ec2nodeclass",
  "",
])
  bad(EC, `tag-restricted=${key || "empty"}`, "spec.tags", tags({ [key]: "x" }));

// --- network interfaces, placement, connection tracking, misc ---
const nis = (n: any[]) => (d: any) => (d.spec.networkInterfaces = n);
const NI = "spec.networkInterfaces";
const ni = (networkCardIndex: number, deviceIndex: number, interfaceType: string) => ({ networkCardIndex, deviceIndex, interfaceType });
ok(EC, "ni-empty", nis([]));
ok(EC, "ni-primary", nis([ni(0, 0, "interface")]));
ok(EC, "ni-primary-and-efa", nis([ni(0, 0, "interface"), ni(1, 0, "efa-only"), ni(2, 0, "efa-only")]));
ok(EC, "ni-primary-and-secondary", nis([ni(0, 0, "interface"), ni(0, 1, "efa-only")]));
bad(EC, "ni-no-primary", NI, nis([ni(0, 0, "efa-only")]));
bad(EC, "ni-primary-on-card-1", NI, nis([ni(1, 0, "interface")]));
bad(EC, "ni-duplicate", NI, nis([ni(0, 0, "interface"), ni(0, 0, "interface")]));
bad(EC, "ni-two-efa-one-card", NI, nis([ni(0, 0, "interface"), ni(1, 0, "efa-only"), ni(1, 1, "efa-only")]));
bad(EC, "ni-type-unknown", `${NI}[0].interfaceType`, nis([ni(0, 0, "eni")]));
bad(EC, "ni-missing-field", `${NI}[0].deviceIndex`, nis([{ networkCardIndex: 0, interfaceType: "interface" }]));
bad(EC, "ni-negative-index", `${NI}[1].deviceIndex`, nis([ni(0, 0, "interface"), ni(1, -1, "efa-only")]));
const pg = (p: any) => (d: any) => (d.spec.placementGroupSelector = p);
ok(EC, "pg-name", pg({ name: "my-pg" }));
ok(EC, "pg-id", pg({ id: "pg-0123abcd" }));
bad(EC, "pg-empty", "spec.placementGroupSelector", pg({}));
bad(EC, "pg-name-and-id", "spec.placementGroupSelector", pg({ name: "x", id: "pg-1" }));
bad(EC, "pg-id-bad", "spec.placementGroupSelector.id", pg({ id: "pg-ABC" }));
const ct = (c: any) => (d: any) => (d.spec.connectionTracking = c);
ok(EC, "ct-tcp", ct({ tcpEstablishedTimeout: 60 }));
ok(EC, "ct-all", ct({ tcpEstablishedTimeout: 432000, udpStreamTimeout: 180, udpTimeout: 30 }));
bad(EC, "ct-empty", "spec.connectionTracking", ct({}));
bad(EC, "ct-tcp-59", "spec.connectionTracking.tcpEstablishedTimeout", ct({ tcpEstablishedTimeout: 59 }));
bad(EC, "ct-udp-61", "spec.connectionTracking.udpTimeout", ct({ udpTimeout: 61 }));
bad(EC, "ct-udpStream-181", "spec.connectionTracking.udpStreamTimeout", ct({ udpStreamTimeout: 181 }));
ok(EC, "cpu-nested-virt", (d) => (d.spec.cpuOptions = { nestedVirtualization: "enabled" }));
bad(EC, "cpu-nested-virt-on", "spec.cpuOptions.nestedVirtualization", (d) => (d.spec.cpuOptions = { nestedVirtualization: "on" }));
ok(EC, "instanceStorePolicy-RAID0", (d) => (d.spec.instanceStorePolicy = "RAID0"));
bad(EC, "instanceStorePolicy-RAID1", "spec.instanceStorePolicy", (d) => (d.spec.instanceStorePolicy = "RAID1"));
ok(EC, "ipPrefixCount-0", (d) => (d.spec.ipPrefixCount = 0));
bad(EC, "ipPrefixCount-negative", "spec.ipPrefixCount", (d) => (d.spec.ipPrefixCount = -1));
ok(EC, "misc-fields", (d) => {
  d.spec.associatePublicIPAddress = true;
  d.spec.detailedMonitoring = true;
  d.spec.userData = "#!/bin/bash\necho hello\n";
  d.spec.context = "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-1";
});
bad(EC, "unknown-field-amiSelector", "spec.amiSelector", (d) => (d.spec.amiSelector = { "aws-ids": "ami-1" }));
bad(EC, "associatePublicIPAddress-string", "spec.associatePublicIPAddress", (d) => (d.spec.associatePublicIPAddress = "yes"));
entries.push({
  id: "ec2nodeclass/update-role-change",
  kind: EC,
  old: base(EC),
  doc: base(EC, (d) => (d.spec.role = "OtherRole")),
  valid: true,
});

