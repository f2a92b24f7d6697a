// v1alpha5 admission: Karpenter v0.32's webhook rules deny with field paths; valid seed-era YAML is approved
// with the conversion's warnings.
import { formatDenial, validateAWSNodeTemplate, validateProvisioner } from "../../../policies/validate";

const prov = (spec: Record<string, unknown>) => ({ apiVersion: "karpenter.sh/v1alpha5", kind: "Provisioner", metadata: { name: "default" }, spec });
const disc = { "karpenter.sh/discovery": "demo" };
const paths = (r: { errors: Array<{ path: string }> }) => r.errors.map(e => e.path);

describe("validateProvisioner", () => {
  it("approves a seed-era Provisioner with the conversion summary first", () => {
    const r = validateProvisioner(prov({ providerRef: { name: "default" }, ttlSecondsAfterEmpty: 30, requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }] }));
    expect(r.allowed).toBe(true);
    expect(r.warnings[0]).toBe("converted to NodePool default");
  });

  it.each([
    ["ttlSecondsAfterEmpty with consolidation.enabled", { providerRef: { name: "d" }, ttlSecondsAfterEmpty: 30, consolidation: { enabled: true } }, "spec", /expected exactly one, got both: consolidation\.enabled, ttlSecondsAfterEmpty/],
    ["provider with providerRef", { providerRef: { name: "d" }, provider: { subnetSelector: disc, securityGroupSelector: disc } }, "spec", /got both: provider, providerRef/],
    ["negative ttlSecondsUntilExpired", { providerRef: { name: "d" }, ttlSecondsUntilExpired: -1 }, "spec.ttlSecondsUntilExpired", /cannot be negative/],
    ["weight above 100", { providerRef: { name: "d" }, weight: 101 }, "spec.weight", /less than or equal to 100/],
    ["Gte operator (v1 only)", { providerRef: { name: "d" }, requirements: [{ key: "karpenter.k8s.aws/instance-cpu", operator: "Gte", values: ["4"] }] }, "spec.requirements[0].operator", /Gte\/Lte exist only in karpenter\.sh\/v1/],
    ["In without values", { providerRef: { name: "d" }, requirements: [{ key: "kubernetes.io/arch", operator: "In" }] }, "spec.requirements[0].values", /must have a value defined/],
    ["Gt with a non-integer", { providerRef: { name: "d" }, requirements: [{ key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["x"] }] }, "spec.requirements[0].values", /single positive integer/],
    ["provisioner-name requirement", { providerRef: { name: "d" }, requirements: [{ key: "karpenter.sh/provisioner-name", operator: "In", values: ["a"] }] }, "spec.requirements[0].key", /restricted/],
    ["restricted label", { providerRef: { name: "d" }, labels: { "karpenter.sh/foo": "x" } }, "spec.labels[karpenter.sh/foo]", /label domain "karpenter\.sh" is restricted/],
    ["duplicate taint", { providerRef: { name: "d" }, taints: [{ key: "a", effect: "NoSchedule" }], startupTaints: [{ key: "a", effect: "NoSchedule" }] }, "spec.startupTaints[0]", /duplicate taint Key\/Effect pair a=NoSchedule/],
    ["bad eviction signal", { providerRef: { name: "d" }, kubeletConfiguration: { evictionHard: { "memory.free": "5%" } } }, "spec.kubeletConfiguration.evictionHard[memory.free]", /invalid key name/],
    ["evictionSoft without grace period", { providerRef: { name: "d" }, kubeletConfiguration: { evictionSoft: { "memory.available": "500Mi" } } }, "spec.kubeletConfiguration.evictionSoft[memory.available]", /matching evictionSoftGracePeriod/],
    ["inline provider without subnetSelector", { provider: { securityGroupSelector: disc } }, "spec.provider.subnetSelector", /Required value/],
  ])("denies %s at the field", (_name, spec, path, message) => {
    const r = validateProvisioner(prov(spec as Record<string, unknown>));
    expect(r.allowed).toBe(false);
    expect(paths(r)).toContain(path);
    expect(formatDenial(r.errors)).toMatch(message);
  });

  it("approves (Karpenter did) but warns when no node class is referenced", () => {
    const r = validateProvisioner(prov({}));
    expect(r.allowed).toBe(true);
    expect(r.warnings[0]).toMatch(/^not converted to a NodePool: spec\.providerRef/);
  });
});

describe("validateAWSNodeTemplate", () => {
  const tmpl = (spec: Record<string, unknown>) => ({ apiVersion: "karpenter.k8s.aws/v1alpha1", kind: "AWSNodeTemplate", metadata: { name: "default" }, spec });

  it("approves with the AL2 -> al2023 warning", () => {
    const r = validateAWSNodeTemplate(tmpl({ subnetSelector: disc, securityGroupSelector: disc, amiFamily: "AL2" }), { defaultInstanceProfile: "p" });
    expect(r.allowed).toBe(true);
    expect(r.warnings[0]).toBe("converted to EC2NodeClass default");
    expect(r.warnings.join("\n")).toMatch(/amiFamily: AL2 mapped to amiSelectorTerms \[\{alias: al2023@latest\}\]/);
  });

  it.each([
    ["missing subnetSelector", { securityGroupSelector: disc }, "spec.subnetSelector", /Required value/],
    ["missing securityGroupSelector", { subnetSelector: disc }, "spec.securityGroupSelector", /Required value/],
    ["empty selector value", { subnetSelector: { team: "" }, securityGroupSelector: disc }, "spec.subnetSelector['team']", /may not be empty/],
    ["unknown amiFamily", { subnetSelector: disc, securityGroupSelector: disc, amiFamily: "AL3" }, "spec.amiFamily", /did you mean "AL2"/],
    ["launchTemplate with securityGroupSelector", { subnetSelector: disc, securityGroupSelector: disc, launchTemplate: "lt" }, "spec", /got both: launchTemplate, securityGroupSelector/],
    ["bad httpTokens", { subnetSelector: disc, securityGroupSelector: disc, metadataOptions: { httpTokens: "maybe" } }, "spec.metadataOptions.httpTokens", /required, optional/],
    ["restricted tag", { subnetSelector: disc, securityGroupSelector: disc, tags: { "kubernetes.io/cluster/demo": "owned" } }, "spec.tags[kubernetes.io/cluster/demo]", /restricted/],
    ["block device without size", { subnetSelector: disc, securityGroupSelector: disc, blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeType: "gp3" } }] }, "spec.blockDeviceMappings[0].ebs.volumeSize", /volumeSize .* or snapshotID/],
  ])("denies %s at the field", (_name, spec, path, message) => {
    const r = validateAWSNodeTemplate(tmpl(spec as Record<string, unknown>));
    expect(r.allowed).toBe(false);
    expect(paths(r)).toContain(path);
    expect(formatDenial(r.errors)).toMatch(message);
  });
});
