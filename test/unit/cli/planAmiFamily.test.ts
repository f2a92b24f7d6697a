// `capsicum plan` plans each NodePool with its EC2NodeClass's AMI family, as the controller does: a Windows
// class offers amd64 types labelled kubernetes.io/os=windows with 110 pods, so Windows pods plan there and Linux
// pods do not.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";

async function plan(yaml: string): Promise<{ code: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const dir = mkdtempSync(join(tmpdir(), "plan-family-"));
  writeFileSync(join(dir, "all.yaml"), yaml);
  let out = "";
  const code = await main(["plan", "-f", dir, "-o", "json"], s => { out += s + "\n"; }, () => undefined);
  return { code, json: JSON.parse(out) };
}

const classAndPool = (name: string, alias: string, os: string) => `
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: { name: ${name} }
spec:
  role: KarpenterNodeRole-demo
  amiSelectorTerms: [{ alias: "${alias}" }]
  subnetSelectorTerms: [{ tags: { karpenter.sh/discovery: demo } }]
  securityGroupSelectorTerms: [{ tags: { karpenter.sh/discovery: demo } }]
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: { name: ${name} }
spec:
  template:
    spec:
      nodeClassRef: { group: karpenter.k8s.aws, kind: EC2NodeClass, name: ${name} }
      requirements:
        - { key: kubernetes.io/os, operator: In, values: ["${os}"] }
        - { key: node.kubernetes.io/instance-type, operator: In, values: ["m5.large", "m6g.large"] }
        - { key: karpenter.sh/capacity-type, operator: In, values: ["on-demand"] }
---
`;
const pod = (name: string, os: string) => `
apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: default }
spec:
  nodeSelector: { kubernetes.io/os: ${os} }
  containers: [{ name: c, image: pause, resources: { requests: { cpu: 100m } } }]
---
`;

describe("capsicum plan per AMI family", () => {
  it("Windows pods plan on the Windows pool's amd64 types, Linux pods on the Linux pool", async () => {
    const { code, json } = await plan(classAndPool("win", "windows2022@latest", "windows") + classAndPool("lin", "al2023@latest", "linux") + pod("w", "windows") + pod("l", "linux"));
    expect(code).toBe(0);
    const byPod = Object.fromEntries(json.nodeClaims.flatMap((c: { nodePool: string; pods: string[] }) => c.pods.map(p => [p, c])));
    expect(byPod["default/w"].nodePool).toBe("win");
    expect(byPod["default/w"].instanceTypeOptions).toEqual(["m5.large"]); // m6g (arm64) runs no Windows
    expect(byPod["default/l"].nodePool).toBe("lin");
    expect(json.unschedulable).toEqual([]);
  });

  it("a Windows class alone leaves a Linux pod unschedulable", async () => {
    const { json } = await plan(classAndPool("win", "windows2022@latest", "windows") + pod("l", "linux"));
    expect(json.nodeClaims).toEqual([]);
    expect(json.unschedulable.map((u: { pod: string }) => u.pod)).toEqual(["default/l"]);
  });
});
