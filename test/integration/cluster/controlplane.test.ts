// The sandbox control plane is real: kube-scheduler binds pods, kube-controller-manager runs workloads,
// KWOK plays the kubelet for annotated Nodes, and the server reports the pinned version.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { K8s, kind } from "kubernetes-fluent-client";
import { waitFor } from "../../../sandbox/procs";

const k8sVersion = /K8S_VERSION=(\S+)/.exec(readFileSync(join(__dirname, "../../../scripts/cluster/versions.env"), "utf8"))![1];
const ns = `cp-${Date.now().toString(36)}`;

function fakeNode(name: string): InstanceType<typeof kind.Node> {
  return {
    apiVersion: "v1", kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, type: "kwok" }, annotations: { "kwok.x-k8s.io/node": "fake" } },
    spec: {},
    status: { capacity: { cpu: "4", memory: "8Gi", pods: "110" }, allocatable: { cpu: "4", memory: "8Gi", pods: "110" } },
  };
}

beforeAll(async () => {
  await K8s(kind.Namespace).Apply({ metadata: { name: ns } });
});
afterAll(async () => {
  await K8s(kind.Namespace).Delete(ns);
  await K8s(kind.Node).Delete(`kwok-${ns}`);
});

test("kubectl version reports the pinned server version", () => {
  const out = execFileSync(process.env.KUBECTL ?? "kubectl", ["version", "-o", "json"], { encoding: "utf8" });
  expect(JSON.parse(out).serverVersion.gitVersion).toBe(`v${k8sVersion}`);
});

test("kube-scheduler binds a pod to a KWOK node and KWOK runs it", async () => {
  await K8s(kind.Node).Create(fakeNode(`kwok-${ns}`));
  await waitFor("node Ready", async () => {
    const n = await K8s(kind.Node).Get(`kwok-${ns}`);
    return n.status?.conditions?.some(c => c.type === "Ready" && c.status === "True") || undefined;
  }, 30000);
  await K8s(kind.Pod).Create({
    metadata: { name: "hello", namespace: ns },
    spec: { containers: [{ name: "c", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "100m" } } }] },
  });
  const pod = await waitFor("pod Running", async () => {
    const p = await K8s(kind.Pod).InNamespace(ns).Get("hello");
    return p.status?.phase === "Running" ? p : undefined;
  }, 30000);
  expect(pod.spec?.nodeName).toBe(`kwok-${ns}`);
});

test("kube-controller-manager turns a Deployment into 3 running pods", async () => {
  await K8s(kind.Deployment).Create({
    metadata: { name: "three", namespace: ns },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "three" } },
      template: { metadata: { labels: { app: "three" } }, spec: { containers: [{ name: "c", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "100m" } } }] } },
    },
  });
  const running = await waitFor("3 pods Running", async () => {
    const pods = await K8s(kind.Pod).InNamespace(ns).WithLabel("app", "three").Get();
    const r = pods.items.filter(p => p.status?.phase === "Running");
    return r.length === 3 ? r : undefined;
  }, 60000);
  expect(running).toHaveLength(3);
});
