// Volume topology and attach limits in the solve, modelled on Karpenter v1.14's provisioning suite ("Volume Topology
// Requirements") and scheduling suite ("VolumeUsage"): a pod's bound PV pins the NodeClaim to the PV's zone, an
// unbound claim's StorageClass allowedTopologies restrict it, invalid claims make the pod ignored (the others still
// schedule), and a node's CSINode attach limit is never exceeded.
import type { PodSpec, SchedulingResult } from "../../../src/scheduling/types";
import type { CSINode, PersistentVolume, PersistentVolumeClaim, StorageClass, VolumeSources } from "../../../src/scheduling/volumes";
import { node, nodePool, pod, run, zoneOf, ZONE, HOST } from "./helpers";

const EBS = "ebs.csi.aws.com";
function sources(o: { pvcs?: PersistentVolumeClaim[]; pvs?: PersistentVolume[]; scs?: StorageClass[]; csi?: CSINode[] } = {}): VolumeSources {
  return {
    claims: new Map((o.pvcs ?? []).map((c) => [`${c.metadata.namespace ?? "default"}/${c.metadata.name}`, c])),
    volumes: new Map((o.pvs ?? []).map((v) => [v.metadata.name, v])),
    storageClasses: new Map((o.scs ?? []).map((s) => [s.metadata.name, s])),
    csiNodes: new Map((o.csi ?? []).map((c) => [c.metadata.name, c])),
  };
}
const sc = (name: string, zones?: string[], mode = "WaitForFirstConsumer", provisioner = EBS): StorageClass => ({
  metadata: { name },
  provisioner,
  volumeBindingMode: mode,
  allowedTopologies: zones ? [{ matchLabelExpressions: [{ key: ZONE, values: zones }] }] : undefined,
});
const pvc = (name: string, o: { sc?: string; volume?: string; bound?: boolean } = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: "default", annotations: o.bound === false || !o.volume ? {} : { "pv.kubernetes.io/bind-completed": "yes" } },
  spec: { storageClassName: o.sc, volumeName: o.volume },
});
const pv = (name: string, zones: string[], o: { key?: string; local?: boolean; driver?: string } = {}): PersistentVolume => ({
  metadata: { name },
  spec: {
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: o.key ?? ZONE, operator: "In", values: zones }] }] } },
    csi: o.local ? undefined : { driver: o.driver ?? EBS },
    local: o.local ? { path: "/mnt/disk" } : undefined,
  },
});
const withClaims = (name: string, ...claims: string[]) =>
  pod({ name, volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) } as Partial<PodSpec>);
const reasonOf = (r: SchedulingResult, name: string) => r.unschedulable.find((u) => u.pod.metadata.name === name)?.reason;

describe("volume topology (Karpenter's VolumeTopology)", () => {
  it("schedules to the volume's zone when the PVC is bound to a zonal PV", () => {
    const r = run({ pods: [withClaims("db", "data")], volumes: sources({ pvcs: [pvc("data", { sc: "gp3", volume: "pv-1" })], pvs: [pv("pv-1", ["us-east-1c"])], scs: [sc("gp3")] }) });
    expect(r.unschedulable).toEqual([]);
    expect(zoneOf(r, "db")).toBe("us-east-1c");
  });

  it("without volume sources the same pod lands in the cheapest zone (what the sources change)", () => {
    const r = run({ pods: [withClaims("db", "data")] });
    expect(zoneOf(r, "db")).not.toBe("us-east-1c");
  });

  it("normalises the EBS CSI driver's zone key (topology.ebs.csi.aws.com/zone) to topology.kubernetes.io/zone", () => {
    const r = run({ pods: [withClaims("db", "data")], volumes: sources({ pvcs: [pvc("data", { sc: "gp3", volume: "pv-1" })], pvs: [pv("pv-1", ["us-east-1d"], { key: "topology.ebs.csi.aws.com/zone" })], scs: [sc("gp3")] }) });
    expect(zoneOf(r, "db")).toBe("us-east-1d");
  });

  it("schedules to the storage class's allowed zones if the volume does not exist yet (WaitForFirstConsumer)", () => {
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1b", "us-east-1c"] }] });
    const r = run({ nodePools: [np], pods: [withClaims("app", "claim")], volumes: sources({ pvcs: [pvc("claim", { sc: "zonal" })], scs: [sc("zonal", ["us-east-1a", "us-east-1c"])] }) });
    expect(zoneOf(r, "app")).toBe("us-east-1c");
  });

  it("the same for a generic ephemeral volume (claim <pod>-<volume>)", () => {
    const p = pod({ name: "eph", volumes: [{ name: "scratch", ephemeral: { volumeClaimTemplate: {} } }] } as Partial<PodSpec>);
    const r = run({ pods: [p], volumes: sources({ pvcs: [pvc("eph-scratch", { sc: "zonal" })], scs: [sc("zonal", ["us-east-1f"])] }) });
    expect(zoneOf(r, "eph")).toBe("us-east-1f");
  });

  it("does not schedule if the storage class zones are incompatible with the NodePool's", () => {
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1b"] }] });
    const r = run({ nodePools: [np], pods: [withClaims("app", "claim")], volumes: sources({ pvcs: [pvc("claim", { sc: "zonal" })], scs: [sc("zonal", ["us-east-1a"])] }) });
    expect(r.newNodeClaims).toEqual([]);
    expect(reasonOf(r, "app")).toMatch(/volume requirements.*us-east-1a/);
  });

  it("does not schedule if the volume's zone is incompatible with the pod's node affinity", () => {
    const p = withClaims("db", "data");
    p.spec.nodeSelector = { [ZONE]: "us-east-1a" };
    const r = run({ pods: [p], volumes: sources({ pvcs: [pvc("data", { sc: "gp3", volume: "pv-1" })], pvs: [pv("pv-1", ["us-east-1c"])], scs: [sc("gp3")] }) });
    expect(r.newNodeClaims).toEqual([]);
    expect(reasonOf(r, "db")).toMatch(/incompatible volume requirements/);
  });

  it("ignores the hostname of a local PV (a new node has another) but keeps its zone", () => {
    const local: PersistentVolume = {
      metadata: { name: "local-1" },
      spec: { local: { path: "/mnt" }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOST, operator: "In", values: ["old-node"] }, { key: ZONE, operator: "In", values: ["us-east-1b"] }] }] } } },
    };
    const r = run({ pods: [withClaims("db", "data")], volumes: sources({ pvcs: [pvc("data", { volume: "local-1" })], pvs: [local] }) });
    expect(r.unschedulable).toEqual([]);
    expect(zoneOf(r, "db")).toBe("us-east-1b");
  });

  it("does not ignore the hostname affinity of a non-local volume", () => {
    const vol: PersistentVolume = { metadata: { name: "pv-h" }, spec: { csi: { driver: EBS }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOST, operator: "In", values: ["old-node"] }] }] } } } };
    const r = run({ pods: [withClaims("db", "data")], volumes: sources({ pvcs: [pvc("data", { volume: "pv-h" })], pvs: [vol] }) });
    expect(r.newNodeClaims).toEqual([]);
  });

  it("tries each OR'd PV term: the one the NodePool allows wins", () => {
    const vol: PersistentVolume = { metadata: { name: "pv-or" }, spec: { csi: { driver: EBS }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1a"] }] }, { matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1d"] }] }] } } } };
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1d"] }] });
    const r = run({ nodePools: [np], pods: [withClaims("db", "data")], volumes: sources({ pvcs: [pvc("data", { volume: "pv-or" })], pvs: [vol] }) });
    expect(zoneOf(r, "db")).toBe("us-east-1d");
  });

  it("keeps only the compatible branches of a multi-volume cross product", () => {
    const r = run({
      pods: [withClaims("two", "a", "b")],
      volumes: sources({ pvcs: [pvc("a", { sc: "ab" }), pvc("b", { volume: "pv-b" })], pvs: [pv("pv-b", ["us-east-1b"])], scs: [{ ...sc("ab"), allowedTopologies: [{ matchLabelExpressions: [{ key: ZONE, values: ["us-east-1a"] }] }, { matchLabelExpressions: [{ key: ZONE, values: ["us-east-1b"] }] }] }] }),
    });
    expect(zoneOf(r, "two")).toBe("us-east-1b");
  });

  it("a volume-pinned pod is not moved into another zone's claim by the cost-improvement pass", () => {
    const small = [withClaims("db", "data"), pod({ name: "web", cpu: "1" })];
    const r = run({ pods: small, volumes: sources({ pvcs: [pvc("data", { volume: "pv-1" })], pvs: [pv("pv-1", ["us-east-1c"])] }) });
    expect(zoneOf(r, "db")).toBe("us-east-1c");
  });

  it("an existing node in another zone does not take the pod; one in the volume's zone does", () => {
    const vols = sources({ pvcs: [pvc("data", { volume: "pv-1" })], pvs: [pv("pv-1", ["us-east-1c"])] });
    const far = node("far", { [ZONE]: "us-east-1a" }, { cpu: "4", memory: "16Gi", pods: "110" });
    const r1 = run({ pods: [withClaims("db", "data")], existingNodes: [far], volumes: vols });
    expect(r1.existingNodes).toEqual([]);
    expect(zoneOf(r1, "db")).toBe("us-east-1c");
    const near = node("near", { [ZONE]: "us-east-1c" }, { cpu: "4", memory: "16Gi", pods: "110" });
    const r2 = run({ pods: [withClaims("db", "data")], existingNodes: [far, near], volumes: vols });
    expect(r2.existingNodes.map((n) => n.name)).toEqual(["near"]);
  });
});

describe("pods whose claims cannot be used are ignored (Karpenter's ValidatePersistentVolumeClaims)", () => {
  const cases: Array<[string, VolumeSources]> = [
    ["persistentvolumeclaim \"default/data\" not found", sources()],
    ["storageclass \"missing\" not found", sources({ pvcs: [pvc("data", { sc: "missing" })] })],
    ["must define a storage class", sources({ pvcs: [pvc("data")] })],
    ["immediate volume binding mode", sources({ pvcs: [pvc("data", { sc: "now" })], scs: [sc("now", undefined, "Immediate")] })],
    ["persistentvolume \"gone\" not found", sources({ pvcs: [pvc("data", { volume: "gone" })] })],
    ["considered unbound", sources({ pvcs: [pvc("data", { volume: "pv-1", bound: false })], pvs: [pv("pv-1", ["us-east-1a"])] })],
  ];
  it.each(cases)("%s: the pod is unschedulable with 'ignoring pod', the valid pod still schedules", (why, vols) => {
    const r = run({ pods: [withClaims("bad", "data"), pod({ name: "good" })], volumes: vols });
    expect(reasonOf(r, "bad")).toMatch(/^ignoring pod, /);
    expect(reasonOf(r, "bad")).toContain(why);
    expect(r.newNodeClaims.flatMap((c) => c.pods.map((p) => p.metadata.name))).toEqual(["good"]);
  });

  it("a bound claim whose storage class is empty or missing still schedules (only unbound claims need one)", () => {
    const r = run({ pods: [withClaims("db", "data")], volumes: sources({ pvcs: [pvc("data", { sc: "gone", volume: "pv-1" })], pvs: [pv("pv-1", ["us-east-1a"])] }) });
    expect(zoneOf(r, "db")).toBe("us-east-1a");
  });

  it("a claim being deleted or Lost makes the pod ignored", () => {
    const deleting = { ...pvc("data", { volume: "pv-1" }), metadata: { ...pvc("data", { volume: "pv-1" }).metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } };
    const r1 = run({ pods: [withClaims("db", "data")], volumes: sources({ pvcs: [deleting], pvs: [pv("pv-1", ["us-east-1a"])] }) });
    expect(reasonOf(r1, "db")).toMatch(/being deleted/);
    const lost = { ...pvc("data", { volume: "pv-1" }), status: { phase: "Lost" } };
    const r2 = run({ pods: [withClaims("db", "data")], volumes: sources({ pvcs: [lost], pvs: [pv("pv-1", ["us-east-1a"])] }) });
    expect(reasonOf(r2, "db")).toMatch(/non-existent persistentvolume/);
  });
});

describe("attach limits (Karpenter's VolumeUsage over CSINode allocatable)", () => {
  const csi = (name: string, count: number): CSINode => ({ metadata: { name }, spec: { drivers: [{ name: EBS, allocatable: { count } }] } });
  const big = { cpu: "16", memory: "64Gi", pods: "110" };
  const claims = (n: number) => Array.from({ length: n }, (_, i) => pvc(`c${i}`, { sc: "gp3" }));

  it("an existing node takes pods only up to its CSINode limit; the rest get a new NodeClaim", () => {
    const r = run({
      pods: Array.from({ length: 5 }, (_, i) => withClaims(`p${i}`, `c${i}`)),
      existingNodes: [node("n1", { [ZONE]: "us-east-1a" }, big)],
      volumes: sources({ pvcs: claims(5), scs: [sc("gp3")], csi: [csi("n1", 3)] }),
    });
    expect(r.existingNodes[0]!.pods).toHaveLength(3);
    expect(r.newNodeClaims.flatMap((c) => c.pods)).toHaveLength(2);
  });

  it("volumes already attached by bound pods count against the limit", () => {
    const bound = withClaims("old", "c0");
    bound.spec.nodeName = "n1";
    const r = run({
      pods: [withClaims("p1", "c1"), withClaims("p2", "c2")],
      existingNodes: [node("n1", { [ZONE]: "us-east-1a" }, big, [bound])],
      volumes: sources({ pvcs: claims(3), scs: [sc("gp3")], csi: [csi("n1", 2)] }),
    });
    expect(r.existingNodes[0]!.pods.map((p) => p.metadata.name)).toEqual(["p1"]);
  });

  it("pods sharing one claim count it once", () => {
    const r = run({
      pods: Array.from({ length: 4 }, (_, i) => withClaims(`s${i}`, "shared")),
      existingNodes: [node("n1", { [ZONE]: "us-east-1a" }, big)],
      volumes: sources({ pvcs: [pvc("shared", { sc: "gp3" })], scs: [sc("gp3")], csi: [csi("n1", 1)] }),
    });
    expect(r.existingNodes[0]!.pods).toHaveLength(4);
    expect(r.newNodeClaims).toEqual([]);
  });

  it("a driver the CSINode does not limit (NFS, another driver) is not counted", () => {
    const r = run({
      pods: Array.from({ length: 3 }, (_, i) => withClaims(`n${i}`, `c${i}`)),
      existingNodes: [node("n1", { [ZONE]: "us-east-1a" }, big)],
      volumes: sources({ pvcs: claims(3), scs: [sc("gp3", undefined, "WaitForFirstConsumer", "nfs.csi.k8s.io")], csi: [csi("n1", 1)] }),
    });
    expect(r.existingNodes[0]!.pods).toHaveLength(3);
  });

  it("the in-tree EBS provisioner counts against the EBS CSI driver's limit", () => {
    const r = run({
      pods: [withClaims("a", "c0"), withClaims("b", "c1")],
      existingNodes: [node("n1", { [ZONE]: "us-east-1a" }, big)],
      volumes: sources({ pvcs: claims(2), scs: [sc("gp3", undefined, "WaitForFirstConsumer", "kubernetes.io/aws-ebs")], csi: [csi("n1", 1)] }),
    });
    expect(r.existingNodes[0]!.pods).toHaveLength(1);
  });
});
