// v1alpha5 -> v1 conversion rules (Karpenter's migration facts plus capsicum's AMI mapping), and that every
// converted seed-article object passes capsicum's own v1 admission.
import { validateEC2NodeClass, validateNodePool } from "../../../policies/validate";
import { awsNodeTemplateToEC2NodeClass, provisionerToNodePool, secondsToDuration } from "../../../src/migration";

const prov = (spec: Record<string, unknown>, name = "default") => ({ apiVersion: "karpenter.sh/v1alpha5", kind: "Provisioner", metadata: { name }, spec });
const tmpl = (spec: Record<string, unknown>, name = "default") => ({ apiVersion: "karpenter.k8s.aws/v1alpha1", kind: "AWSNodeTemplate", metadata: { name }, spec });
const disc = { "karpenter.sh/discovery": "demo" };
const ctx = { defaultInstanceProfile: "KarpenterNodeInstanceProfile-demo" };

describe("durations", () => {
  it.each([[0, "0s"], [30, "30s"], [300, "5m"], [5400, "1h30m"], [2592000, "720h"], [3661, "1h1m1s"]])("%d seconds is %s", (s, d) => {
    expect(secondsToDuration(s)).toBe(d);
  });
});

describe("provisionerToNodePool", () => {
  it("maps ttlSecondsAfterEmpty to WhenEmpty with consolidateAfter", () => {
    const r = provisionerToNodePool(prov({ providerRef: { name: "default" }, ttlSecondsAfterEmpty: 30 }));
    expect(r.nodePool!.spec.disruption).toEqual({ consolidationPolicy: "WhenEmpty", consolidateAfter: "30s" });
  });

  it("maps consolidation.enabled to WhenEmptyOrUnderutilized with consolidateAfter 0s", () => {
    const r = provisionerToNodePool(prov({ providerRef: { name: "default" }, consolidation: { enabled: true } }));
    expect(r.nodePool!.spec.disruption).toEqual({ consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "0s" });
  });

  it("keeps 'never deprovision' when neither is set, and warns", () => {
    const r = provisionerToNodePool(prov({ providerRef: { name: "default" }, consolidation: { enabled: false } }));
    expect(r.nodePool!.spec.disruption).toEqual({ consolidationPolicy: "WhenEmpty", consolidateAfter: "Never" });
    expect(r.warnings.join("\n")).toMatch(/consolidateAfter: Never/);
  });

  it("maps ttlSecondsUntilExpired to expireAfter, and unset to Never with a warning", () => {
    expect(provisionerToNodePool(prov({ providerRef: { name: "d" }, ttlSecondsUntilExpired: 2592000 })).nodePool!.spec.template.spec.expireAfter).toBe("720h");
    const r = provisionerToNodePool(prov({ providerRef: { name: "d" } }));
    expect(r.nodePool!.spec.template.spec.expireAfter).toBe("Never");
    expect(r.warnings.some(w => w.startsWith("spec.ttlSecondsUntilExpired"))).toBe(true);
  });

  it("maps providerRef, labels, annotations, taints, startupTaints, limits and weight", () => {
    const r = provisionerToNodePool(prov({
      providerRef: { name: "tmpl" }, labels: { team: "a" }, annotations: { "example.com/owner": "a" },
      taints: [{ key: "type", value: "arm", effect: "NoSchedule" }], startupTaints: [{ key: "init", effect: "NoSchedule" }],
      limits: { resources: { cpu: "1000", memory: "1000Gi" } }, weight: 10,
    }));
    const np = r.nodePool!;
    expect(np.metadata).toEqual({ name: "default", labels: { "capsicum.dev/converted-from": "provisioner.default" } });
    expect(np.spec.template.spec.nodeClassRef).toEqual({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "tmpl" });
    expect(np.spec.template.metadata).toEqual({ labels: { team: "a" }, annotations: { "example.com/owner": "a" } });
    expect(np.spec.template.spec.taints).toEqual([{ key: "type", value: "arm", effect: "NoSchedule" }]);
    expect(np.spec.template.spec.startupTaints).toEqual([{ key: "init", effect: "NoSchedule" }]);
    expect(np.spec.limits).toEqual({ cpu: "1000", memory: "1000Gi" });
    expect(np.spec.weight).toBe(10);
    expect(r.nodeClass).toBeUndefined();
  });

  it("adds the requirements Karpenter's v1alpha5 webhook defaulted, only for unconstrained keys", () => {
    const r = provisionerToNodePool(prov({ providerRef: { name: "d" }, requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["arm64"] }, { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["t4g"] }] }));
    expect(r.nodePool!.spec.template.spec.requirements).toEqual([
      { key: "kubernetes.io/arch", operator: "In", values: ["arm64"] },
      { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["t4g"] },
      { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
    ]);
    expect(r.warnings.join("\n")).toMatch(/webhook defaulted.*kubernetes\.io\/os In \[linux\]; karpenter\.sh\/capacity-type In \[on-demand\]/);
  });

  it("rewrites deprecated label keys and warns", () => {
    const r = provisionerToNodePool(prov({ providerRef: { name: "d" }, requirements: [{ key: "failure-domain.beta.kubernetes.io/zone", operator: "In", values: ["eu-west-3a"] }] }));
    expect(r.nodePool!.spec.template.spec.requirements[0]!.key).toBe("topology.kubernetes.io/zone");
    expect(r.warnings.join("\n")).toMatch(/deprecated failure-domain\.beta\.kubernetes\.io\/zone/);
  });

  it("turns an inline provider into <provisioner>-provider EC2NodeClass carrying the kubelet settings", () => {
    const r = provisionerToNodePool(prov({
      provider: { subnetSelector: disc, securityGroupSelector: disc, instanceProfile: "prof" },
      kubeletConfiguration: { maxPods: 20, containerRuntime: "dockerd", systemReserved: { cpu: "100m", memory: 100 } },
    }, "web"), undefined, ctx);
    expect(r.nodePool!.spec.template.spec.nodeClassRef.name).toBe("web-provider");
    expect(r.nodeClass!.metadata.name).toBe("web-provider");
    expect(r.nodeClass!.spec.kubelet).toEqual({ maxPods: 20, systemReserved: { cpu: "100m", memory: "100" } });
    expect(r.nodeClass!.spec.instanceProfile).toBe("prof");
    expect(r.warnings.join("\n")).toMatch(/containerRuntime: dropped \(dockerd\)/);
  });

  it("copies a referenced AWSNodeTemplate into a per-Provisioner EC2NodeClass when kubeletConfiguration is set", () => {
    const t = tmpl({ subnetSelector: disc, securityGroupSelector: disc, instanceProfile: "prof" }, "shared");
    const r = provisionerToNodePool(prov({ providerRef: { name: "shared" }, kubeletConfiguration: { clusterDNS: ["10.0.1.100"] } }, "gpu"), t);
    expect(r.nodePool!.spec.template.spec.nodeClassRef.name).toBe("shared-gpu");
    expect(r.nodeClass!.spec.kubelet).toEqual({ clusterDNS: ["10.0.1.100"] });
    expect(r.nodeClass!.spec.subnetSelectorTerms).toEqual([{ tags: disc }]);
    const missing = provisionerToNodePool(prov({ providerRef: { name: "shared" }, kubeletConfiguration: { maxPods: 10 } }, "gpu"));
    expect(missing.nodePool).toBeUndefined();
    expect(missing.errors.join()).toMatch(/AWSNodeTemplate shared is needed/);
  });

  it("refuses a Provisioner with no provider or providerRef, naming the field", () => {
    const r = provisionerToNodePool(prov({}));
    expect(r.nodePool).toBeUndefined();
    expect(r.errors[0]).toMatch(/^spec\.providerRef: .*add providerRef/);
  });

  it("is deterministic", () => {
    const p = prov({ providerRef: { name: "d" }, labels: { b: "1", a: "2" }, ttlSecondsAfterEmpty: 60 });
    expect(JSON.stringify(provisionerToNodePool(p))).toBe(JSON.stringify(provisionerToNodePool(structuredClone(p))));
  });
});

describe("awsNodeTemplateToEC2NodeClass", () => {
  it("maps selector maps to tag terms and aws-ids to one id term each", () => {
    const r = awsNodeTemplateToEC2NodeClass(tmpl({ subnetSelector: { "aws-ids": "subnet-1, subnet-2" }, securityGroupSelector: disc }), ctx);
    expect(r.object!.spec.subnetSelectorTerms).toEqual([{ id: "subnet-1" }, { id: "subnet-2" }]);
    expect(r.object!.spec.securityGroupSelectorTerms).toEqual([{ tags: disc }]);
  });

  it("drops tags mixed with aws-ids (v1 terms cannot combine them) and warns", () => {
    const r = awsNodeTemplateToEC2NodeClass(tmpl({ subnetSelector: disc, securityGroupSelector: { "aws::ids": "sg-1", Name: "x" } }), ctx);
    expect(r.object!.spec.securityGroupSelectorTerms).toEqual([{ id: "sg-1" }]);
    expect(r.warnings.join("\n")).toMatch(/securityGroupSelector: v1 terms cannot combine an id with tags.*\(Name\)/);
  });

  it("maps AL2 and unset amiFamily to al2023@latest and says so", () => {
    for (const amiFamily of ["AL2", undefined]) {
      const r = awsNodeTemplateToEC2NodeClass(tmpl({ subnetSelector: disc, securityGroupSelector: disc, amiFamily }), ctx);
      expect(r.object!.spec.amiSelectorTerms).toEqual([{ alias: "al2023@latest" }]);
      expect(r.object!.spec.amiFamily).toBeUndefined();
      expect(r.warnings.join("\n")).toMatch(/mapped to amiSelectorTerms \[\{alias: al2023@latest\}\]: capsicum resolves only al2023 aliases/);
    }
    const al2023 = awsNodeTemplateToEC2NodeClass(tmpl({ subnetSelector: disc, securityGroupSelector: disc, amiFamily: "AL2023" }), ctx);
    expect(al2023.warnings.join("\n")).not.toMatch(/amiFamily/);
  });

  it("expands amiSelector names x owners with the tag filter, keeping the family", () => {
    const r = awsNodeTemplateToEC2NodeClass(tmpl({ subnetSelector: disc, securityGroupSelector: disc, amiFamily: "AL2023", amiSelector: { "aws::name": "a,b", "aws::owners": "self", team: "x" } }), ctx);
    expect(r.object!.spec.amiFamily).toBe("AL2023");
    expect(r.object!.spec.amiSelectorTerms).toEqual([{ name: "a", owner: "self", tags: { team: "x" } }, { name: "b", owner: "self", tags: { team: "x" } }]);
  });

  it("uses instanceProfile, else the cluster default with a warning, else refuses naming the setting", () => {
    const base = { subnetSelector: disc, securityGroupSelector: disc };
    expect(awsNodeTemplateToEC2NodeClass(tmpl({ ...base, instanceProfile: "p" })).object!.spec.instanceProfile).toBe("p");
    const d = awsNodeTemplateToEC2NodeClass(tmpl(base), ctx);
    expect(d.object!.spec.instanceProfile).toBe(ctx.defaultInstanceProfile);
    expect(d.object!.spec.role).toBeUndefined();
    expect(d.warnings.join("\n")).toMatch(/cluster default instance profile/);
    const none = awsNodeTemplateToEC2NodeClass(tmpl(base));
    expect(none.object).toBeUndefined();
    expect(none.errors[0]).toMatch(/^spec\.instanceProfile: .*DEFAULT_INSTANCE_PROFILE/);
  });

  it("keeps v1alpha1's effective metadata options (hop limit 2 by default)", () => {
    const r = awsNodeTemplateToEC2NodeClass(tmpl({ subnetSelector: disc, securityGroupSelector: disc }), ctx);
    expect(r.object!.spec.metadataOptions).toEqual({ httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 2, httpTokens: "required" });
  });

  it("refuses launchTemplate and Windows, naming the field", () => {
    expect(awsNodeTemplateToEC2NodeClass(tmpl({ subnetSelector: disc, launchTemplate: "lt" }), ctx).errors[0]).toMatch(/^spec\.launchTemplate:/);
    expect(awsNodeTemplateToEC2NodeClass(tmpl({ subnetSelector: disc, securityGroupSelector: disc, amiFamily: "Windows2022" }), ctx).errors[0]).toMatch(/^spec\.amiFamily: Windows2022/);
  });

  it("normalises volume sizes and drops reserved tags", () => {
    const r = awsNodeTemplateToEC2NodeClass(tmpl({ subnetSelector: disc, securityGroupSelector: disc, tags: { team: "a", "karpenter.sh/provisioner-name": "x" },
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: "100Gi", volumeType: "gp3" } }, { deviceName: "/dev/xvdb", ebs: { volumeSize: "500M" } }] }), ctx);
    expect(r.object!.spec.tags).toEqual({ team: "a" });
    expect(r.object!.spec.blockDeviceMappings!.map(b => b.ebs?.volumeSize)).toEqual(["100Gi", "1Gi"]);
    expect(r.warnings.join("\n")).toMatch(/tags\[karpenter\.sh\/provisioner-name\]: dropped/);
  });
});

describe("seed-article objects (002: spot default + arm provisioner)", () => {
  const template = tmpl({ subnetSelector: { karpenter: "*" }, securityGroupSelector: { karpenter: "*" }, tags: { karpenter: "true" } });
  const spot = prov({ requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }], providerRef: { name: "default" }, ttlSecondsAfterEmpty: 30 });
  const arm = prov({
    requirements: [
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
      { key: "kubernetes.io/arch", operator: "In", values: ["arm64"] },
      { key: "topology.kubernetes.io/zone", operator: "In", values: ["eu-west-3a"] },
      { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["t4g"] },
    ],
    taints: [{ key: "type", value: "arm", effect: "NoSchedule" }], labels: { type: "arm" },
    providerRef: { name: "default" }, ttlSecondsAfterEmpty: 30, ttlSecondsUntilExpired: 300,
  }, "arm");

  it("convert into v1 objects that capsicum's v1 admission accepts", () => {
    const nc = awsNodeTemplateToEC2NodeClass(template, ctx);
    expect(validateEC2NodeClass(nc.object).errors).toEqual([]);
    for (const p of [spot, arm]) {
      const r = provisionerToNodePool(p);
      expect(r.errors).toEqual([]);
      expect(validateNodePool(r.nodePool).errors).toEqual([]);
    }
    const a = provisionerToNodePool(arm).nodePool!;
    expect(a.spec.disruption).toEqual({ consolidationPolicy: "WhenEmpty", consolidateAfter: "30s" });
    expect(a.spec.template.spec.expireAfter).toBe("5m");
    expect(a.spec.template.metadata?.labels).toEqual({ type: "arm" });
  });
});
