// NodePool status conditions as Karpenter v1 writes them: Ready = ValidationSucceeded ∧ NodeClassReady, so
// `kubectl get nodepools` shows READY and Argo CD health can follow it.
import { ClusterState } from "../../../src/kube/clusterState";
import { nodePoolConditions } from "../../../src/provisioning/nodePoolCounter";
import { nodeClass, nodePool } from "../lifecycle/fakes";

const NOW = Date.parse("2025-06-01T00:00:00Z");
const status = (conds: Array<{ type: string; status: string; reason?: string; message?: string }>, type: string) => conds.find(c => c.type === type);

function stateWith(...objs: Array<["NodePool" | "EC2NodeClass", ReturnType<typeof nodePool>]>): ClusterState {
  const s = new ClusterState();
  for (const [kind, o] of objs) s.apply(kind, o, "ADDED");
  return s;
}

test("a valid NodePool whose EC2NodeClass is Ready is Ready", () => {
  const np = nodePool();
  const c = nodePoolConditions(np, stateWith(["EC2NodeClass", nodeClass()], ["NodePool", np]), NOW);
  expect(status(c, "ValidationSucceeded")?.status).toBe("True");
  expect(status(c, "NodeClassReady")?.status).toBe("True");
  expect(status(c, "Ready")?.status).toBe("True");
});

test("a missing EC2NodeClass makes the NodePool not Ready with NodeClassNotFound", () => {
  const np = nodePool();
  const c = nodePoolConditions(np, stateWith(["NodePool", np]), NOW);
  expect(status(c, "NodeClassReady")).toMatchObject({ status: "False", reason: "NodeClassNotFound" });
  // Argo CD's NodePool health shows only Ready's message: it names the missing class, after Karpenter's words.
  expect(status(c, "Ready")).toMatchObject({ status: "False", message: `NodeClassReady=False: EC2NodeClass ${np.spec.template.spec.nodeClassRef.name} not found` });
});

test("a node class that is not Ready is reflected with its reason", () => {
  const nc = nodeClass();
  nc.status.conditions = [{ type: "Ready", status: "False", reason: "SubnetsNotFound", message: "no subnet matches tag karpenter.sh/discovery=demo", lastTransitionTime: "2025-01-01T00:00:00Z" }];
  const np = nodePool();
  const c = nodePoolConditions(np, stateWith(["EC2NodeClass", nc], ["NodePool", np]), NOW);
  expect(status(c, "NodeClassReady")).toMatchObject({ status: "False", reason: "NodeClassSubnetsNotFound", message: expect.stringContaining("karpenter.sh/discovery=demo") });
  expect(status(c, "Ready")).toMatchObject({ status: "False", message: expect.stringMatching(/^NodeClassReady=False: .*karpenter\.sh\/discovery=demo/) });
});

test("requirements the engine cannot use fail ValidationSucceeded with the field named", () => {
  const np = nodePool("default", {}, { requirements: [{ key: "karpenter.k8s.aws/instance-cpu", operator: "Gt", values: ["many"] }] });
  const c = nodePoolConditions(np, stateWith(["EC2NodeClass", nodeClass()], ["NodePool", np]), NOW);
  expect(status(c, "ValidationSucceeded")).toMatchObject({ status: "False", reason: "NodePoolValidationFailed", message: expect.stringContaining("spec.template.spec.requirements") });
  expect(status(c, "Ready")?.status).toBe("False");
});

test("recomputing unchanged conditions keeps their transition times (no status churn)", () => {
  const np = nodePool();
  const s = stateWith(["EC2NodeClass", nodeClass()], ["NodePool", np]);
  const first = nodePoolConditions(np, s, NOW);
  const again = nodePoolConditions({ ...np, status: { conditions: first } }, s, NOW + 60_000);
  expect(again).toEqual(first);
});

test("requirements no instance type of the catalog satisfies make the NodePool not Ready with that message", () => {
  const { loadCatalog } = require("../../../src/cloudprovider/aws/catalog"); // eslint-disable-line @typescript-eslint/no-require-imports
  const catalog = loadCatalog({ region: "us-east-1" });
  const np = nodePool();
  np.spec.template.spec.requirements = [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["us-west-2a"] }];
  const state = stateWith(["EC2NodeClass", nodeClass()], ["NodePool", np]);
  const c = nodePoolConditions(np, state, NOW, catalog);
  expect(status(c, "ValidationSucceeded")).toMatchObject({ status: "False", reason: "NodePoolValidationFailed" });
  expect(status(c, "ValidationSucceeded")?.message).toMatch(/no instance type satisfies/);
  expect(status(c, "Ready")).toMatchObject({ status: "False" });
  expect(status(c, "Ready")?.message).toMatch(/us-west-2a|zone/);
  // the same pool against a catalog that has the zone is Ready (recomputed per catalog)
  const fine = nodePoolConditions(nodePool(), state, NOW, catalog);
  expect(status(fine, "Ready")?.status).toBe("True");
});

test("the verdict follows the catalog: offerings gone then back (new catalog arrays) flip Ready, the same catalog keeps it", () => {
  const { loadCatalog } = require("../../../src/cloudprovider/aws/catalog"); // eslint-disable-line @typescript-eslint/no-require-imports
  const catalog = loadCatalog({ region: "us-east-1" }) as Array<{ offerings: Array<{ available: boolean }> }>;
  const np = nodePool();
  np.spec.template.spec.requirements = [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }];
  const state = stateWith(["EC2NodeClass", nodeClass()], ["NodePool", np]);
  const ready = (cat: unknown) => status(nodePoolConditions(np, state, NOW, cat as never), "Ready")?.status;
  expect(ready(catalog)).toBe("True");
  // m5.large's offerings all insufficient: the provider hands out a new array with them unavailable
  const iced = catalog.map((t) => ((t as unknown as { name: string }).name === "m5.large" ? { ...t, offerings: t.offerings.map((o) => ({ ...o, available: false })) } : t));
  expect(ready(iced)).toBe("False");
  expect(ready(iced)).toBe("False");
  expect(ready(catalog)).toBe("True");
  // another pool's requirements against the same catalog are their own verdict
  np.spec.template.spec.requirements = [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["no-such.type"] }];
  expect(ready(catalog)).toBe("False");
});
