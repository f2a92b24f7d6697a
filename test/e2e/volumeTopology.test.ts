// Volume topology on the sandbox, each pod marked Unschedulable by the real kube-scheduler:
// - a static PV with nodeAffinity on topology.kubernetes.io/zone and a PVC bound to it by the real PV controller
//   (kube-controller-manager adds pv.kubernetes.io/bind-completed): capsicum's NodeClaim lands in the PV's zone (not
//   the cheapest zone), the node joins there and kube-scheduler binds the pod to it (VolumeZone/VolumeBinding agree);
// - an unbound claim of a WaitForFirstConsumer StorageClass with allowedTopologies: the NodeClaim lands in the allowed
//   zone and kube-scheduler picks the new node for provisioning (`volume.kubernetes.io/selected-node` on the claim;
//   the sandbox has no CSI provisioner, so the claim stays Pending after that, as it would without the EBS driver);
// - a pod whose claim does not exist is ignored with Karpenter's reason while a pod batched with it still gets its
//   NodeClaim.
import { join } from "node:path";
import { startE2E, cleanup, E2EEnv, kubectl, getJSON, waitFor, root, sleep } from "./support";

const ZONES = (process.env.SANDBOX_ZONE_LIST ?? "us-east-1a,us-east-1b,us-east-1c").split(",");
const PV_ZONE = ZONES[ZONES.length - 1]!;
const WFFC_ZONE = ZONES[1] ?? ZONES[0]!;
const OTHER_ZONE = ZONES[0]!;
const NS = "volumes-e2e";
const POOL = "volumes";
const SC = "e2e-wffc-zonal";
let e2e: E2EEnv;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const nodeClaimsOfPool = (): Obj[] =>
  getJSON(["get", "nodeclaims"]).items.filter((c: Obj) => c.metadata.labels?.["karpenter.sh/nodepool"] === POOL);
const zoneRequirement = (claim: Obj) =>
  claim.spec.requirements.find((r: Obj) => r.key === "topology.kubernetes.io/zone");
/** The NodeClaims launched for a zone: a NodeClaim pinned to exactly that zone by its requirements. */
const claimsIn = (zone: string): Obj[] =>
  nodeClaimsOfPool().filter((c) => JSON.stringify(zoneRequirement(c)?.values) === JSON.stringify([zone]));

const pool = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: { name: ${POOL} }
spec:
  template:
    spec:
      nodeClassRef: { group: karpenter.k8s.aws, kind: EC2NodeClass, name: default }
      requirements:
        - { key: karpenter.sh/capacity-type, operator: In, values: [on-demand] }
        - { key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m] }
      terminationGracePeriod: 60s
  disruption: { consolidateAfter: 30s, budgets: [{ nodes: "0" }] }
`;

const zonalPV = `
apiVersion: v1
kind: PersistentVolume
metadata: { name: e2e-zonal-pv }
spec:
  capacity: { storage: 10Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  csi: { driver: ebs.csi.aws.com, volumeHandle: vol-0e2e0000000000001, fsType: ext4 }
  nodeAffinity:
    required:
      nodeSelectorTerms: [{ matchExpressions: [{ key: topology.kubernetes.io/zone, operator: In, values: [${PV_ZONE}] }] }]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: ${NS} }
spec:
  storageClassName: ""
  volumeName: e2e-zonal-pv
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 10Gi } }
---
apiVersion: v1
kind: Pod
metadata: { name: db, namespace: ${NS} }
spec:
  containers: [{ name: db, image: postgres, resources: { requests: { cpu: 500m, memory: 256Mi } }, volumeMounts: [{ name: data, mountPath: /data }] }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: data } }]
`;

const wffc = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: ${SC} }
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowedTopologies:
  - matchLabelExpressions: [{ key: topology.kubernetes.io/zone, values: [${WFFC_ZONE}] }]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: scratch, namespace: ${NS} }
spec:
  storageClassName: ${SC}
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 10Gi } }
---
apiVersion: v1
kind: Pod
metadata: { name: cache, namespace: ${NS} }
spec:
  containers: [{ name: c, image: redis, resources: { requests: { cpu: 500m, memory: 256Mi } }, volumeMounts: [{ name: s, mountPath: /data }] }]
  volumes: [{ name: s, persistentVolumeClaim: { claimName: scratch } }]
`;

beforeAll(async () => {
  e2e = await startE2E({ BATCH_IDLE_DURATION: "1s", BATCH_MAX_DURATION: "10s" });
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
  kubectl(["apply", "-f", "-"], pool);
}, 660000); // CAPSICUM_E2E_MODULE=dev: pepr dev may take up to 10 minutes to serve on a loaded machine

afterAll(async () => {
  try {
    await cleanup(NS, [POOL]);
    kubectl(["delete", "pv", "e2e-zonal-pv", "--ignore-not-found", "--wait=false"]);
    kubectl(["delete", "storageclass", SC, "--ignore-not-found", "--wait=false"]);
  } finally {
    await e2e?.stop();
  }
}, 300000);

test(`a pod whose PVC is bound to a static PV in ${PV_ZONE} gets a NodeClaim in ${PV_ZONE} and runs there`, async () => {
  kubectl(["apply", "-f", "-"], zonalPV);
  await waitFor(
    "the PV controller binds the claim",
    async () => {
      const pvc = getJSON(["get", "pvc", "data", "-n", NS]);
      return (
        (pvc.status?.phase === "Bound" && pvc.metadata.annotations?.["pv.kubernetes.io/bind-completed"]) || undefined
      );
    },
    60000,
  );
  const claim = await waitFor("a NodeClaim for the pod", async () => nodeClaimsOfPool()[0], 120000);
  expect(zoneRequirement(claim)).toEqual({ key: "topology.kubernetes.io/zone", operator: "In", values: [PV_ZONE] });
  const pod = await waitFor(
    "the pod bound to a node",
    async () => {
      const p = getJSON(["get", "pod", "db", "-n", NS]);
      return p.spec.nodeName ? p : undefined;
    },
    240000,
  );
  const node = getJSON(["get", "node", pod.spec.nodeName]);
  expect(node.metadata.labels["topology.kubernetes.io/zone"]).toBe(PV_ZONE);
  expect(node.metadata.labels["karpenter.sh/nodepool"]).toBe(POOL);
  expect(nodeClaimsOfPool()).toHaveLength(1);
}, 360000);

test(`an unbound WaitForFirstConsumer claim whose StorageClass allows only ${WFFC_ZONE} gets a NodeClaim there`, async () => {
  kubectl(["apply", "-f", "-"], wffc);
  const claim = await waitFor(`a NodeClaim in ${WFFC_ZONE}`, async () => claimsIn(WFFC_ZONE)[0], 120000);
  expect(zoneRequirement(claim)).toEqual({ key: "topology.kubernetes.io/zone", operator: "In", values: [WFFC_ZONE] });
  expect(getJSON(["get", "pvc", "scratch", "-n", NS]).status.phase).toBe("Pending");
  // kube-scheduler's VolumeBinding accepts the new node: it asks the (absent) provisioner to provision there.
  const selected = await waitFor(
    "kube-scheduler selects a node for the claim",
    async () =>
      getJSON(["get", "pvc", "scratch", "-n", NS]).metadata.annotations?.["volume.kubernetes.io/selected-node"],
    240000,
  );
  const node = getJSON(["get", "node", selected]);
  expect(node.metadata.labels["topology.kubernetes.io/zone"]).toBe(WFFC_ZONE);
  expect(node.metadata.labels["karpenter.sh/nodepool"]).toBe(POOL);
  expect(getJSON(["get", "nodeclaim", claim.metadata.name]).status.nodeName).toBe(selected);
  expect(nodeClaimsOfPool()).toHaveLength(2);
}, 360000);

test("a pod whose PVC does not exist is ignored with Karpenter's reason; a pod batched with it still provisions", async () => {
  kubectl(
    ["apply", "-f", "-"],
    `
apiVersion: v1
kind: Pod
metadata: { name: orphan, namespace: ${NS} }
spec:
  containers: [{ name: c, image: nginx, resources: { requests: { cpu: 500m } } }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: does-not-exist } }]
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: ${NS} }
spec:
  nodeSelector: { topology.kubernetes.io/zone: ${OTHER_ZONE} }
  containers: [{ name: c, image: nginx, resources: { requests: { cpu: 500m } } }]
`,
  );
  const ev = await waitFor(
    "capsicum's FailedScheduling event",
    async () =>
      getJSON(["get", "events", "-n", NS, "--field-selector", "involvedObject.name=orphan"]).items.find(
        (e: Obj) => e.reason === "FailedScheduling" && /ignoring pod/.test(e.message),
      ),
    60000,
  );
  expect(ev.message).toMatch(/ignoring pod, persistentvolumeclaim "volumes-e2e\/does-not-exist" not found/);
  const web = await waitFor(
    "the other pod bound to a new node",
    async () => {
      const p = getJSON(["get", "pod", "web", "-n", NS]);
      return p.spec.nodeName ? p : undefined;
    },
    240000,
  );
  expect(getJSON(["get", "node", web.spec.nodeName]).metadata.labels["topology.kubernetes.io/zone"]).toBe(OTHER_ZONE);
  await sleep(5000);
  expect(nodeClaimsOfPool()).toHaveLength(3);
  expect(getJSON(["get", "pod", "orphan", "-n", NS]).spec.nodeName).toBeUndefined();
}, 360000);
