// The committed artefact (dist/): secret-free, least-privilege, settings and pod hardening in place.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

/* eslint-disable @typescript-eslint/no-explicit-any */
const dist = join(__dirname, "../../../dist");
const text = readFileSync(join(dist, "capsicum.yaml"), "utf8");
const docs = parseAllDocuments(text).map((d) => d.toJS() as any);
const get = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
const pkg = JSON.parse(readFileSync(join(__dirname, "../../../package.json"), "utf8"));

/** Minimal RBAC evaluation (as the apiserver's rule resolver): does any rule allow verb on resource[/sub] (name)? */
export function allows(rules: any[], group: string, resource: string, verb: string, name?: string): boolean {
  return rules.some(
    (r) =>
      r.apiGroups.includes(group) &&
      r.resources.includes(resource) &&
      r.verbs.includes(verb) &&
      (!r.resourceNames || (name !== undefined && r.resourceNames.includes(name))),
  );
}

describe("dist/ (the committed artefact)", () => {
  it("holds only the artefact files", () => {
    expect(readdirSync(dist).sort()).toEqual(["README.md", "capsicum.yaml", "iam-policy.json"]);
  });

  it("contains no private key, certificate, caBundle, API-path token or build timestamp", () => {
    const all = readdirSync(dist)
      .map((f) => readFileSync(join(dist, f), "utf8"))
      .join("\n");
    const decodedSecrets = docs
      .filter((d) => d.kind === "Secret" && d.data)
      .flatMap((d) => Object.keys(d.data));
    for (const bad of [/PRIVATE KEY/, /BEGIN CERTIFICATE/, /buildTimestamp/, /LS0tLS1CRUdJTi/]) {
      expect(all).not.toMatch(bad);
    }
    expect(text).not.toMatch(/caBundle|api-path|tls\.key/);
    // No 64-hex API path (the module Secret's key carries the sha256 of the code, which is public).
    const hex = [...all.matchAll(/\b[0-9a-f]{64}\b/g)].map((m) => m[0]);
    const moduleHash = docs.find((d) => d.metadata.name === "pepr-capsicum-module");
    const hash = Object.keys(moduleHash.data)
      .find((k) => k.endsWith(".js.gz"))!
      .replace(/^module-|\.js\.gz$/g, "");
    expect(new Set(hex)).toEqual(new Set([hash]));
    expect(decodedSecrets).toEqual([`module-${hash}.js.gz`, "capsicum-entry.js"]);
    const tls = get("Secret", "pepr-capsicum-tls");
    expect(tls.data).toBeUndefined();
    for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
      for (const w of get(kind, "pepr-capsicum").webhooks) {
        expect(w.clientConfig.caBundle).toBeUndefined();
        expect(w.clientConfig.service.path).toBeUndefined();
      }
      expect(get(kind, "pepr-capsicum").metadata.ownerReferences).toBeUndefined();
    }
  });

  // The watcher (controllers) and the admission pods (webhooks) run as separate ServiceAccounts.
  const cluster = get("ClusterRole", "pepr-capsicum-watcher").rules;
  const ns = get("Role", "pepr-capsicum-watcher").rules;
  const admCluster = get("ClusterRole", "pepr-capsicum").rules;
  const admNs = get("Role", "pepr-capsicum").rules;
  const bound = (kind: string, name: string) => get(kind, name).subjects;

  it("binds each role to its own ServiceAccount only", () => {
    for (const [name, kind] of [
      ["pepr-capsicum", "ClusterRoleBinding"],
      ["pepr-capsicum", "RoleBinding"],
      ["pepr-capsicum-watcher", "ClusterRoleBinding"],
      ["pepr-capsicum-watcher", "RoleBinding"],
    ]) {
      expect(bound(kind, name)).toEqual([{ kind: "ServiceAccount", name, namespace: "pepr-system" }]);
      expect(get(kind, name).roleRef.name).toBe(name);
    }
  });

  it("grants each row of the RBAC table and no wildcard", () => {
    const rows: [string, string, string[]][] = [
      ["karpenter.sh", "nodeclaims", ["get", "list", "watch", "create", "patch", "delete"]],
      ["karpenter.sh", "nodeclaims/status", ["patch"]],
      ["karpenter.sh", "nodepools", ["get", "list", "watch"]],
      ["karpenter.sh", "nodepools/status", ["patch"]],
      ["karpenter.sh", "nodeoverlays", ["get", "list", "watch"]],
      ["karpenter.sh", "nodeoverlays/status", ["patch"]],
      ["karpenter.k8s.aws", "ec2nodeclasses", ["get", "list", "watch"]],
      ["karpenter.k8s.aws", "ec2nodeclasses/status", ["patch"]],
      ["", "nodes", ["patch", "delete"]],
      // get: a drain re-reads each pod from the apiserver before evicting it (never on a stale cache).
      ["", "pods", ["get", "list", "watch", "delete"]],
      ["", "pods/eviction", ["create"]],
      ["", "events", ["create"]],
      // Volume topology, attach limits and the termination's wait for volumes to detach: read-only.
      ["", "persistentvolumeclaims", ["get", "list", "watch"]],
      ["", "persistentvolumes", ["get", "list", "watch"]],
      ["storage.k8s.io", "storageclasses", ["get", "list", "watch"]],
      ["storage.k8s.io", "csinodes", ["get", "list", "watch"]],
      ["storage.k8s.io", "volumeattachments", ["get", "list", "watch"]],
      // Namespace labels for pod affinity namespaceSelectors: read-only.
      ["", "namespaces", ["get", "list", "watch"]],
    ];
    for (const [g, r, verbs] of rows) for (const v of verbs) expect([g, r, v, allows(cluster, g, r, v)]).toEqual([g, r, v, true]);
    expect(allows(admCluster, "", "configmaps", "get", "capsicum-pod-defaults")).toBe(true);
    expect(allows(admCluster, "", "configmaps", "get", "other")).toBe(false);
    // The kube-dns Service, by name only (Karpenter's KubeDNSIP: default clusterDNS, the cluster's IP family).
    expect(allows(cluster, "", "services", "get", "kube-dns")).toBe(true);
    expect(allows(cluster, "", "services", "get", "other")).toBe(false);
    expect(allows(cluster, "", "services", "list")).toBe(false);
    for (const r of [...cluster, ...ns, ...admCluster, ...admNs]) {
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain("*");
    }
  });

  it("the watcher reads no Secret, patches no webhook, and cannot create pods or CRDs", () => {
    for (const r of [...cluster, ...ns]) expect(r.resources).not.toContain("secrets");
    expect(allows(cluster, "admissionregistration.k8s.io", "validatingwebhookconfigurations", "patch", "pepr-capsicum")).toBe(false);
    expect(allows(cluster, "", "configmaps", "get", "capsicum-pod-defaults")).toBe(false);
    expect(allows(cluster, "", "pods", "create")).toBe(false);
    for (const [g, r] of [["", "persistentvolumeclaims"], ["", "persistentvolumes"], ["storage.k8s.io", "volumeattachments"], ["storage.k8s.io", "csinodes"], ["", "namespaces"]])
      for (const v of ["create", "patch", "delete"]) expect([r, v, allows(cluster, g!, r!, v)]).toEqual([r, v, false]);
    expect(allows(cluster, "apiextensions.k8s.io", "customresourcedefinitions", "create")).toBe(false);
    // The PeprStore CRD ships in capsicum.yaml; dist/'s entry does not apply it as Pepr's controller.js does.
    expect(allows(cluster, "apiextensions.k8s.io", "customresourcedefinitions", "patch", "peprstores.pepr.dev")).toBe(false);
    expect(allows(cluster, "apiextensions.k8s.io", "customresourcedefinitions", "patch", "nodepools.karpenter.sh")).toBe(false);
    expect(allows(ns, "pepr.dev", "peprstores", "watch")).toBe(true);
  });

  it("the admission pods read their policy and own Secret and patch their webhooks, and hold none of the watcher's writes", () => {
    expect(admCluster.some((r: any) => r.resources.includes("secrets"))).toBe(false);
    expect(allows(admNs, "", "secrets", "get", "pepr-capsicum-tls")).toBe(true);
    expect(allows(admNs, "", "secrets", "patch", "pepr-capsicum-tls")).toBe(true);
    expect(allows(admNs, "", "secrets", "get", "other")).toBe(false);
    expect(allows(admNs, "", "secrets", "list")).toBe(false);
    for (const kind of ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]) {
      expect(allows(admCluster, "admissionregistration.k8s.io", kind, "patch", "pepr-capsicum")).toBe(true);
      expect(allows(admCluster, "admissionregistration.k8s.io", kind, "patch", "other")).toBe(false);
    }
    expect(allows(admCluster, "karpenter.k8s.aws", "ec2nodeclasses", "get")).toBe(true);
    expect(allows(admCluster, "", "configmaps", "get", "capsicum-pod-defaults")).toBe(true);
    expect(allows(admNs, "pepr.dev", "peprstores", "watch")).toBe(true);
    for (const [g, r, v] of [
      ["karpenter.sh", "nodeclaims", "create"],
      ["karpenter.sh", "nodepools", "list"],
      ["karpenter.k8s.aws", "ec2nodeclasses", "patch"],
      ["", "nodes", "delete"],
      ["", "pods", "list"],
      ["", "pods/eviction", "create"],
      ["", "events", "create"],
      ["", "pods", "create"],
      ["", "persistentvolumeclaims", "list"],
      ["storage.k8s.io", "volumeattachments", "list"],
    ])
      expect([g, r, v, allows(admCluster, g, r, v)]).toEqual([g, r, v, false]);
  });

  it("is generated from package.json pepr.rbac: every declared rule is held by one of the two ServiceAccounts", () => {
    const admissionOnly = ["secrets", "configmaps", "mutatingwebhookconfigurations", "validatingwebhookconfigurations"];
    // Except the PeprStore CRD's: only Pepr's controller.js applies it (`pepr deploy`); dist/'s entry does not.
    for (const rule of pkg.pepr.rbac.filter((r: any) => !r.resources.includes("customresourcedefinitions"))) {
      const admission = rule.resources.some((r: string) => admissionOnly.includes(r));
      const where = rule.resources.includes("secrets") ? admNs : admission ? admCluster : cluster;
      for (const res of rule.resources)
        for (const v of rule.verbs.filter((x: string) => x !== "create" || !rule.resourceNames))
          expect([res, v, allows(where, rule.apiGroups[0], res, v, rule.resourceNames?.[0])]).toEqual([res, v, true]);
    }
  });

  it("runs non-root on a read-only root filesystem with probes, resources and the settings ConfigMap", () => {
    const settings = get("ConfigMap", "capsicum-settings");
    expect(Object.keys(settings.data)).toEqual(expect.arrayContaining(["CLUSTER_NAME", "AWS_REGION", "FEATURE_GATES", "METRICS_PORT"]));
    const moduleKey = Object.keys(get("Secret", "pepr-capsicum-module").data).find((k) => k.endsWith(".js.gz"))!;
    const hash = moduleKey.replace(/^module-|\.js\.gz$/g, "");
    for (const name of ["pepr-capsicum", "pepr-capsicum-watcher"]) {
      const spec = get("Deployment", name).spec.template.spec;
      expect(spec.serviceAccountName).toBe(name);
      for (const c of [...spec.containers, ...spec.initContainers]) {
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(c.resources.requests.memory).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
      }
      const c = spec.containers[0];
      expect(c.envFrom).toEqual([{ configMapRef: { name: "capsicum-settings" } }]);
      expect(c.readinessProbe.httpGet.path).toBe("/healthz");
      expect(c.livenessProbe.httpGet.path).toBe("/healthz");
      // dist/'s own entry, shipped in the module Secret: it checks the module's hash and runs it in-process.
      expect(c.args).toEqual(["/app/load/capsicum-entry.js", hash]);
    }
    const metrics = get("Service", "capsicum-metrics");
    expect(metrics.spec.ports[0].port).toBe(8080);
    expect(metrics.spec.selector).toEqual(get("Deployment", "pepr-capsicum-watcher").spec.selector.matchLabels);
  });

  it("ships an IAM policy with tag-conditioned TerminateInstances and PassRole limited to the node role", () => {
    const policy = JSON.parse(readFileSync(join(dist, "iam-policy.json"), "utf8"));
    const stmt = (action: string) => policy.Statement.filter((s: any) => [s.Action].flat().includes(action));
    const term = stmt("ec2:TerminateInstances");
    expect(term).toHaveLength(1);
    expect(term[0].Condition.StringEquals["aws:ResourceTag/kubernetes.io/cluster/${CLUSTER_NAME}"]).toBe("owned");
    const pass = stmt("iam:PassRole");
    expect(pass[0].Resource).toMatch(/:role\/\$\{NODE_ROLE_NAME\}$/);
    for (const a of ["eks:DescribeCluster", "pricing:GetProducts", "ssm:GetParameter", "ec2:DescribeInstanceTypes", "ec2:CreateFleet"])
      expect([a, stmt(a).length > 0]).toEqual([a, true]);
    expect(policy.Statement.every((s: any) => ![s.Action].flat().includes("*"))).toBe(true);
  });
});
