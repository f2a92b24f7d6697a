// Modelled on Karpenter v1.14's scheduling suite ("Pending Pods by Effective Zone Metric"): each pending pod's
// effective zone is the intersection of its required zones, its volumes' zones and the zones its own zonal
// topology constraints allow when the solve starts: a zone name, "flexible" (several) or "none".
import type { Pod, PodSpec, SchedulingInput } from "../../../src/scheduling/types";
import type { StorageClass, VolumeSources } from "../../../src/scheduling/volumes";
import { node, nodePool, pod, run, ZONE } from "./helpers";

const labels = { app: "web" };
const pending = (o: Parameters<typeof pod>[0] = {}): Pod => ({ ...pod(o), status: { phase: "Pending" } } as Pod);
const running = (o: Parameters<typeof pod>[0] = {}): Pod => ({ ...pod({ labels, ...o }), status: { phase: "Running" } } as Pod);
const inZone = (zone: string, podsOn: Pod[]) => node(`n-${zone}-${Math.random().toString(36).slice(2, 7)}`, { [ZONE]: zone }, { cpu: "8", memory: "32Gi", pods: "110" }, podsOn);
const zones = (input: Partial<SchedulingInput> & { pods: Pod[] }) => run(input).pendingPodsByEffectiveZone;
const spread = [{ topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: labels }, maxSkew: 1 }];

function claimIn(scZones: string[]): { volumes: VolumeSources; spec: Partial<PodSpec> } {
  const sc: StorageClass = {
    metadata: { name: "zonal" },
    provisioner: "ebs.csi.aws.com",
    volumeBindingMode: "WaitForFirstConsumer",
    allowedTopologies: [{ matchLabelExpressions: [{ key: ZONE, values: scZones }] }],
  };
  return {
    volumes: {
      claims: new Map([["default/data", { metadata: { name: "data", namespace: "default", annotations: {} }, spec: { storageClassName: "zonal" } }]]),
      volumes: new Map(),
      storageClasses: new Map([["zonal", sc]]),
      csiNodes: new Map(),
    },
    spec: { volumes: [{ name: "v", persistentVolumeClaim: { claimName: "data" } }] } as Partial<PodSpec>,
  };
}

describe("pending pods by effective zone", () => {
  it("pods without zone constraints are flexible", () => {
    expect(zones({ pods: [pending(), pending()] })).toEqual({ flexible: 2 });
  });

  it("a zone nodeSelector pins the pod to that zone; different selectors count apart", () => {
    expect(zones({ pods: [pending({ nodeSelector: { [ZONE]: "us-east-1b" } }), pending({ nodeSelector: { [ZONE]: "us-east-1c" } })] })).toEqual({
      "us-east-1b": 1,
      "us-east-1c": 1,
    });
  });

  it("a preferred zone is not a constraint: flexible", () => {
    const affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1a"] }] } }] } };
    expect(zones({ pods: [pending({ affinity } as Partial<PodSpec>)] })).toEqual({ flexible: 1 });
  });

  it.each([
    [["us-east-1a", "us-east-1b"], undefined, "flexible"],
    [["us-east-1a"], undefined, "us-east-1a"],
    [["us-east-1b"], "us-east-1a", "none"],
  ])("a claim whose StorageClass allows %j (nodeSelector %s) is %s", (scZones, selected, expected) => {
    const { volumes, spec } = claimIn(scZones);
    const p = pending({ ...spec, ...(selected ? { nodeSelector: { [ZONE]: selected } } : {}) });
    expect(zones({ pods: [p], volumes })).toEqual({ [expected]: 1 });
  });

  it("required pod affinity to a pod in one zone pins the pending pod there", () => {
    const p = pending({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: labels } }] } } } as Partial<PodSpec>);
    expect(zones({ pods: [p], existingNodes: [inZone("us-east-1a", [running()])] })).toEqual({ "us-east-1a": 1 });
  });

  it("a zonal spread over nodes that already fill other zones leaves the remaining zone", () => {
    const np = { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a", "us-east-1b", "us-east-1c"] }] };
    const existing = ["us-east-1a", "us-east-1b"].map((z) => inZone(z, [running({ topologySpreadConstraints: spread } as never)]));
    const p = pending({ labels, topologySpreadConstraints: spread } as Parameters<typeof pod>[0]);
    expect(zones({ pods: [p], existingNodes: existing, nodePools: [nodePool("default", np as never)] })).toEqual({ "us-east-1c": 1 });
  });

  it("a required anti-affinity no zone can satisfy is none", () => {
    const np = { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a", "us-east-1b"] }] };
    const existing = ["us-east-1a", "us-east-1b"].map((z) => inZone(z, [running()]));
    const p = pending({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: labels } }] } } } as Partial<PodSpec>);
    expect(zones({ pods: [p], existingNodes: existing, nodePools: [nodePool("default", np as never)] })).toEqual({ none: 1 });
  });

  it("counts only pending pods (a draining node's running pods are not pending)", () => {
    expect(zones({ pods: [pending(), { ...running(), metadata: { name: "moving", namespace: "default", labels: {} } }] })).toEqual({ flexible: 1 });
  });
});
