import { parse } from "yaml";
import { al2023UserData, customParts, nodeConfigYaml } from "../../../src/cloudprovider/aws/userData";

const base = { clusterName: "demo", apiServerEndpoint: "https://abc.eks.amazonaws.com", caBundle: "Q0E=", serviceCIDR: "10.100.0.0/16", labels: {}, taints: [] };

function nodeConfigOf(doc: string): any {
  const part = doc.split("--//").find(p => p.includes("application/node.eks.aws"))!;
  return parse(part.split(/\n\n/).slice(1).join("\n\n"));
}

describe("AL2023 nodeadm user data", () => {
  test("is a MIME multi-part document whose NodeConfig names the cluster, endpoint and CA", () => {
    const doc = al2023UserData(base);
    expect(doc.startsWith('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="//"\n')).toBe(true);
    expect(doc.trimEnd().endsWith("--//--")).toBe(true);
    const nc = nodeConfigOf(doc);
    expect(nc).toMatchObject({ apiVersion: "node.eks.aws/v1alpha1", kind: "NodeConfig", spec: { cluster: { name: "demo", apiServerEndpoint: "https://abc.eks.amazonaws.com", certificateAuthority: "Q0E=", cidr: "10.100.0.0/16" } } });
  });

  test("labels become sorted --node-labels; taints + startupTaints + karpenter.sh/unregistered go into registerWithTaints", () => {
    const nc = nodeConfigOf(al2023UserData({
      ...base, maxPods: 29,
      labels: { "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": "spot" },
      taints: [{ key: "gpu", value: "true", effect: "NoSchedule" }, { key: "cilium.io/agent-not-ready", effect: "NoExecute" }],
      kubelet: { clusterDNS: ["10.100.0.10"], evictionHard: { "memory.available": "5%" } },
    }));
    expect(nc.spec.kubelet.flags).toEqual(["--node-labels=karpenter.sh/capacity-type=spot,karpenter.sh/nodepool=default"]);
    expect(nc.spec.kubelet.config).toEqual({
      maxPods: 29, clusterDNS: ["10.100.0.10"], evictionHard: { "memory.available": "5%" },
      registerWithTaints: [
        { key: "gpu", value: "true", effect: "NoSchedule" },
        { key: "cilium.io/agent-not-ready", effect: "NoExecute" },
        { key: "karpenter.sh/unregistered", effect: "NoExecute" },
      ],
    });
  });

  test("a node with no NodeClaim taints still registers with karpenter.sh/unregistered:NoExecute, once", () => {
    expect(nodeConfigOf(al2023UserData(base)).spec.kubelet.config.registerWithTaints).toEqual([{ key: "karpenter.sh/unregistered", effect: "NoExecute" }]);
    const twice = nodeConfigOf(al2023UserData({ ...base, taints: [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }] }));
    expect(twice.spec.kubelet.config.registerWithTaints).toHaveLength(1);
  });

  test("kubelet.maxPods from the nodeclass wins over the instance type's ENI-based value", () => {
    expect(nodeConfigOf(al2023UserData({ ...base, maxPods: 29, kubelet: { maxPods: 110 } })).spec.kubelet.config.maxPods).toBe(110);
  });

  test("a user shell script is kept as its own part before capsicum's NodeConfig", () => {
    const doc = al2023UserData({ ...base, customUserData: "#!/bin/bash\necho hi" });
    const script = doc.indexOf("text/x-shellscript"), config = doc.indexOf("application/node.eks.aws");
    expect(script).toBeGreaterThan(0);
    expect(script).toBeLessThan(config);
    expect(doc).toContain("echo hi");
  });

  test("a user MIME document is split into its parts", () => {
    const user = 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"\n\n--BOUNDARY\nContent-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n    config:\n      shutdownGracePeriod: 30s\n\n--BOUNDARY--\n';
    const parts = customParts(user);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.contentType).toBe("application/node.eks.aws");
    expect(parts[0]!.body).toContain("shutdownGracePeriod: 30s");
  });

  test("a missing cluster endpoint is an error naming the setting", () => {
    expect(() => nodeConfigYaml({ ...base, apiServerEndpoint: "" })).toThrow(/CLUSTER_ENDPOINT/);
  });

  test("the same input always produces the same bytes (launch template names hash it)", () => {
    const o = { ...base, labels: { b: "2", a: "1" }, taints: [] };
    expect(al2023UserData(o)).toBe(al2023UserData({ ...o, labels: { a: "1", b: "2" } }));
  });
});
