// Admission through the real apiserver: the module's webhooks are registered by the artefact's pods and called by
// kube-apiserver exactly as in a cluster; every assertion reads what `kubectl apply` prints.
import { join } from "node:path";
import { INVALID_CASES } from "../unit/policies/invalidCases";
import { startE2E, cleanup, E2EEnv, kubectl, kubectlResult, getJSON, root, waitFor } from "./support";

let e2e: E2EEnv;
const NS = "admission-e2e";

const plural = { NodePool: "nodepool", EC2NodeClass: "ec2nodeclass", NodeClaim: "nodeclaim" } as const;

/** Field paths as the apiserver prints them: `limits[memory]` → `limits.memory`. */
const apiserverPath = (p: string) => p.replace(/\[([^\]0-9][^\]]*)\]/g, ".$1");

beforeAll(async () => {
  e2e = await startE2E();
  kubectl(["create", "namespace", NS]);
}, 300000);

afterAll(async () => {
  try {
    await cleanup(NS, ["default"]);
  } finally {
    await e2e?.stop();
  }
}, 300000);

test("the Karpenter v1 getting-started NodePool and EC2NodeClass apply and read back with defaults", () => {
  const res = kubectlResult(["apply", "-f", join(root, "examples/nodepool.yaml"), "-f", join(root, "examples/ec2nodeclass.yaml")]);
  expect(res.out).not.toMatch(/denied/);
  expect(res.ok).toBe(true);
  const np = getJSON(["get", "nodepool", "default"]);
  expect(np.spec.template.spec.expireAfter).toBeDefined();
  expect(np.spec.disruption.budgets).toEqual([{ nodes: "10%" }]);
  const nc = getJSON(["get", "ec2nodeclass", "default"]);
  expect(nc.spec.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
  expect(kubectl(["get", "nodepools"]).split("\n")[0]).toMatch(/NAME\s+NODECLASS\s+NODES\s+READY\s+AGE/);
});

test("a NodePool whose EC2NodeClass does not exist yet is admitted with a warning (Git sync order)", () => {
  const doc = getJSON(["get", "nodepool", "default"]);
  const np = { apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "early" }, spec: { ...doc.spec, template: { ...doc.spec.template, spec: { ...doc.spec.template.spec, nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "not-yet" } } } } };
  const res = kubectlResult(["apply", "-f", "-"], JSON.stringify(np));
  expect(res.ok).toBe(true);
  expect(res.out).toMatch(/Warning: .*not-yet/);
  kubectl(["delete", "nodepool", "early"]);
});

describe("Karpenter-invalid documents are rejected; capsicum-only findings are admitted with a warning", () => {
  // Each case gets a unique name so cases never interact.
  test.each(INVALID_CASES.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => {
    const name = `invalid-${i}`;
    const withName = (d: any) => ({ ...d, metadata: { ...(d.metadata ?? {}), name } }); // eslint-disable-line @typescript-eslint/no-explicit-any
    if (c.old) {
      const created = kubectlResult(["apply", "-f", "-"], JSON.stringify(withName(c.old)));
      expect(created).toMatchObject({ ok: true });
    }
    const res = kubectlResult(["apply", "-f", "-"], JSON.stringify(withName(c.doc)));
    kubectlResult(["delete", plural[c.kind], name, "--ignore-not-found", "--wait=false"]);
    if (c.layer === "webhook") {
      // Default admission mode: Karpenter's CRDs accept it, so capsicum never blocks it; kubectl prints the finding.
      expect(res.out).not.toContain("denied the request");
      expect(res.ok).toBe(true);
      expect(res.out).toContain("Warning: ");
      expect(res.out).toContain(c.message);
      expect(res.out).toContain(c.path);
    } else {
      expect(res.ok).toBe(false);
      // Rejected by the CRD schema/CEL before the webhook is called: the apiserver names the field, or for a
      // rule declared on a list (Karpenter's requirement rules), the list.
      const listPath = c.path.replace(/\[\d+\](\.[^.[\]]+)?$/, "");
      const named = [c.path, apiserverPath(c.path), listPath].some(p => res.out.includes(`${p}:`) || res.out.includes(`${p}[`));
      expect({ named, out: res.out }).toMatchObject({ named: true });
    }
  });
});

describe("pod defaulting", () => {
  beforeAll(() => {
    kubectl(["apply", "-f", "-"], JSON.stringify({
      apiVersion: "v1", kind: "ConfigMap", metadata: { name: "capsicum-pod-defaults", namespace: NS },
      data: {
        namespaces: NS, defaultCpuRequest: "100m", defaultMemoryRequest: "128Mi",
        nodeRequirements: "- key: kubernetes.io/arch\n  operator: In\n  values: [amd64]\n",
      },
    }));
  });

  const pod = (name: string, spec: Record<string, unknown> = {}) => JSON.stringify({
    apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS },
    spec: { containers: [{ name: "c", image: "registry.k8s.io/pause:3.10" }], ...spec },
  });

  test("a pod without requests gets them, plus the default arch requirement, and an annotation saying so", async () => {
    // The policy ConfigMap is read through a short cache: retry until it is seen.
    const got = await waitFor("defaulted pod", async () => {
      kubectlResult(["delete", "pod", "bare", "-n", NS, "--ignore-not-found", "--grace-period=0", "--force"]);
      kubectl(["apply", "-f", "-"], pod("bare"));
      const p = getJSON(["get", "pod", "bare", "-n", NS]);
      return p.metadata.annotations?.["capsicum.dev/defaulted"] ? p : undefined;
    }, 60000);
    expect(got.spec.containers[0].resources.requests).toEqual({ cpu: "100m", memory: "128Mi" });
    const terms = got.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms[0].matchExpressions).toContainEqual({ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] });
  });

  test("a pod with its own nodeSelector and requests keeps them", () => {
    kubectl(["apply", "-f", "-"], pod("own", {
      nodeSelector: { "kubernetes.io/arch": "arm64" },
      containers: [{ name: "c", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "2", memory: "1Gi" } } }],
    }));
    const p = getJSON(["get", "pod", "own", "-n", NS]);
    expect(p.spec.nodeSelector).toEqual({ "kubernetes.io/arch": "arm64" });
    expect(p.spec.containers[0].resources.requests).toEqual({ cpu: "2", memory: "1Gi" });
    expect(p.spec.affinity?.nodeAffinity).toBeUndefined();
  });
});

describe("v1alpha5 YAML applies unchanged", () => {
  const legacy = `apiVersion: karpenter.k8s.aws/v1alpha1
kind: AWSNodeTemplate
metadata:
  name: legacy
spec:
  subnetSelector:
    karpenter.sh/discovery: capsicum-sandbox
  securityGroupSelector:
    karpenter.sh/discovery: capsicum-sandbox
  instanceProfile: KarpenterNodeRole-capsicum-sandbox
---
apiVersion: karpenter.sh/v1alpha5
kind: Provisioner
metadata:
  name: legacy
spec:
  requirements:
    - key: karpenter.sh/capacity-type
      operator: In
      values: ["spot"]
  providerRef:
    name: legacy
  ttlSecondsAfterEmpty: 30
`;

  test("a Provisioner + AWSNodeTemplate are admitted with conversion warnings and become an owned NodePool + EC2NodeClass", async () => {
    const res = kubectlResult(["apply", "-f", "-"], legacy);
    expect(res.ok).toBe(true);
    expect(res.out).toMatch(/Warning: .*NodePool legacy/);
    const np = await waitFor("converted NodePool", async () => {
      const r = kubectlResult(["get", "nodepool", "legacy", "-o", "json"]);
      return r.ok ? JSON.parse(r.out) : undefined;
    }, 60000);
    expect(np.metadata.ownerReferences[0]).toMatchObject({ kind: "Provisioner", name: "legacy" });
    expect(np.spec.disruption).toMatchObject({ consolidationPolicy: "WhenEmpty", consolidateAfter: "30s" });
    const nc = await waitFor("converted EC2NodeClass", async () => {
      const r = kubectlResult(["get", "ec2nodeclass", "legacy", "-o", "json"]);
      return r.ok ? JSON.parse(r.out) : undefined;
    }, 60000);
    expect(nc.spec.amiSelectorTerms).toEqual([{ alias: "al2023@latest" }]);
    kubectl(["delete", "provisioner", "legacy"]);
    await waitFor("NodePool garbage-collected with its Provisioner", async () =>
      !kubectlResult(["get", "nodepool", "legacy"]).ok || undefined, 60000);
  });

  test("a Provisioner with kubeletConfiguration is converted with its AWSNodeTemplate, read by the admission pod under its own RBAC", async () => {
    const template = legacy.split("---\n")[0]!.replace("name: legacy\n", "name: legacy-kubelet\n");
    kubectl(["apply", "-f", "-"], template);
    const prov = legacy.split("---\n")[1]!
      .replace("name: legacy\nspec", "name: legacy-kubelet\nspec")
      .replace("    name: legacy\n", "    name: legacy-kubelet\n")
      .replace("ttlSecondsAfterEmpty: 30", "ttlSecondsAfterEmpty: 30\n  kubeletConfiguration:\n    maxPods: 50");
    const res = kubectlResult(["apply", "-f", "-"], prov);
    expect(res.ok).toBe(true);
    // The admission answer previews the per-Provisioner EC2NodeClass; a failed lookup would say "was not found".
    expect(res.out).not.toMatch(/was not found/);
    const nc = await waitFor("converted EC2NodeClass with the kubelet settings", async () => {
      const r = kubectlResult(["get", "ec2nodeclass", "legacy-kubelet-legacy-kubelet", "-o", "json"]);
      return r.ok ? JSON.parse(r.out) : undefined;
    }, 60000);
    expect(nc.spec.kubelet).toMatchObject({ maxPods: 50 });
    kubectl(["delete", "provisioner", "legacy-kubelet"]);
    kubectl(["delete", "awsnodetemplate", "legacy-kubelet"]);
  });

  test("an invalid Provisioner is rejected with the field named", () => {
    const bad = legacy.split("---\n")[1].replace("ttlSecondsAfterEmpty: 30", "ttlSecondsAfterEmpty: 30\n  consolidation:\n    enabled: true");
    const res = kubectlResult(["apply", "-f", "-"], bad.replace("name: legacy\nspec", "name: legacy-bad\nspec"));
    expect(res.ok).toBe(false);
    expect(res.out).toMatch(/consolidation|ttlSecondsAfterEmpty/);
  });
});
