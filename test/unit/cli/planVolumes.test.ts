// `capsicum plan` reads PersistentVolumeClaims, PersistentVolumes and StorageClasses, so an offline plan honours
// volume topology as the controller does: a claim bound to a zonal PV pins its pod's NodeClaim to that zone, a
// StatefulSet's volumeClaimTemplates become claims of its StorageClass (allowedTopologies, default class), and a
// pod whose claim is missing is reported unschedulable with Karpenter's "ignoring pod" reason.
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";

const examples = join(__dirname, "../../../examples");
function workdir(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "capsicum-plan-volumes-"));
  for (const f of ["nodepool.yaml", "ec2nodeclass.yaml"]) copyFileSync(join(examples, f), join(dir, f));
  writeFileSync(join(dir, "workload.yaml"), yaml);
  return dir;
}
async function plan(dir: string) {
  let out = "";
  const code = await main(["plan", "-f", dir, "-o", "json"], (s) => { out += s + "\n"; }, () => undefined);
  return { code, plan: JSON.parse(out) as { nodeClaims: Array<{ zone: string | null; pods: string[] }>; unschedulable: Array<{ pod: string; reason: string }> } };
}
const zoneOfPod = (p: Awaited<ReturnType<typeof plan>>["plan"], pod: string) => p.nodeClaims.find((c) => c.pods.includes(pod))?.zone;

const statefulSet = (sc?: string) => `
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: data }
spec:
  replicas: 2
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      containers: [{ name: db, image: postgres, resources: { requests: { cpu: "1" } }, volumeMounts: [{ name: pgdata, mountPath: /var/lib/postgresql }] }]
  volumeClaimTemplates:
    - metadata: { name: pgdata }
      spec: { ${sc ? `storageClassName: ${sc}, ` : ""}accessModes: [ReadWriteOnce], resources: { requests: { storage: 10Gi } } }
`;

describe("capsicum plan: volume topology", () => {
  it("a pod whose claim is bound to a zonal PV (static, nodeAffinity on the zone) is planned in that zone", async () => {
    const dir = workdir(`
apiVersion: v1
kind: PersistentVolume
metadata: { name: pv-zonal }
spec:
  capacity: { storage: 10Gi }
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  csi: { driver: ebs.csi.aws.com, volumeHandle: vol-0123456789abcdef0 }
  nodeAffinity:
    required:
      nodeSelectorTerms: [{ matchExpressions: [{ key: topology.kubernetes.io/zone, operator: In, values: [us-east-1d] }] }]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec: { storageClassName: "", volumeName: pv-zonal, accessModes: [ReadWriteOnce], resources: { requests: { storage: 10Gi } } }
---
apiVersion: v1
kind: Pod
metadata: { name: db }
spec:
  containers: [{ name: db, image: postgres, resources: { requests: { cpu: "1" } } }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: data } }]
`);
    const { code, plan: p } = await plan(dir);
    expect(code).toBe(0);
    expect(zoneOfPod(p, "default/db")).toBe("us-east-1d");
  });

  it("a StatefulSet's volumeClaimTemplates use its StorageClass's allowedTopologies (WaitForFirstConsumer)", async () => {
    const dir = workdir(`${statefulSet("zonal")}---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: zonal }
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowedTopologies: [{ matchLabelExpressions: [{ key: topology.kubernetes.io/zone, values: [us-east-1f] }] }]
`);
    const { plan: p } = await plan(dir);
    expect(p.unschedulable).toEqual([]);
    expect(zoneOfPod(p, "data/db-0")).toBe("us-east-1f");
    expect(zoneOfPod(p, "data/db-1")).toBe("us-east-1f");
  });

  it("a template without storageClassName gets the default StorageClass, as the apiserver would", async () => {
    const dir = workdir(`${statefulSet()}---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: gp3, annotations: { storageclass.kubernetes.io/is-default-class: "true" } }
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowedTopologies: [{ matchLabelExpressions: [{ key: topology.ebs.csi.aws.com/zone, values: [us-east-1b] }] }]
`);
    const { plan: p } = await plan(dir);
    expect(zoneOfPod(p, "data/db-0")).toBe("us-east-1b");
  });

  it("a pod whose claim is not in the files is unschedulable: 'ignoring pod, persistentvolumeclaim ... not found' (exit 3)", async () => {
    const dir = workdir(`
apiVersion: v1
kind: Pod
metadata: { name: orphan }
spec:
  containers: [{ name: c, image: nginx, resources: { requests: { cpu: "1" } } }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: nowhere } }]
`);
    const { code, plan: p } = await plan(dir);
    expect(code).toBe(3);
    expect(p.unschedulable).toEqual([{ pod: "default/orphan", reason: expect.stringMatching(/^ignoring pod, persistentvolumeclaim "default\/nowhere" not found/) }]);
  });

  it("an Immediate StorageClass's unbound claim is ignored as Karpenter does (the PV must exist first)", async () => {
    const dir = workdir(`${statefulSet("now")}---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: now }
provisioner: ebs.csi.aws.com
`);
    const { plan: p } = await plan(dir);
    expect(p.unschedulable.map((u) => u.reason)).toEqual([expect.stringMatching(/immediate volume binding mode/), expect.stringMatching(/immediate volume binding mode/)]);
  });
});
