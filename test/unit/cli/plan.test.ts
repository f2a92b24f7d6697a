import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";

const examples = join(__dirname, "../../../examples");
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, s => { out += s + "\n"; }, s => { err += s + "\n"; });
  return { code, out, err };
}

describe("capsicum plan", () => {
  it("plans the getting-started examples onto spot c/m/r instances of generation > 2 fitting all 10 inflate pods", async () => {
    const { code, out, err } = await cli(["plan", "-f", examples, "-o", "json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(out);
    expect(Object.keys(plan).sort()).toEqual(["existingNodes", "nodeClaims", "totalPricePerHour", "unschedulable"]);
    expect(plan.unschedulable).toEqual([]);
    expect(plan.nodeClaims.flatMap((c: { pods: string[] }) => c.pods).sort()).toHaveLength(10);
    for (const c of plan.nodeClaims) {
      expect(c.capacityType).toBe("spot");
      expect(Object.keys(c).sort()).toEqual(["capacityType", "instanceType", "instanceTypeOptions", "name", "nodePool", "pods", "pricePerHour", "requests", "zone"].sort());
      expect(c.instanceType).toBe(c.instanceTypeOptions[0]);
      for (const t of c.instanceTypeOptions) expect(t).toMatch(/^(c|m|r)([3-9]|[1-9][0-9])[a-z-]*\./);
      expect(c.requests).toEqual({ cpu: `${c.pods.length * 500}m`.replace(/^(\d+)000m$/, "$1"), memory: "0", pods: String(c.pods.length) });
    }
    expect(plan.totalPricePerHour).toBeGreaterThan(0);
    expect(err).toMatch(/estimate/);
  });
  it("table output names types, prices and the spot estimate", async () => {
    const { code, out } = await cli(["plan", "-f", examples]);
    expect(code).toBe(0);
    expect(out).toMatch(/NODECLAIM/);
    expect(out).toMatch(/Total: \$/);
    expect(out).toMatch(/offline estimates/);
  });
  it("unknown command prints usage", async () => {
    const { code, err } = await cli(["frobnicate"]);
    expect(code).toBe(2);
    expect(err).toMatch(/unknown command "frobnicate"[\s\S]*usage: capsicum/);
  });
  it("missing files are reported with the path", async () => {
    await expect(cli(["plan", "-f", "/nonexistent/x.yaml"])).rejects.toThrow(/\/nonexistent\/x.yaml: no such file/);
  });
  it("unsupported output format is rejected with the fix", async () => {
    const { code, err } = await cli(["plan", "-f", examples, "-o", "yaml"]);
    expect(code).toBe(2);
    expect(err).toMatch(/use -o json or -o table/);
  });
});

describe("capsicum plan inputs", () => {
  function dir(files: Record<string, string>): string {
    const d = mkdtempSync(join(tmpdir(), "capsicum-plan-"));
    for (const [n, c] of Object.entries(files)) writeFileSync(join(d, n), c);
    return d;
  }
  const nodePool = `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: small}
      requirements:
        - {key: kubernetes.io/arch, operator: In, values: [amd64]}
`;
  it("EC2NodeClass kubelet.maxPods limits pods per NodeClaim", async () => {
    const d = dir({
      "np.yaml": nodePool,
      "nc.yaml": "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: small}\nspec:\n  kubelet: {maxPods: 3}\n",
      "deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 9\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: x, resources: {requests: {cpu: 10m}}}]\n",
    });
    const { code, out } = await cli(["plan", "-f", d, "-o", "json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(out);
    expect(plan.nodeClaims.length).toBeGreaterThanOrEqual(3);
    for (const c of plan.nodeClaims) expect(Number(c.requests.pods)).toBeLessThanOrEqual(3);
    expect(plan.nodeClaims.flatMap((c: { pods: string[] }) => c.pods)).toContain("shop/web-0");
  });
  it("existing Nodes with bound pods are used first and DaemonSets add overhead", async () => {
    const d = dir({
      "all.yaml": `${nodePool}---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {kubernetes.io/arch: amd64, topology.kubernetes.io/zone: us-east-1a}}
status: {allocatable: {cpu: "2", memory: 4Gi, pods: "20"}}
---
apiVersion: v1
kind: Pod
metadata: {name: bound, namespace: default}
spec: {nodeName: n1, containers: [{name: c, resources: {requests: {cpu: 1500m}}}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec: {template: {spec: {containers: [{name: a, resources: {requests: {cpu: 250m}}}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec: {parallelism: 2, template: {spec: {containers: [{name: c, resources: {requests: {cpu: 400m}}}]}}}
`,
    });
    const { out } = await cli(["plan", "-f", d, "-o", "json"]);
    const plan = JSON.parse(out);
    expect(plan.existingNodes).toEqual([{ name: "n1", pods: ["default/batch-0"] }]);
    expect(plan.nodeClaims).toHaveLength(1);
    expect(plan.nodeClaims[0].pods).toEqual(["default/batch-1"]);
    expect(plan.nodeClaims[0].requests.cpu).toBe("650m");
  });
});
