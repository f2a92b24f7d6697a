import { DEFAULTED_ANNOTATION, PolicyError, constrainedKeys, defaultPod, parsePodDefaultsConfigMap } from "../../../policies/podDefaults";

const policy = parsePodDefaultsConfigMap({
  defaultCpuRequest: "100m",
  defaultMemoryRequest: "128Mi",
  nodeRequirements: "- key: kubernetes.io/arch\n  operator: In\n  values: [amd64]\n- key: karpenter.sh/capacity-type\n  operator: In\n  values: [spot, on-demand]\n",
});

const pod = (spec: any = {}, namespace = "apps"): any => ({
  metadata: { name: "p", namespace },
  spec: { containers: [{ name: "app", image: "nginx" }], ...spec },
});

describe("pod defaulting", () => {
  it("sets cpu/memory requests on containers without them and records it in an annotation", () => {
    const { patchedPod, changes } = defaultPod(pod(), policy);
    expect(patchedPod.spec.containers[0].resources.requests).toEqual({ cpu: "100m", memory: "128Mi" });
    expect(changes).toContain("containers[app].resources.requests.cpu=100m");
    expect(patchedPod.metadata.annotations[DEFAULTED_ANNOTATION]).toContain("requests.memory=128Mi");
  });

  it("never overrides existing requests, and leaves resources with a limit to the apiserver", () => {
    const p = pod({ containers: [{ name: "a", resources: { requests: { cpu: "2" }, limits: { memory: "1Gi" } } }] });
    const { patchedPod, changes } = defaultPod(p, policy);
    expect(patchedPod.spec.containers[0].resources).toEqual({ requests: { cpu: "2" }, limits: { memory: "1Gi" } });
    expect(changes.some(c => c.includes("requests"))).toBe(false);
  });

  it("adds default node requirements as required node affinity when the pod does not constrain them", () => {
    const { patchedPod } = defaultPod(pod(), policy);
    expect(patchedPod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] }] },
    ]);
  });

  it("keeps a pod's nodeSelector key and affinity term key untouched", () => {
    const p = pod({
      nodeSelector: { "kubernetes.io/arch": "arm64" },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }] },
        { matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a"] }] },
      ] } } },
    });
    const { patchedPod, changes } = defaultPod(p, policy);
    expect(patchedPod.spec.nodeSelector).toEqual({ "kubernetes.io/arch": "arm64" });
    expect(patchedPod.spec.affinity).toEqual(p.spec.affinity);
    expect(changes.every(c => !c.startsWith("nodeAffinity"))).toBe(true);
  });

  it("appends a default to every ORed term when none mentions the key", () => {
    const p = pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchExpressions: [{ key: "a", operator: "Exists" }] }, { matchExpressions: [{ key: "b", operator: "Exists" }] },
    ] } } } });
    const terms = defaultPod(p, policy).patchedPod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    for (const t of terms) expect(t.matchExpressions.map((e: any) => e.key)).toEqual([expect.any(String), "kubernetes.io/arch", "karpenter.sh/capacity-type"]);
  });

  it("is idempotent: a second pass changes nothing", () => {
    const once = defaultPod(pod(), policy).patchedPod;
    const twice = defaultPod(once, policy);
    expect(twice.changes).toEqual([]);
    expect(twice.patchedPod).toEqual(once);
  });

  it("does not mutate its input", () => {
    const p = pod();
    const before = JSON.stringify(p);
    defaultPod(p, policy);
    expect(JSON.stringify(p)).toBe(before);
  });

  it("skips kube-system, the module namespace, excluded and unselected namespaces", () => {
    expect(defaultPod(pod({}, "kube-system"), policy).changes).toEqual([]);
    expect(defaultPod(pod({}, "pepr-system"), policy).changes).toEqual([]);
    const scoped = parsePodDefaultsConfigMap({ defaultCpuRequest: "1", namespaces: "team-a, team-b", excludeNamespaces: "team-b" });
    expect(defaultPod(pod({}, "team-a"), scoped).changes).toHaveLength(1);
    expect(defaultPod(pod({}, "team-b"), scoped).changes).toEqual([]);
    expect(defaultPod(pod({}, "other"), scoped).changes).toEqual([]);
  });

  it("reads constrained keys from nodeSelector and all required terms", () => {
    expect([...constrainedKeys(pod({ nodeSelector: { x: "1" } }))]).toEqual(["x"]);
  });

  it("rejects a malformed policy naming the key and the fix", () => {
    expect(() => parsePodDefaultsConfigMap({ defaultCpuRequest: "lots" })).toThrow(/data.defaultCpuRequest: invalid quantity "lots"; use e.g. 100m/);
    expect(() => parsePodDefaultsConfigMap({ nodeRequirements: "- key: a\n  operator: Gt\n  values: ['1']" })).toThrow(PolicyError);
    expect(() => parsePodDefaultsConfigMap({ nodeRequirements: "- key: a\n  operator: In" })).toThrow(/needs at least one value/);
  });
});
