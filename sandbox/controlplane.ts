// A real, local Kubernetes control plane for tests and the sandbox: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and KWOK (which keeps annotated fake Nodes Ready and runs
// the pods bound to them, standing in for kubelets). Everything listens on 127.0.0.1 free ports.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import https from "node:https";
import net from "node:net";
import { execFileSync } from "node:child_process";
import { Binaries } from "./binaries";
import { generatePki, writeKubeconfig } from "./certs";
import { ProcessGroup, freePort, waitFor } from "./procs";

export interface ControlPlane {
  dir: string;
  kubeconfig: string;
  server: string;
  caFile: string;
  kubectl: string;
  timings: Record<string, number>;
  kubectlRun(args: string[], input?: string): string;
  /**
   * Routes for Services whose pods run on this host (JSON {"<clusterIP>:<port>": [<host port>, ...]}): the
   * apiserver reaches a webhook's `clientConfig.service` through them (sandbox/pod/clusterEgress.cjs).
   */
  serviceRoutes: string;
  /** The apiserver's audit log (JSON lines), when started with `auditGroups`. */
  auditLog?: string;
  stop(): Promise<void>;
}

/** The apiserver's service CIDR (what EKS reports as kubernetesNetworkConfig.serviceIpv4Cidr). */
export const SERVICE_CIDR = "10.96.0.0/16";

/** Annotation KWOK is told to manage: only Nodes that carry it get a simulated kubelet. */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

/**
 * The audit policy for `auditGroups`: Metadata for those groups, None for the rest. RequestReceived is omitted, so
 * a request is one ResponseComplete event, and a watch also has a ResponseStarted one when it is established.
 */
function auditFlags(dir: string, groups: string[]): { flags: string[]; log: string } {
  const policy = join(dir, "audit-policy.yaml");
  const log = join(dir, "audit.log");
  writeFileSync(policy, [
    "apiVersion: audit.k8s.io/v1", "kind: Policy", "omitStages: [RequestReceived]", "rules:",
    "  - level: Metadata", `    userGroups: ${JSON.stringify(groups)}`, "  - level: None", "",
  ].join("\n"));
  return { log, flags: [`--audit-policy-file=${policy}`, `--audit-log-path=${log}`, "--audit-log-format=json", "--audit-log-maxsize=0"] };
}

function getJSON(url: string, ca: Buffer, cert: Buffer, key: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, cert, key, timeout: 2000 }, res => {
      let body = "";
      res.on("data", c => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

function canConnect(socket: string): Promise<boolean> {
  return new Promise(resolve => {
    const s = net.connect(socket);
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

/**
 * `auditGroups`: the apiserver writes an audit event (level Metadata: who, verb, resource; no bodies) for every
 * request of a user in one of these groups, and nothing for anyone else (the bench counts the module's own requests
 * this way: `apiserver_request_total` has no user label).
 */
export interface ControlPlaneOptions {
  keepDir?: boolean;
  auditGroups?: string[];
}

export async function startControlPlane(bins: Binaries, opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "capsicum-cp-"));
  const procs = new ProcessGroup(dir);
  const onExit = () => procs.killNow();
  process.once("exit", onExit);
  const stop = async () => {
    await procs.stop();
    process.removeListener("exit", onExit);
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pki = generatePki(dir);
    const [etcdPort, peerPort, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = join(dir, "kubeconfig");
    writeKubeconfig(kubeconfig, server, pki);
    timings.pki = Date.now() - t0;

    const etcdURL = `http://127.0.0.1:${etcdPort}`;
    const etcd = procs.start("etcd", join(bins.etcd, "etcd"), [
      "--name=default", `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdURL}`, `--advertise-client-urls=${etcdURL}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`, "--unsafe-no-fsync=true", "--log-level=warn",
    ]);
    await waitFor("etcd health", async () => (await fetch(`${etcdURL}/health`)).ok || undefined, 20000, etcd.logFile);
    timings.etcd = Date.now() - t0;

    // No kube-proxy: the apiserver's "cluster" egress (Service-referenced webhooks, the pods/nodes proxy) goes
    // through an HTTP CONNECT proxy that routes a Service's clusterIP to the host ports of its pods and dials
    // anything else directly. URL webhooks use the "controlplane" egress and are not affected.
    const serviceRoutes = join(dir, "service-routes.json");
    writeFileSync(serviceRoutes, "{}\n");
    const egressConfig = join(dir, "egress-selector.yaml");
    const egressSocket = join(dir, "egress.sock");
    writeFileSync(egressConfig, [
      "apiVersion: apiserver.k8s.io/v1beta1", "kind: EgressSelectorConfiguration", "egressSelections:",
      "  - name: cluster", "    connection:", "      proxyProtocol: HTTPConnect", "      transport:",
      `        uds: {udsName: ${JSON.stringify(egressSocket)}}`, "",
    ].join("\n"));
    const egress = procs.start("cluster-egress", process.execPath, [join(__dirname, "pod", "clusterEgress.cjs"), egressSocket, serviceRoutes]);
    await waitFor("cluster egress proxy", async () => (await canConnect(egressSocket)) || undefined, 20000, egress.logFile);

    const audit = opts.auditGroups?.length ? auditFlags(dir, opts.auditGroups) : undefined;
    const api = procs.start("kube-apiserver", join(bins.k8s, "kube-apiserver"), [
      `--etcd-servers=${etcdURL}`, "--bind-address=127.0.0.1", `--secure-port=${apiPort}`, `--advertise-address=127.0.0.1`,
      `--tls-cert-file=${pki.serverCrt}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.caCrt}`,
      `--service-account-issuer=${server}`, `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`, "--authorization-mode=Node,RBAC", "--allow-privileged=true",
      // No kubelets: pods never need a mounted token, and this avoids the race where a pod is created in a new
      // namespace before the service-account controller has made its `default` ServiceAccount.
      "--disable-admission-plugins=ServiceAccount", "--endpoint-reconciler-type=none", "--v=1",
      `--egress-selector-config-file=${egressConfig}`,
      ...(audit?.flags ?? []),
    ]);
    const ca = readFileSync(pki.caCrt), cert = readFileSync(pki.adminCrt), key = readFileSync(pki.adminKey);
    await waitFor("kube-apiserver /readyz", async () => (await getJSON(`${server}/readyz`, ca, cert, key)).status === 200 || undefined, 60000, api.logFile);
    timings.apiserver = Date.now() - t0;

    procs.start("kube-controller-manager", join(bins.k8s, "kube-controller-manager"), [
      `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
      "--leader-elect=false", "--use-service-account-credentials=false", `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCrt}`, `--cluster-signing-cert-file=${pki.caCrt}`, `--cluster-signing-key-file=${pki.caKey}`,
      "--controllers=*,-nodeipam,-service,-route,-cloud-node-lifecycle,-bootstrapsigner,-tokencleaner",
      "--bind-address=127.0.0.1", `--secure-port=${kcmPort}`, "--concurrent-deployment-syncs=10", "--concurrent-replicaset-syncs=10", "--v=1",
    ]);
    procs.start("kube-scheduler", join(bins.k8s, "kube-scheduler"), [
      `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
      "--leader-elect=false", "--bind-address=127.0.0.1", `--secure-port=${schedPort}`, "--v=1",
    ]);
    procs.start("kwok", join(bins.kwok, "kwok"), [
      `--kubeconfig=${kubeconfig}`, "--manage-all-nodes=false", `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      "--cidr=10.244.0.0/16", "--node-ip=10.0.0.1", `--server-address=127.0.0.1:${kwokPort}`, "--node-lease-duration-seconds=40",
    ]);
    const kubectl = join(bins.k8s, "kubectl");
    const kubectlRun = (args: string[], input?: string): string =>
      execFileSync(kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
    // The controller-manager is ready once it has created the default ServiceAccount in `default`.
    await waitFor("kube-controller-manager (default ServiceAccount)", async () => {
      kubectlRun(["get", "serviceaccount", "default", "-n", "default"]);
      return true;
    }, 60000, join(dir, "kube-controller-manager.log"));
    timings.ready = Date.now() - t0;
    writeFileSync(join(dir, "timings.json"), JSON.stringify(timings));
    return { dir, kubeconfig, server, caFile: pki.caCrt, kubectl, timings, kubectlRun, serviceRoutes, auditLog: audit?.log, stop };
  } catch (e) {
    await procs.stop();
    process.removeListener("exit", onExit);
    console.error(`[harness] control plane failed to start; logs kept in ${dir}`);
    throw e;
  }
}
