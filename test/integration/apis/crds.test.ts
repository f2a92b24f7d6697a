// The generated CRDs are accepted by a real kube-apiserver (structural schemas, CEL rules compile), and the
// Karpenter v1 getting-started NodePool/EC2NodeClass apply against them and read back with defaults.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { waitFor } from "../../../sandbox/procs";

const root = join(__dirname, "../../..");
const kubectl = (args: string[], input?: string) =>
  execFileSync(process.env.KUBECTL ?? "kubectl", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });

const CRDS = ["nodepools.karpenter.sh", "nodeclaims.karpenter.sh", "ec2nodeclasses.karpenter.k8s.aws", "nodeoverlays.karpenter.sh"];

beforeAll(async () => {
  kubectl(["apply", "--server-side", "-f", join(root, "crds")]);
  for (const crd of CRDS) {
    await waitFor(`${crd} Established`, async () =>
      kubectl(["get", "crd", crd, "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"]) === "True" || undefined, 30000);
  }
}, 60000);

test("every generated CRD is established by the apiserver", () => {
  const names = kubectl(["get", "crd", "-o", "name"]);
  for (const crd of CRDS) expect(names).toContain(crd);
});

test("the getting-started NodePool and EC2NodeClass apply and read back with Karpenter's defaults", () => {
  const np = `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: { name: crd-default-check }
spec:
  template:
    spec:
      requirements:
        - { key: kubernetes.io/arch, operator: In, values: ["amd64"] }
        - { key: karpenter.sh/capacity-type, operator: In, values: ["spot"] }
      nodeClassRef: { group: karpenter.k8s.aws, kind: EC2NodeClass, name: default }
  limits: { cpu: 1000 }
  disruption: { consolidationPolicy: WhenEmptyOrUnderutilized, consolidateAfter: 1m }
`;
  kubectl(["apply", "-f", "-"], np);
  const got = JSON.parse(kubectl(["get", "nodepool", "crd-default-check", "-o", "json"]));
  expect(got.spec.template.spec.expireAfter).toBe("720h");
  expect(got.spec.disruption.budgets).toEqual([{ nodes: "10%" }]);
  const table = kubectl(["get", "nodepools"]);
  expect(table.split("\n")[0]).toMatch(/NAME\s+NODECLASS\s+NODES\s+READY\s+AGE/);
  kubectl(["delete", "nodepool", "crd-default-check"]);
});

test("the apiserver itself enforces Karpenter's CEL rules from the CRD", () => {
  const bad = `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: { name: crd-cel-check }
spec:
  template:
    spec:
      requirements: [{ key: karpenter.sh/nodepool, operator: In, values: ["x"] }]
      nodeClassRef: { group: karpenter.k8s.aws, kind: EC2NodeClass, name: default }
`;
  expect(() => kubectl(["apply", "-f", "-"], bad)).toThrow(/karpenter\.sh\/nodepool/);
});
