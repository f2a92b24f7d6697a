// Each AMI family's user data carries what its bootstrap needs to join (cluster, endpoint, CA, labels, the
// unregistered taint, kubelet settings) and keeps the user's spec.userData; aliases resolve per family.
import { al2UserData, amiFamilyOf, bottlerocketUserData, userDataFor, windowsUserData } from "../../../src/cloudprovider/aws/userData";
import { aliasParameters } from "../../../src/cloudprovider/aws/selectors";
import { defaultBlockDevices } from "../../../src/cloudprovider/aws/launchTemplates";

const o = {
  clusterName: "demo", apiServerEndpoint: "https://abc.eks.amazonaws.com", caBundle: "Q0E=", serviceCIDR: "10.100.0.0/16",
  labels: { "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": "spot" },
  taints: [{ key: "gpu", value: "true", effect: "NoSchedule" }], maxPods: 29,
  kubelet: { clusterDNS: ["10.100.0.10"], kubeReserved: { cpu: "100m" } },
};

describe("AMI families", () => {
  test("family from spec.amiFamily, else the alias, else AL2023", () => {
    expect(amiFamilyOf({ amiSelectorTerms: [{ alias: "bottlerocket@latest" }] })).toBe("Bottlerocket");
    expect(amiFamilyOf({ amiFamily: "AL2", amiSelectorTerms: [{}] })).toBe("AL2");
    expect(amiFamilyOf({ amiSelectorTerms: [{ alias: "windows2022@latest" }] })).toBe("Windows2022");
    expect(amiFamilyOf({})).toBe("AL2023");
  });

  test("AL2 runs bootstrap.sh with cluster, endpoint, CA and kubelet args; user parts come first", () => {
    const doc = al2UserData({ ...o, customUserData: "#!/bin/bash\necho mine" });
    expect(doc.indexOf("echo mine")).toBeLessThan(doc.indexOf("/etc/eks/bootstrap.sh"));
    expect(doc).toContain("/etc/eks/bootstrap.sh 'demo' --apiserver-endpoint 'https://abc.eks.amazonaws.com' --b64-cluster-ca 'Q0E=' --service-ipv4-cidr '10.100.0.0/16' --dns-cluster-ip '10.100.0.10' --use-max-pods false");
    expect(doc).toContain("--kubelet-extra-args '--node-labels=karpenter.sh/capacity-type=spot,karpenter.sh/nodepool=default --register-with-taints=gpu=true:NoSchedule,karpenter.sh/unregistered:NoExecute --max-pods=29 --kube-reserved=cpu=100m'");
  });

  test("Bottlerocket is TOML with settings.kubernetes; the user's settings merge, ours win", () => {
    const user = '[settings.kubernetes]\nmax-pods = 5\nimage-gc-high-threshold-percent = 85\n\n[settings.host-containers.admin]\nenabled = true\n';
    const toml = bottlerocketUserData({ ...o, customUserData: user });
    expect(toml).toMatch(/^\[settings\.kubernetes\]\ncluster-name = "demo"\napi-server = "https:\/\/abc\.eks\.amazonaws\.com"\ncluster-certificate = "Q0E="\nmax-pods = 29\ncluster-dns-ip = "10.100.0.10"\nimage-gc-high-threshold-percent = 85\n/);
    expect(toml.match(/^\[settings\.kubernetes\]$/gm)).toHaveLength(1);
    expect(toml).not.toContain("max-pods = 5");
    expect(toml).toContain('[settings.kubernetes.node-labels]\n"karpenter.sh/capacity-type" = "spot"\n"karpenter.sh/nodepool" = "default"');
    expect(toml).toContain('[settings.kubernetes.node-taints]\n"gpu" = ["true:NoSchedule"]\n"karpenter.sh/unregistered" = [":NoExecute"]');
    expect(toml).toContain("[settings.host-containers.admin]\nenabled = true");
  });

  test("Windows is one <powershell> block: the user's script, then Start-EKSBootstrap.ps1 with the cluster and kubelet args", () => {
    const ps = windowsUserData({ ...o, customUserData: "<powershell>Write-Host mine</powershell>" });
    expect(ps.match(/<powershell>/g)).toHaveLength(1);
    expect(ps.indexOf("Write-Host mine")).toBeLessThan(ps.indexOf("Start-EKSBootstrap.ps1"));
    expect(ps).toContain("& $EKSBootstrapScriptFile -EKSClusterName 'demo' -APIServerEndpoint 'https://abc.eks.amazonaws.com' -Base64ClusterCA 'Q0E=' -ServiceCIDR '10.100.0.0/16' -DNSClusterIP '10.100.0.10' -KubeletExtraArgs '--node-labels=karpenter.sh/capacity-type=spot,karpenter.sh/nodepool=default --register-with-taints=gpu=true:NoSchedule,karpenter.sh/unregistered:NoExecute --max-pods=29");
  });

  test("Custom AMIs get only the user's user data; AL2023 stays nodeadm", () => {
    expect(userDataFor("Custom", { ...o, customUserData: "#!/bin/bash\necho custom" })).toBe("#!/bin/bash\necho custom");
    expect(userDataFor("AL2023", o)).toContain("application/node.eks.aws");
  });

  test("aliases resolve through each family's SSM parameters for the cluster's version", () => {
    expect(aliasParameters("al2@latest", "1.31").map(p => p.name)).toEqual([
      "/aws/service/eks/optimized-ami/1.31/amazon-linux-2/recommended/image_id",
      "/aws/service/eks/optimized-ami/1.31/amazon-linux-2-arm64/recommended/image_id",
    ]);
    expect(aliasParameters("al2@v20240807", "1.30")[0]!.name).toBe("/aws/service/eks/optimized-ami/1.30/amazon-linux-2/amazon-eks-node-1.30-v20240807/image_id");
    expect(aliasParameters("bottlerocket@v1.32.0", "1.31").map(p => [p.name, p.arch])).toEqual([
      ["/aws/service/bottlerocket/aws-k8s-1.31/x86_64/1.32.0/image_id", "amd64"],
      ["/aws/service/bottlerocket/aws-k8s-1.31/arm64/1.32.0/image_id", "arm64"],
    ]);
    expect(aliasParameters("windows2022@latest", "1.31")).toEqual([{ name: "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id", arch: "amd64" }]);
    expect(() => aliasParameters("windows2019@v1", "1.31")).toThrow(/only support the "latest"/);
    expect(() => aliasParameters("ubuntu@latest", "1.31")).toThrow(/unknown family "ubuntu"/);
  });

  test("default block devices per family", () => {
    expect(defaultBlockDevices("Bottlerocket").map(b => [b.deviceName, b.ebs!.volumeSize])).toEqual([["/dev/xvda", "4Gi"], ["/dev/xvdb", "20Gi"]]);
    expect(defaultBlockDevices("Windows2022")[0]).toMatchObject({ deviceName: "/dev/sda1", ebs: { volumeSize: "50Gi" } });
    expect(defaultBlockDevices("AL2")[0]).toMatchObject({ deviceName: "/dev/xvda", ebs: { volumeSize: "20Gi" } });
  });
});

describe("catalog per AMI family", () => {
  test("a Windows NodeClass offers amd64 types labelled kubernetes.io/os=windows with the windows-build", async () => {
    const { forAmiFamily, loadCatalog } = await import("../../../src/cloudprovider/aws/catalog");
    const base = loadCatalog();
    const win = forAmiFamily(base, "Windows2022");
    expect(win.length).toBeGreaterThan(100);
    expect(win.every(t => t.labels["kubernetes.io/arch"] === "amd64" && t.labels["kubernetes.io/os"] === "windows" && t.labels["node.kubernetes.io/windows-build"] === "10.0.20348")).toBe(true);
    expect(forAmiFamily(base, "Bottlerocket")).toBe(base);
    expect(base.find(t => t.name === "m5.large")!.labels["kubernetes.io/os"]).toBe("linux");
  });
});
