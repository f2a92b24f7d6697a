// The module as users deploy it: dist/capsicum.yaml applied to the sandbox, its pods run from the Deployments'
// spec under their ServiceAccounts (sandbox/artefact.ts): admission pods as pepr-system/pepr-capsicum, the
// watcher as pepr-system/pepr-capsicum-watcher; restarted like pods.
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { startE2E, cleanup, E2EEnv, kubectl, kubectlResult, getJSON, waitFor, root } from "./support";
import { readArtefact, waitPodsHealthy } from "../../sandbox/artefact";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const SA = "system:serviceaccount:pepr-system:pepr-capsicum";
const WATCHER_SA = "system:serviceaccount:pepr-system:pepr-capsicum-watcher";
const NS = "artefact-e2e";
let e2e: E2EEnv;

// stdout only: kubectl warns on stderr (e.g. "-n" on a cluster-scoped resource).
const canIAs = (as: string, ...args: string[]) =>
  spawnSync(process.env.KUBECTL ?? "kubectl", ["auth", "can-i", ...args, `--as=${as}`], {
    encoding: "utf8",
  }).stdout.trim();
const canI = (...args: string[]) => canIAs(WATCHER_SA, ...args);

beforeAll(async () => {
  e2e = await startE2E({}, { module: "artefact" });
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
}, 300000);

afterAll(async () => {
  try {
    await cleanup(NS, ["artefact"]);
  } finally {
    await e2e?.stop();
  }
}, 300000);

test("each pod authenticates as its Deployment's ServiceAccount, with a TokenRequest token in the kubeconfig of its env", () => {
  const art = e2e.module.artefact!;
  const dist = readArtefact().filter((d) => d.kind === "Deployment");
  const expected = (pod: string) =>
    dist.find((d) => pod.startsWith(`${d.metadata.name}-`) && /^\d+$/.test(pod.slice(d.metadata.name.length + 1)))!
      .spec.template.spec.serviceAccountName;
  expect(new Set(art.pods.map((p) => p.serviceAccount))).toEqual(new Set(["pepr-capsicum", "pepr-capsicum-watcher"]));
  for (const pod of art.pods) {
    expect([pod.name, pod.serviceAccount]).toEqual([pod.name, expected(pod.name)]);
    const who = JSON.parse(kubectl(["auth", "whoami", "-o", "json", "--kubeconfig", pod.kubeconfig]));
    expect(who.status.userInfo.username).toBe(`system:serviceaccount:pepr-system:${pod.serviceAccount}`);
    const kc = readFileSync(pod.kubeconfig, "utf8");
    expect(kc).toMatch(/token: /);
    expect(kc).not.toMatch(/client-key-data|client-certificate-data/);
    const environ = readFileSync(`/proc/${pod.child!.pid}/environ`, "utf8").split("\0");
    expect(environ).toContain(`KUBECONFIG=${pod.kubeconfig}`);
    // AWS credentials reach only the watcher, as Pod Identity gives them to the ServiceAccount with the role.
    expect(environ.some((e) => e.startsWith("AWS_ACCESS_KEY_ID="))).toBe(pod.serviceAccount === "pepr-capsicum-watcher");
  }
});

test("the pods filled the data-less TLS Secret and the webhook configurations (caBundle, API path)", async () => {
  const secret = getJSON(["get", "secret", "pepr-capsicum-tls", "-n", "pepr-system"]);
  expect(Object.keys(secret.data).sort()).toEqual(["api-path", "ca.crt", "tls.crt", "tls.key"]);
  const apiPath = Buffer.from(secret.data["api-path"], "base64").toString();
  const v = getJSON(["get", "validatingwebhookconfiguration", "pepr-capsicum"]);
  expect(v.webhooks[0].clientConfig.caBundle).toBe(secret.data["ca.crt"]);
  expect(new URL(v.webhooks[0].clientConfig.url).pathname).toBe(`/validate/${apiPath}`);
  expect(v.metadata.ownerReferences).toBeUndefined();
});

// The apiserver reaches the admission pods through the sandbox's Service proxy. That proxy once ran inside this
// jest process: every synchronous kubectl call froze it, so the apiserver's review of this very apply waited until
// its 10 s timeout and failed open (no warning), while the module's log showed the late, correct answer.
test("the apiserver returns the artefact webhook's verdict: a NodePool naming a missing EC2NodeClass gets the warning", async () => {
  // A NodePool naming a missing EC2NodeClass is admitted with capsicum's warning. The apiserver picks up the pods'
  // caBundle/path patch from its informer a moment later and the webhooks fail open, so a review before that is
  // silently skipped: re-apply (and delete) until the warning appears.
  const np = {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: "artefact-probe" },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "not-there" },
          requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }],
        },
      },
    },
  };
  await waitFor(
    "capsicum's admission warning for a NodePool naming a missing EC2NodeClass",
    async () => {
      const res = kubectlResult(["apply", "-f", "-"], JSON.stringify(np));
      kubectlResult(["delete", "nodepool", "artefact-probe", "--ignore-not-found"]);
      if (res.ok && /Warning: .*not-there/.test(res.out)) return true;
      throw new Error(`kubectl apply (ok=${res.ok}): ${res.out.trim()}`);
    },
    90000,
  );
  // Once the apiserver has the patched configuration, every review is answered in time: none fails open.
  for (let i = 0; i < 3; i++) {
    const res = kubectlResult(["apply", "-f", "-"], JSON.stringify(np));
    kubectlResult(["delete", "nodepool", "artefact-probe", "--ignore-not-found"]);
    expect(res).toMatchObject({ ok: true, out: expect.stringMatching(/Warning: .*not-there/) });
  }
}, 120000);

test("kubectl auth can-i (watcher): each row of the RBAC table, and nothing beyond it", () => {
  const yes: string[][] = [
    ["get", "nodeclaims.karpenter.sh"],
    ["list", "nodeclaims.karpenter.sh"],
    ["watch", "nodeclaims.karpenter.sh"],
    ["create", "nodeclaims.karpenter.sh"],
    ["patch", "nodeclaims.karpenter.sh"],
    ["delete", "nodeclaims.karpenter.sh"],
    ["patch", "nodeclaims.karpenter.sh", "--subresource=status"],
    ["get", "nodepools.karpenter.sh"],
    ["list", "nodepools.karpenter.sh"],
    ["watch", "nodepools.karpenter.sh"],
    ["patch", "nodepools.karpenter.sh", "--subresource=status"],
    ["list", "ec2nodeclasses.karpenter.k8s.aws"],
    ["patch", "ec2nodeclasses.karpenter.k8s.aws", "--subresource=status"],
    ["patch", "nodes"],
    ["delete", "nodes"],
    ["get", "pods", "-n", "default"],
    ["list", "pods"],
    ["watch", "pods"],
    ["delete", "pods", "-n", "default"],
    ["create", "pods", "--subresource=eviction", "-n", "default"],
    ["create", "events", "-n", "default"],
    ["watch", "peprstores.pepr.dev", "-n", "pepr-system"],
  ];
  for (const args of yes) expect([args.join(" "), canI(...args)]).toEqual([args.join(" "), "yes"]);
  const no: string[][] = [
    ["get", "secrets/pepr-capsicum-tls", "-n", "pepr-system"],
    ["patch", "validatingwebhookconfigurations.admissionregistration.k8s.io/pepr-capsicum"],
    ["get", "configmaps/capsicum-pod-defaults", "-n", "default"],
    ["get", "secrets", "-n", "kube-system"],
    ["get", "secrets/pepr-capsicum-tls", "-n", "default"],
    ["list", "secrets", "-n", "pepr-system"],
    ["get", "secrets/other", "-n", "pepr-system"],
    ["create", "pods", "-n", "default"],
    ["create", "customresourcedefinitions.apiextensions.k8s.io"],
    ["get", "configmaps/other", "-n", "default"],
    ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
  ];
  for (const args of no) expect([args.join(" "), canI(...args)]).toEqual([args.join(" "), "no"]);
});

test("kubectl auth can-i (admission): its webhooks, its Secret, its lookups, and none of the watcher's writes", () => {
  const yes: string[][] = [
    ["get", "secrets/pepr-capsicum-tls", "-n", "pepr-system"],
    ["patch", "secrets/pepr-capsicum-tls", "-n", "pepr-system"],
    ["patch", "validatingwebhookconfigurations.admissionregistration.k8s.io/pepr-capsicum"],
    ["patch", "mutatingwebhookconfigurations.admissionregistration.k8s.io/pepr-capsicum"],
    ["get", "ec2nodeclasses.karpenter.k8s.aws"],
    ["get", "configmaps/capsicum-pod-defaults", "-n", "default"],
    ["watch", "peprstores.pepr.dev", "-n", "pepr-system"],
  ];
  for (const args of yes) expect([args.join(" "), canIAs(SA, ...args)]).toEqual([args.join(" "), "yes"]);
  const no: string[][] = [
    ["create", "nodeclaims.karpenter.sh"],
    ["list", "nodepools.karpenter.sh"],
    ["patch", "nodepools.karpenter.sh", "--subresource=status"],
    ["patch", "nodes"],
    ["list", "pods"],
    ["delete", "pods", "-n", "default"],
    ["create", "pods", "--subresource=eviction", "-n", "default"],
    ["create", "events", "-n", "default"],
    ["list", "secrets", "-n", "pepr-system"],
    ["get", "secrets/pepr-capsicum-tls", "-n", "default"],
    ["patch", "validatingwebhookconfigurations.admissionregistration.k8s.io/other"],
    ["create", "pods", "-n", "default"],
  ];
  for (const args of no) expect([args.join(" "), canIAs(SA, ...args)]).toEqual([args.join(" "), "no"]);
});

test("kill -9 of the watcher pod: it is restarted like a pod and back within seconds", async () => {
  const art = e2e.module.artefact!;
  const watcher = art.pods.find((p) => p.name.includes("-watcher-"))!;
  const before = watcher.restarts;
  const t0 = Date.now();
  process.kill(-watcher.child!.pid!, "SIGKILL");
  await waitFor("watcher restarted", async () => watcher.restarts > before || undefined, 10000);
  await waitPodsHealthy(art, 30000);
  expect(Date.now() - t0).toBeLessThan(30000);
});

/** Pids whose process group is `pgid` (a pod's PID 1 and whatever it forked). */
function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after its ")".
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

test("SIGTERM to the watcher pod's PID 1 (a rollout, as the kubelet sends it): the module is PID 1, stops its controllers, leaves no process behind, and the pod comes back", async () => {
  const art = e2e.module.artefact!;
  const watcher = art.pods.find((p) => p.name.includes("-watcher-"))!;
  const pid1 = watcher.child!.pid!;
  // dist/'s entry (scripts/module-entry.cjs) checks and loads the module in PID 1 itself: one process in the pod,
  // where Pepr's controller.js would fork a second one and never forward it the signal.
  expect(groupMembers(pid1)).toEqual([pid1]);
  const before = watcher.restarts;
  process.kill(pid1, "SIGTERM");
  await waitFor("watcher exited and restarted", async () => watcher.restarts > before || undefined, 30000);
  expect(e2e.logs()).toMatch(/SIGTERM: stopping capsicum controllers/);
  await waitFor("the old pod's processes are gone", async () => groupMembers(pid1).length === 0 || undefined, 10000);
  await waitPodsHealthy(art, 30000);
  expect(watcher.child!.pid).not.toBe(pid1);
});

test("the generated RBAC is what the module needs: without `create nodeclaims` no node is provisioned", async () => {
  const role = readArtefact().find((d) => d.kind === "ClusterRole" && d.metadata.name === "pepr-capsicum-watcher")!;
  const broken = structuredClone(role);
  const rule = broken.rules.find((r: Obj) => r.resources.includes("nodeclaims"));
  rule.verbs = rule.verbs.filter((v: string) => v !== "create");
  kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], stringify(broken));
  try {
    expect(canI("create", "nodeclaims.karpenter.sh")).toBe("no");
    const np = readFileSync(join(root, "examples/nodepool.yaml"), "utf8").replace(
      /name: default\n/,
      "name: artefact\n",
    );
    kubectl(["apply", "-f", "-"], np);
    kubectl([
      "create",
      "deployment",
      "probe",
      "-n",
      NS,
      "--image=public.ecr.aws/eks-distro/kubernetes/pause:3.7",
      "--replicas=1",
    ]);
    kubectl(["set", "resources", "deployment/probe", "-n", NS, "--requests=cpu=500m"]);
    await waitFor(
      "the module's NodeClaim create forbidden",
      async () => /nodeclaims.*forbidden|forbidden.*nodeclaims/i.test(e2e.logs()) || undefined,
      90000,
    );
    const claims = getJSON(["get", "nodeclaims", "-l", "karpenter.sh/nodepool=artefact"]).items;
    expect(claims).toHaveLength(0);
  } finally {
    kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], stringify(role));
  }
  expect(canI("create", "nodeclaims.karpenter.sh")).toBe("yes");
  // With the rule back the module provisions for the same pod (its own retries, no restart).
  await waitFor(
    "NodeClaim for the probe pod",
    async () => getJSON(["get", "nodeclaims", "-l", "karpenter.sh/nodepool=artefact"]).items.length > 0 || undefined,
    120000,
  );
}, 300000);
