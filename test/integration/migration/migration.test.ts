// v1alpha5 against the real apiserver: the generated Provisioner/AWSNodeTemplate CRDs are established and enforce
// their rules, seed-era YAML applies unchanged, and the reconciler (with the kfc KubeClient) produces the owned
// NodePool/EC2NodeClass — which the v1 CRDs accept and garbage collection removes with the Provisioner.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { waitFor } from "../../../sandbox/procs";
import { Kinds } from "../../../src/kube/client";
import { ApiKubeClient } from "../../../src/kube/apiClient";
import { V1alpha5Kinds, reconcileAWSNodeTemplate, reconcileProvisioner } from "../../../src/migration";

const root = join(__dirname, "../../..");
const kubectl = (args: string[], input?: string) =>
  execFileSync(process.env.KUBECTL ?? "kubectl", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
const CRDS = ["provisioners.karpenter.sh", "awsnodetemplates.karpenter.k8s.aws", "nodepools.karpenter.sh", "ec2nodeclasses.karpenter.k8s.aws"];
const client = new ApiKubeClient();
const deps = { client, ctx: { defaultInstanceProfile: "KarpenterNodeInstanceProfile-it" } };
const id = Date.now().toString(36);
const tName = `it-tmpl-${id}`, pName = `it-prov-${id}`;

beforeAll(async () => {
  kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(root, "crds")]);
  for (const crd of CRDS) {
    await waitFor(`${crd} Established`, async () =>
      kubectl(["get", "crd", crd, "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"]) === "True" || undefined, 30000);
  }
}, 60000);

afterAll(() => {
  kubectl(["delete", "provisioner", pName, "--ignore-not-found"]);
  kubectl(["delete", "awsnodetemplate", tName, "--ignore-not-found"]);
});

test("seed-era AWSNodeTemplate and Provisioner apply unchanged and convert to owned v1 objects", async () => {
  kubectl(["apply", "-f", "-"], `apiVersion: karpenter.k8s.aws/v1alpha1
kind: AWSNodeTemplate
metadata:
  name: ${tName}
spec:
  subnetSelector:
    karpenter.sh/discovery: it
  securityGroupSelector:
    karpenter.sh/discovery: it
  tags:
    karpenter.sh/discovery: it
---
apiVersion: karpenter.sh/v1alpha5
kind: Provisioner
metadata:
  name: ${pName}
spec:
  requirements:
    - key: karpenter.sh/capacity-type
      operator: In
      values: ["spot"]
  providerRef:
    name: ${tName}
  ttlSecondsAfterEmpty: 30
`);
  const t = (await client.get(V1alpha5Kinds.AWSNodeTemplate, tName))!;
  const p = (await client.get(V1alpha5Kinds.Provisioner, pName))!;
  expect((await reconcileAWSNodeTemplate(deps, t)).errors).toEqual([]);
  const r = await reconcileProvisioner(deps, p);
  expect(r.errors).toEqual([]);
  expect(r.written).toEqual([`NodePool/${pName}`]);

  const np = (await client.get(Kinds.NodePool, pName))!;
  expect(np.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "Provisioner", name: pName, uid: p.metadata.uid, controller: true })]);
  expect(np.metadata.labels?.["capsicum.dev/converted-from"]).toBe(`provisioner.${pName}`);
  expect(np.spec.disruption).toMatchObject({ consolidationPolicy: "WhenEmpty", consolidateAfter: "30s", budgets: [{ nodes: "10%" }] });
  const nc = (await client.get(Kinds.EC2NodeClass, tName))!;
  expect(nc.metadata.ownerReferences?.[0]).toMatchObject({ kind: "AWSNodeTemplate", uid: t.metadata.uid });
  expect(nc.spec.amiSelectorTerms).toEqual([{ alias: "al2023@latest" }]);

  const stored = (await client.get(V1alpha5Kinds.Provisioner, pName))!;
  expect(stored.status.conditions.find((c: any) => c.type === "Converted")).toMatchObject({ status: "True", reason: "Converted" });
  expect((await reconcileProvisioner(deps, stored)).written).toEqual([]); // idempotent against the real apiserver defaults

  kubectl(["delete", "provisioner", pName]);
  await waitFor("NodePool garbage-collected with its Provisioner", async () => ((await client.get(Kinds.NodePool, pName)) ? undefined : true), 30000);
}, 60000);

test("the apiserver enforces the v1alpha5 rules from the CRD", () => {
  const bad = `apiVersion: karpenter.sh/v1alpha5
kind: Provisioner
metadata: { name: it-bad-${id} }
spec:
  providerRef: { name: x }
  ttlSecondsAfterEmpty: 30
  consolidation: { enabled: true }
`;
  expect(() => kubectl(["apply", "-f", "-"], bad)).toThrow(/expected exactly one, got both: consolidation\.enabled, ttlSecondsAfterEmpty/);
});
