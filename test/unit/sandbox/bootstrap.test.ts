// The sandbox's bootstrap + kubelet model: user data per AMI family decodes as the real bootstrap reads it,
// nodeadm/kubelet refuse what they refuse (with their wording), and allocatable follows the kubelet config.
import { decodeUserData, familyOfImage, sniffFamily, BootError, parseToml } from "../../../sandbox/userData";
import { validateClusterDetails } from "../../../sandbox/nodeadm";
import { kubeletNode, validateNodeLabels, cpuToReserveMillis, eniMaxPods, InstanceTypeFacts, extendedResources } from "../../../sandbox/kubelet";

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
const m5large: InstanceTypeFacts = { name: "m5.large", vcpus: 2, memoryMiB: 8192, arch: "amd64", maxEnis: 3, ipv4PerEni: 10, podEni: 9 };
const facts = { nodeName: "ip-10-0-0-4.ec2.internal", zone: "us-east-1a", region: "us-east-1", os: "linux" as const, rootVolumeGiB: 20, memoryOverheadPercent: 5 };

function mime(...parts: Array<[string, string]>): string {
  const lines = ["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="//"', ""];
  for (const [ct, body] of parts) lines.push("--//", `Content-Type: ${ct}`, "", body, "");
  lines.push("--//--", "");
  return lines.join("\n");
}
const nodeConfig = (cluster: Record<string, string>, kubelet = "") =>
  `apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n${Object.entries(cluster).map(([k, v]) => `    ${k}: ${v}`).join("\n")}\n${kubelet}`;
const full = { name: "demo", apiServerEndpoint: "https://127.0.0.1:6443", certificateAuthority: CA, cidr: "10.96.0.0/16" };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BootError) return `${e.component}: ${e.message}`;
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("AL2023 (nodeadm)", () => {
  it.each([
    ["name", "Name is missing in cluster configuration"],
    ["apiServerEndpoint", "Apiserver endpoint is missing in cluster configuration"],
    ["certificateAuthority", "Certificate authority is missing in cluster configuration"],
    ["cidr", "CIDR is missing in cluster configuration"],
  ])("refuses a NodeConfig without %s with nodeadm's words", (field, words) => {
    const cluster: Record<string, string> = { ...full };
    delete cluster[field];
    const boot = decodeUserData("al2023", mime(["application/node.eks.aws", nodeConfig(cluster)]));
    expect(refusal(() => validateClusterDetails(boot))).toBe(`nodeadm: Command failed: ${words}`);
  });

  it("merges NodeConfig parts in order: later fields win, kubelet config merges key by key, flags append", () => {
    const user = nodeConfig({ name: "user" }, "  kubelet:\n    config:\n      maxPods: 50\n      kubeReserved:\n        cpu: 200m\n    flags:\n      - --node-labels=team=a\n");
    const karp = nodeConfig(full, "  kubelet:\n    config:\n      kubeReserved:\n        memory: 1Gi\n    flags:\n      - --node-labels=karpenter.sh/nodepool=default\n");
    const boot = decodeUserData("al2023", mime(["text/x-shellscript", "#!/bin/bash\necho hi"], ["application/node.eks.aws", user], ["application/node.eks.aws", karp]));
    expect(boot.cluster).toEqual(full);
    expect(boot.kubeletConfig).toEqual({ maxPods: 50, kubeReserved: { cpu: "200m", memory: "1Gi" } });
    expect(boot.kubeletFlags).toEqual(["--node-labels=team=a", "--node-labels=karpenter.sh/nodepool=default"]);
    expect(() => validateClusterDetails(boot)).not.toThrow();
  });

  it("refuses user data with no NodeConfig at all", () => {
    expect(refusal(() => decodeUserData("al2023", mime(["text/x-shellscript", "#!/bin/bash\necho hi"])))).toBe(
      "nodeadm: Command failed: could not find NodeConfig within UserData",
    );
  });

  it("reads what capsicum's user-data builder writes", async () => {
    const { al2023UserData } = await import("../../../src/cloudprovider/aws/userData");
    const ud = al2023UserData({ clusterName: "demo", apiServerEndpoint: full.apiServerEndpoint, caBundle: CA, serviceCIDR: "10.96.0.0/16", labels: { "karpenter.sh/nodepool": "default" }, taints: [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }], maxPods: 29 });
    const boot = decodeUserData("al2023", ud);
    expect(boot.cluster).toEqual(full);
    const n = kubeletNode(boot, m5large, facts);
    expect(n.labels["karpenter.sh/nodepool"]).toBe("default");
    expect(n.taints).toEqual([{ key: "karpenter.sh/unregistered", effect: "NoExecute" }]);
  });
});

describe("kubelet", () => {
  it("refuses --node-labels in kubernetes.io / k8s.io outside its allowed set, with the kubelet's words", () => {
    expect(refusal(() => validateNodeLabels({ "node-role.kubernetes.io/worker": "", "app.k8s.io/x": "y", "node.kubernetes.io/ok": "1" }))).toBe(
      "kubelet: failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [app.k8s.io/x node-role.kubernetes.io/worker]\n" +
        "--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (kubelet.kubernetes.io, node.kubernetes.io) or be in the specifically allowed set " +
        "(beta.kubernetes.io/arch, beta.kubernetes.io/instance-type, beta.kubernetes.io/os, failure-domain.beta.kubernetes.io/region, failure-domain.beta.kubernetes.io/zone, kubernetes.io/arch, kubernetes.io/hostname, kubernetes.io/os, node.kubernetes.io/instance-type, topology.kubernetes.io/region, topology.kubernetes.io/zone)",
    );
    expect(() => validateNodeLabels({ "karpenter.sh/nodepool": "a", "topology.kubernetes.io/zone": "us-east-1a", "kubelet.kubernetes.io/x": "1" })).not.toThrow();
  });

  it("registers exactly the --node-labels plus its own labels, and only registerWithTaints", () => {
    const boot = decodeUserData("al2023", mime(["application/node.eks.aws", nodeConfig(full,
      "  kubelet:\n    config:\n      registerWithTaints:\n        - key: karpenter.sh/unregistered\n          effect: NoExecute\n        - key: gpu\n          value: \"true\"\n          effect: NoSchedule\n    flags:\n      - --node-labels=karpenter.sh/nodepool=default,team=a\n")]));
    const n = kubeletNode(boot, m5large, facts);
    expect(n.labels).toEqual({
      "kubernetes.io/hostname": facts.nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
      "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": "us-east-1a", "topology.kubernetes.io/region": "us-east-1",
      "karpenter.sh/nodepool": "default", team: "a",
    });
    expect(n.taints).toEqual([{ key: "karpenter.sh/unregistered", effect: "NoExecute" }, { key: "gpu", value: "true", effect: "NoSchedule" }]);
    const none = kubeletNode(decodeUserData("al2023", nodeConfig(full)), m5large, facts);
    expect(none.taints).toEqual([]);
  });

  it("computes allocatable with EKS defaults: ENI max pods, kubeReserved by size, evictionHard 100Mi / 10%", () => {
    const n = kubeletNode(decodeUserData("al2023", nodeConfig(full)), m5large, facts);
    expect(eniMaxPods(m5large)).toBe(29);
    expect(cpuToReserveMillis(2)).toBe(70);
    expect(cpuToReserveMillis(16)).toBe(110);
    const memKi = Math.floor(8192 * 0.95) * 1024;
    expect(n.capacity).toMatchObject({ cpu: "2", memory: `${memKi}Ki`, pods: "29", "ephemeral-storage": `${20 * 1024 * 1024}Ki` });
    expect(n.allocatable.cpu).toBe("1930m");
    expect(n.allocatable.memory).toBe(`${memKi - (11 * 29 + 255) * 1024 - 100 * 1024}Ki`);
    expect(Number(n.allocatable["ephemeral-storage"])).toBe(Math.floor(20 * 2 ** 30 * 0.9 - 2 ** 30));
  });

  it("computes allocatable from the NodeConfig's kubelet config (kubeReserved, systemReserved, evictionHard, maxPods)", () => {
    const boot = decodeUserData("al2023", nodeConfig(full,
      "  kubelet:\n    config:\n      maxPods: 110\n      kubeReserved:\n        cpu: 250m\n        memory: 500Mi\n      systemReserved:\n        cpu: 100m\n        memory: 200Mi\n      evictionHard:\n        memory.available: 5%\n"));
    const n = kubeletNode(boot, m5large, facts);
    const memBytes = Math.floor(8192 * 0.95) * 2 ** 20;
    expect(n.capacity.pods).toBe("110");
    expect(n.allocatable.cpu).toBe("1650m");
    expect(n.allocatable.memory).toBe(`${Math.floor((memBytes - 700 * 2 ** 20 - memBytes * 0.05) / 1024)}Ki`);
  });

  it("refuses a malformed reservation as the kubelet does", () => {
    const boot = decodeUserData("al2023", nodeConfig(full, "  kubelet:\n    config:\n      kubeReserved:\n        cpu: 10%\n"));
    expect(refusal(() => kubeletNode(boot, m5large, facts))).toMatch(/^kubelet: failed to validate kubelet configuration: kubeReserved\[cpu\]: "10%": quantities must match/);
  });

  it("advertises GPUs and pod-eni as extended resources (added later by their plugins)", () => {
    expect(extendedResources({ ...m5large, gpus: { resource: "nvidia.com/gpu", count: 1 } })).toEqual({ "nvidia.com/gpu": "1", "vpc.amazonaws.com/pod-eni": "9" });
    expect(kubeletNode(decodeUserData("al2023", nodeConfig(full)), m5large, facts).allocatable["vpc.amazonaws.com/pod-eni"]).toBeUndefined();
  });
});

describe("other AMI families", () => {
  it("AL2: bootstrap.sh arguments and --kubelet-extra-args", () => {
    const ud = `#!/bin/bash -xe\nexec > >(tee /var/log/user-data.log|logger -t user-data -s 2>/dev/console) 2>&1\n/etc/eks/bootstrap.sh 'demo' --apiserver-endpoint 'https://127.0.0.1:6443' --b64-cluster-ca '${CA}' \\\n--dns-cluster-ip '10.96.0.10' \\\n--use-max-pods false \\\n--kubelet-extra-args '--node-labels="karpenter.sh/nodepool=default" --register-with-taints="karpenter.sh/unregistered:NoExecute" --max-pods=58'\n`;
    expect(sniffFamily(ud)).toBe("al2");
    const boot = decodeUserData("al2", ud);
    expect(boot.cluster).toEqual({ name: "demo", apiServerEndpoint: "https://127.0.0.1:6443", certificateAuthority: CA });
    const n = kubeletNode(boot, m5large, facts);
    expect(n.maxPods).toBe(58);
    expect(n.labels["karpenter.sh/nodepool"]).toBe("default");
    expect(n.taints).toEqual([{ key: "karpenter.sh/unregistered", effect: "NoExecute" }]);
  });

  it("Bottlerocket: TOML settings", () => {
    const ud = `[settings.kubernetes]\ncluster-name = 'demo'\napi-server = 'https://127.0.0.1:6443'\ncluster-certificate = '${CA}'\nmax-pods = 20\n\n[settings.kubernetes.node-labels]\n'karpenter.sh/nodepool' = 'default'\n\n[settings.kubernetes.node-taints]\n'karpenter.sh/unregistered' = ['NoExecute']\n\n[settings.kubernetes.kube-reserved]\ncpu = '100m'\n`;
    expect(parseToml(ud)).toMatchObject({ settings: { kubernetes: { "cluster-name": "demo", "max-pods": 20 } } });
    const boot = decodeUserData("bottlerocket", ud);
    const n = kubeletNode(boot, m5large, facts);
    expect(n.maxPods).toBe(20);
    expect(n.taints).toEqual([{ key: "karpenter.sh/unregistered", effect: "NoExecute" }]);
    expect(n.allocatable.cpu).toBe("1900m");
    expect(refusal(() => validateClusterDetails(decodeUserData("bottlerocket", "[settings.kubernetes]\ncluster-name = 'demo'\n")))).toBe(
      "bottlerocket: kubelet.service: missing required setting settings.kubernetes.api-server",
    );
  });

  it("Windows: the PowerShell bootstrap's parameters", () => {
    const ud = `<powershell>\n[string]$EKSBootstrapScriptFile = "$env:ProgramFiles\\Amazon\\EKS\\Start-EKSBootstrap.ps1"\n& $EKSBootstrapScriptFile -EKSClusterName 'demo' -APIServerEndpoint 'https://127.0.0.1:6443' -Base64ClusterCA '${CA}' -KubeletExtraArgs '--node-labels="karpenter.sh/nodepool=default" --register-with-taints="karpenter.sh/unregistered:NoExecute"' -DNSClusterIP '10.96.0.10'\n</powershell>`;
    expect(sniffFamily(ud)).toBe("windows");
    const boot = decodeUserData("windows", ud);
    expect(boot.cluster).toMatchObject({ name: "demo", apiServerEndpoint: "https://127.0.0.1:6443", certificateAuthority: CA });
    const n = kubeletNode(boot, m5large, { ...facts, os: "windows" });
    expect(n.labels["kubernetes.io/os"]).toBe("windows");
    expect(n.taints).toEqual([{ key: "karpenter.sh/unregistered", effect: "NoExecute" }]);
  });

  it("knows the family of EKS-optimized images by name", () => {
    expect(familyOfImage("amazon-eks-node-al2023-x86_64-standard-1.34-v20250301")).toBe("al2023");
    expect(familyOfImage("amazon-eks-node-1.32-v20250301")).toBe("al2");
    expect(familyOfImage("bottlerocket-aws-k8s-1.34-x86_64-v1.32.0-deadbeef")).toBe("bottlerocket");
    expect(familyOfImage("Windows_Server-2022-English-Core-EKS_Optimized-1.34-2025.03.12", "windows")).toBe("windows");
    expect(familyOfImage("my-golden-image")).toBeUndefined();
  });
});

describe("instance-store RAID0 (EC2NodeClass instanceStorePolicy)", () => {
  const m5d: InstanceTypeFacts = { ...m5large, name: "m5d.4xlarge", vcpus: 16, memoryMiB: 65536, maxEnis: 8, ipv4PerEni: 30, instanceStoreGB: 600 };
  const input = { clusterName: "demo", apiServerEndpoint: full.apiServerEndpoint, caBundle: CA, serviceCIDR: "10.96.0.0/16", labels: {}, taints: [], instanceStorePolicy: "RAID0" };

  it("AL2023: capsicum's NodeConfig asks nodeadm for RAID0 and the kubelet's nodefs is the array", async () => {
    const { al2023UserData } = await import("../../../src/cloudprovider/aws/userData");
    const boot = decodeUserData("al2023", al2023UserData(input));
    expect(boot.localStorage).toBe("RAID0");
    expect(kubeletNode(boot, m5d, facts).capacity["ephemeral-storage"]).toBe(`${Math.floor(600e9 / 1024)}Ki`);
    // without RAID0 the root volume is nodefs, instance store or not
    const plain = decodeUserData("al2023", al2023UserData({ ...input, instanceStorePolicy: undefined }));
    expect(plain.localStorage).toBeUndefined();
    expect(kubeletNode(plain, m5d, facts).capacity["ephemeral-storage"]).toBe(`${20 * 2 ** 20}Ki`);
  });

  it("AL2: bootstrap.sh --local-disks raid0", async () => {
    const { al2UserData } = await import("../../../src/cloudprovider/aws/userData");
    const boot = decodeUserData("al2", al2UserData(input));
    expect(boot.localStorage).toBe("RAID0");
    expect(kubeletNode(boot, m5d, facts).capacity["ephemeral-storage"]).toBe(`${Math.floor(600e9 / 1024)}Ki`);
    expect(refusal(() => decodeUserData("al2", "/etc/eks/bootstrap.sh demo --local-disks raid5"))).toMatch(/^bootstrap.sh: --local-disks: unknown mode 'raid5'/);
  });

  it("a user's NodeConfig with localStorage Mount (examples/v1 al2023-custom-userdata) is kept; RAID0 from capsicum's part wins", async () => {
    const { al2023UserData } = await import("../../../src/cloudprovider/aws/userData");
    const user = "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  instance:\n    localStorage:\n      strategy: Mount\n";
    expect(decodeUserData("al2023", al2023UserData({ ...input, instanceStorePolicy: undefined, customUserData: user })).localStorage).toBe("Mount");
    expect(decodeUserData("al2023", al2023UserData({ ...input, customUserData: user })).localStorage).toBe("RAID0");
    expect(refusal(() => decodeUserData("al2023", mime(["application/node.eks.aws", nodeConfig(full, "  instance:\n    localStorage:\n      strategy: RAID5\n")]))))
      .toBe("nodeadm: Command failed: invalid local storage strategy: RAID5");
  });
});

describe("every family's bootstrap meets the same kubelet refusals", () => {
  const restricted = { "karpenter.sh/nodepool": "default", "node-role.kubernetes.io/worker": "true" };
  const input = { clusterName: "demo", apiServerEndpoint: full.apiServerEndpoint, caBundle: CA, serviceCIDR: "10.96.0.0/16", labels: restricted, taints: [] };
  const words = "kubelet: failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/worker]";

  it.each([
    ["al2023", "al2023UserData"],
    ["al2", "al2UserData"],
    ["bottlerocket", "bottlerocketUserData"],
    ["windows", "windowsUserData"],
  ] as const)("%s: a restricted node label from capsicum's user data never starts the kubelet", async (family, writer) => {
    const ud = (await import("../../../src/cloudprovider/aws/userData"))[writer](input);
    const boot = decodeUserData(family, ud);
    expect(refusal(() => kubeletNode(boot, m5large, { ...facts, os: family === "windows" ? "windows" : "linux" })).split("\n")[0]).toBe(words);
    // the same user data without it starts, with the unregistered taint every family registers with
    const ok = decodeUserData(family, (await import("../../../src/cloudprovider/aws/userData"))[writer]({ ...input, labels: { "karpenter.sh/nodepool": "default" } }));
    expect(kubeletNode(ok, m5large, facts).taints).toEqual([{ key: "karpenter.sh/unregistered", effect: "NoExecute" }]);
  });

  it("Bottlerocket without the cluster certificate, AL2 without a cluster name: refused in their own words", () => {
    const noCa = decodeUserData("bottlerocket", "[settings.kubernetes]\ncluster-name = 'demo'\napi-server = 'https://127.0.0.1:6443'\n");
    expect(refusal(() => validateClusterDetails(noCa))).toBe("bottlerocket: kubelet.service: missing required setting settings.kubernetes.cluster-certificate");
    expect(refusal(() => decodeUserData("al2", "#!/bin/bash\n/etc/eks/bootstrap.sh --apiserver-endpoint https://127.0.0.1:6443\n"))).toBe("bootstrap.sh: CLUSTER_NAME is not specified");
    expect(refusal(() => decodeUserData("windows", "<powershell>\n& $EKSBootstrapScriptFile -APIServerEndpoint 'https://x'\n</powershell>"))).toBe(
      "Start-EKSBootstrap.ps1: EKSClusterName is a required parameter",
    );
  });
});

describe("Bottlerocket RAID0", () => {
  it("capsicum's TOML binds the instance-store array to the kubelet's directories; the node's nodefs is the array", async () => {
    const { bottlerocketUserData } = await import("../../../src/cloudprovider/aws/userData");
    const input = { clusterName: "demo", apiServerEndpoint: full.apiServerEndpoint, caBundle: CA, labels: {}, taints: [] };
    const m5d: InstanceTypeFacts = { ...m5large, name: "m5d.4xlarge", instanceStoreGB: 600 };
    const raid = decodeUserData("bottlerocket", bottlerocketUserData({ ...input, instanceStorePolicy: "RAID0" }));
    expect(raid.localStorage).toBe("RAID0");
    expect(kubeletNode(raid, m5d, facts).capacity["ephemeral-storage"]).toBe(`${Math.floor(600e9 / 1024)}Ki`);
    expect(decodeUserData("bottlerocket", bottlerocketUserData(input)).localStorage).toBeUndefined();
    expect(parseToml('a = [["x", "y,z"], ["w"]]')).toEqual({ a: [["x", "y,z"], ["w"]] });
  });
});

describe("a Custom family's own bootstrap line (examples/v1 custom-family.yaml)", () => {
  it("bootstrap.sh takes --kubelet-extra-args=... as getopt does, and leaves endpoint/CA to DescribeCluster", () => {
    const ud = mime(["text/x-shellscript; charset=\"us-ascii\"", "#!/bin/bash\necho hi\n/etc/eks/bootstrap.sh demo --kubelet-extra-args='--node-labels=foo=bar'"]);
    expect(sniffFamily(ud)).toBe("al2");
    const boot = decodeUserData("al2", ud);
    expect(boot.cluster).toEqual({ name: "demo" });
    expect(boot.describesClusterWhenMissing).toBe(true);
    const n = kubeletNode(boot, m5large, facts);
    expect(n.labels.foo).toBe("bar");
    expect(n.taints).toEqual([]);
  });
});
