// MIN_VALUES_POLICY end to end in the controller and `capsicum plan` (Karpenter's --min-values-policy): the setting
// reaches the provisioner and disruption's simulation; with BestEffort a NodeClaim whose options cannot meet a
// minValues is created with the lowered minValues and `karpenter.sh/nodeclaim-min-values-relaxed: "true"` (every
// planned NodeClaim carries the annotation, "false" when nothing was relaxed, and the created-NodeClaims metric its
// value); Strict creates none; an invalid value is refused naming the setting.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";
import { Kinds, KubeObject } from "../../../src/kube/client";
import { loadSettings } from "../../../src/settings";
import { miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

const FAMILY = "karpenter.k8s.aws/instance-family";
const RELAXED = "karpenter.sh/nodeclaim-min-values-relaxed";
const familyPool = (minValues: number) =>
  nodePool("default", {}, {
    requirements: [
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
      { key: FAMILY, operator: "In", values: ["m5", "c5", "r5"], minValues },
    ],
  });
const m5Pod = (name: string): KubeObject => {
  const p = pendingPod(name);
  p.spec.nodeSelector = { [FAMILY]: "m5" };
  return p;
};
async function cluster(settings: Record<string, string>, minValues: number) {
  return miniCluster({
    settings,
    seed: async (c) => {
      await c.create(Kinds.EC2NodeClass, nodeClass());
      await c.create(Kinds.NodePool, familyPool(minValues));
    },
  });
}
const familyReq = (nc: KubeObject) => nc.spec.requirements.find((r: { key: string }) => r.key === FAMILY);

describe("MIN_VALUES_POLICY setting", () => {
  it("defaults to Strict, takes BestEffort, and names the setting for anything else", () => {
    const base = { CLUSTER_NAME: "c", AWS_REGION: "us-east-1" };
    expect(loadSettings(base).minValuesPolicy).toBe("Strict");
    expect(loadSettings({ ...base, MIN_VALUES_POLICY: "BestEffort" }).minValuesPolicy).toBe("BestEffort");
    expect(loadSettings({ ...base, MIN_VALUES_POLICY: "Strict" }).minValuesPolicy).toBe("Strict");
    expect(() => loadSettings({ ...base, MIN_VALUES_POLICY: "besteffort" })).toThrow(
      /MIN_VALUES_POLICY="besteffort" must be Strict or BestEffort/,
    );
    expect(() => loadSettings({ ...base, MIN_VALUES_POLICY: "Relaxed" })).toThrow(/MIN_VALUES_POLICY="Relaxed"/);
  });
});

describe("MIN_VALUES_POLICY in the running controller", () => {
  it("BestEffort: the NodeClaim is created with minValues lowered and annotated relaxed", async () => {
    const mc = await cluster({ MIN_VALUES_POLICY: "BestEffort" }, 3);
    await mc.client.create(Kinds.Pod, m5Pod("web"));
    await mc.tick(1_500);
    const claims = mc.client.objects(Kinds.NodeClaim);
    expect(claims).toHaveLength(1);
    expect(claims[0]!.metadata.annotations?.[RELAXED]).toBe("true");
    expect(familyReq(claims[0]!)).toEqual({ key: FAMILY, operator: "In", values: ["m5"], minValues: 1 });
    const metric = await mc.controllers.metrics.registry.getSingleMetricAsString("karpenter_nodeclaims_created_total");
    expect(metric).toMatch(/min_values_relaxed="true"/);
    // Disruption's replacement simulation builds its input through the provisioner: the same policy.
    const { input } = await mc.controllers.provisioner.schedulingInput([]);
    expect(input.options?.minValuesPolicy).toBe("BestEffort");
  });

  it("Strict: no NodeClaim, the pod is reported with the minValues it cannot meet", async () => {
    const mc = await cluster({}, 3);
    await mc.client.create(Kinds.Pod, m5Pod("web"));
    await mc.tick(1_500);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(0);
    const ev = mc.client.events.find((e) => e.reason === "FailedScheduling");
    expect(ev?.message).toMatch(/minValues 3 on karpenter.k8s.aws\/instance-family/);
  });

  it("a NodeClaim whose minValues hold is annotated false, with minValues as written", async () => {
    const mc = await cluster({ MIN_VALUES_POLICY: "BestEffort" }, 2);
    await mc.client.create(Kinds.Pod, pendingPod("web"));
    await mc.tick(1_500);
    const [nc] = mc.client.objects(Kinds.NodeClaim);
    expect(nc!.metadata.annotations?.[RELAXED]).toBe("false");
    expect(familyReq(nc!).minValues).toBe(2);
  });
});

describe("capsicum plan --min-values-policy", () => {
  const dir = mkdtempSync(join(tmpdir(), "capsicum-plan-minvalues-"));
  writeFileSync(
    join(dir, "all.yaml"),
    `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: { name: default }
spec:
  role: KarpenterNodeRole-demo
  amiSelectorTerms: [{ alias: al2023@latest }]
  subnetSelectorTerms: [{ tags: { karpenter.sh/discovery: demo } }]
  securityGroupSelectorTerms: [{ tags: { karpenter.sh/discovery: demo } }]
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: { name: default }
spec:
  template:
    spec:
      nodeClassRef: { group: karpenter.k8s.aws, kind: EC2NodeClass, name: default }
      requirements:
        - { key: ${FAMILY}, operator: In, values: [m5, c5, r5], minValues: 3 }
---
apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  nodeSelector: { ${FAMILY}: m5 }
  containers: [{ name: c, image: nginx, resources: { requests: { cpu: 500m } } }]
`,
  );
  async function plan(...args: string[]) {
    let out = "",
      err = "";
    const code = await main(["plan", "-f", dir, "-o", "json", ...args], (s) => void (out += s), (s) => void (err += s));
    return { code, out, err };
  }

  it("plans as the controller: Strict by default, BestEffort relaxes and says so", async () => {
    const strict = await plan();
    expect(strict.code).toBe(3);
    expect(JSON.parse(strict.out).unschedulable[0].reason).toMatch(/minValues 3/);
    const relaxed = await plan("--min-values-policy", "BestEffort");
    expect(relaxed.code).toBe(0);
    expect(JSON.parse(relaxed.out).nodeClaims[0].minValuesRelaxed).toBe(true);
  });

  it("reads MIN_VALUES_POLICY like the controller, and refuses a bad value naming the flag", async () => {
    process.env.MIN_VALUES_POLICY = "BestEffort";
    try {
      expect((await plan()).code).toBe(0);
    } finally {
      delete process.env.MIN_VALUES_POLICY;
    }
    const bad = await plan("--min-values-policy", "Loose");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--min-values-policy="Loose" must be Strict or BestEffort/);
  });
});
