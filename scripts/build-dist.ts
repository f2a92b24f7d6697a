// `npm run build`, step 2: turns `pepr build -o build` output into the committed artefact in dist/.
// Pepr 1.1.4 writes a fresh CA, serving key, API-path token and build timestamp into its manifests on every
// build; here they are dropped (the admission pods mint them at run time, src/webhook), the RBAC is made
// least-privilege, settings come from a ConfigMap, and the pods run non-root with a read-only root filesystem.
// The output depends only on the sources: building twice gives byte-identical files (test/build).
//   tsx scripts/build-dist.ts [buildDir] [distDir]
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { peprStoreCRD } from "pepr/src/lib/assets/store";
import { iamPolicy } from "./iam-policy";
import { settingsDefaults } from "./settings-defaults";
import { MODULE_RUNTIME_ENV } from "./module-runtime";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

const root = join(__dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
export const NAME = `pepr-${pkg.pepr.uuid}`;
export const NAMESPACE = "pepr-system";
export const SETTINGS_CONFIGMAP = "capsicum-settings";
export const METRICS_SERVICE = "capsicum-metrics";
const PEPR_VERSION: string = pkg.dependencies.pepr;
const IMAGE = `ghcr.io/defenseunicorns/pepr/controller:v${PEPR_VERSION}`;
const UID = 65532; // the nonroot user of Pepr's controller image

export const WATCHER_NAME = `${NAME}-watcher`;

/**
 * The two ServiceAccounts' rules. `package.json` → `pepr.rbac` declares everything the module does (Pepr's own
 * `pepr deploy` binds that union to one ServiceAccount); dist/ splits it. The admission pods (webhooks) get only
 * what capabilities/admission.ts and src/webhook call; the watcher (controllers) gets the rest and never sees the
 * webhook's private key. Both run Pepr's store (PeprStore CRs in pepr-system); its CRD ships in capsicum.yaml, and dist/'s
 * entry (scripts/module-entry.cjs) does not apply it as Pepr's does, so neither may touch CRDs.
 */
const ADMISSION_RULES: Obj[] = [
  // NodePool review: "EC2NodeClass not found yet" warning (policies/lookups cachedExistence).
  { apiGroups: ["karpenter.k8s.aws"], resources: ["ec2nodeclasses"], verbs: ["get"] },
  // v1alpha5 Provisioner review: its AWSNodeTemplate's kubelet settings.
  { apiGroups: ["karpenter.k8s.aws"], resources: ["awsnodetemplates"], verbs: ["get"] },
  // Pod defaulting: the policy ConfigMap, by name, in the pod's namespace or pepr-system.
  { apiGroups: [""], resources: ["configmaps"], resourceNames: ["capsicum-pod-defaults"], verbs: ["get"] },
  // Run-time TLS (src/webhook): caBundle and API path into the webhook configurations...
  {
    apiGroups: ["admissionregistration.k8s.io"],
    resources: ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
    resourceNames: [NAME],
    verbs: ["get", "patch"],
  },
  // ...and the shared serving material in the shipped, data-less Secret.
  { apiGroups: [""], resources: ["secrets"], resourceNames: [`${NAME}-tls`], verbs: ["get", "patch"] },
];
/** Resources only the admission pods touch: the watcher's rules leave them out. */
const ADMISSION_ONLY = new Set([
  "secrets",
  "configmaps",
  "mutatingwebhookconfigurations",
  "validatingwebhookconfigurations",
]);
/** Pepr's controller entrypoint applies the PeprStore CRD; dist/'s own entry does not (the CRD ships in capsicum.yaml). */
const isPeprStoreCrd = (r: Obj) => r.resources.includes("customresourcedefinitions");
/** Namespaced resources whose name-restricted rules belong in a Role in pepr-system, not the ClusterRole. */
const MODULE_NAMESPACE_ONLY = new Set(["secrets"]);

function normalise(rule: Obj): Obj {
  const r: Obj = { apiGroups: rule.apiGroups, resources: rule.resources };
  let verbs: string[] = rule.verbs;
  if (rule.resourceNames) {
    r.resourceNames = rule.resourceNames;
    // `create` cannot be limited by name (the name is not known when it is authorised): the manifests ship
    // the objects (PeprStore CRD, TLS Secret), so only get/patch are needed.
    verbs = verbs.filter((v) => v !== "create");
  }
  for (const v of verbs) if (v === "*") throw new Error(`pepr.rbac: wildcard verb in ${JSON.stringify(rule)}`);
  for (const x of [...rule.apiGroups, ...rule.resources])
    if (x === "*") throw new Error(`pepr.rbac: wildcard in ${JSON.stringify(rule)}`);
  if (rule.resources.some((res: string) => MODULE_NAMESPACE_ONLY.has(res)) && !rule.resourceNames)
    throw new Error(`pepr.rbac: Secret access must name its Secret(s): ${JSON.stringify(rule)}`);
  r.verbs = [...new Set(verbs)].sort();
  return r;
}

/** True when `rules` grant every verb of `rule` on every resource (and name) it covers. */
function covered(rules: Obj[], rule: Obj): boolean {
  return rule.resources.every((res: string) =>
    rule.verbs.every((v: string) =>
      rules.some(
        (r) =>
          r.apiGroups.includes(rule.apiGroups[0]) &&
          r.resources.includes(res) &&
          r.verbs.includes(v) &&
          (!r.resourceNames || (rule.resourceNames ?? []).every((n: string) => r.resourceNames.includes(n))),
      ),
    ),
  );
}

interface Rbac {
  cluster: Obj[];
  namespaced: Obj[];
}

function rbac(clusterRole: Obj): { admission: Rbac; watcher: Rbac } {
  // Pepr's store: the PeprStore CRs live in pepr-system (Pepr's own store Role is bound to a ServiceAccount
  // that does not exist and names no resource, so it is replaced by this one).
  const store = {
    apiGroups: ["pepr.dev"],
    resources: ["peprstores"],
    verbs: ["create", "get", "list", "patch", "watch"],
  };
  const all = (clusterRole.rules as Obj[]).filter((r) => !r.apiGroups.includes("pepr.dev")).map(normalise);
  const split = (rules: Obj[]): Rbac => ({
    cluster: rules.filter((r) => !r.resources.some((res: string) => MODULE_NAMESPACE_ONLY.has(res))),
    namespaced: [store, ...rules.filter((r) => r.resources.some((res: string) => MODULE_NAMESPACE_ONLY.has(res)))],
  });
  const admission = ADMISSION_RULES.map(normalise);
  for (const r of admission)
    if (!covered(all, r))
      throw new Error(`admission rule ${JSON.stringify(r)} is not in package.json pepr.rbac (pepr deploy needs it)`);
  const watcher = all.filter((r) => !isPeprStoreCrd(r) && !r.resources.some((res: string) => ADMISSION_ONLY.has(res)));
  return { admission: split(admission), watcher: split(watcher) };
}

function entryArgs(args: string[]): string[] {
  if (args.length !== 2 || args[0] !== "/app/node_modules/pepr/dist/controller.js")
    throw new Error(
      `unexpected Pepr container args ${JSON.stringify(args)}: scripts/module-entry.cjs expects [controller.js, hash]`,
    );
  return [ENTRY_ARG, args[1]!];
}

const settingsEnvFrom = [{ configMapRef: { name: SETTINGS_CONFIGMAP } }];

function deployment(src: Obj, role: "admission" | "watcher"): Obj {
  const d = structuredClone(src);
  delete d.spec.template.metadata.annotations; // buildTimestamp: a new value on every build
  const spec = d.spec.template.spec;
  const c = spec.containers[0];
  const pod = {
    runAsUser: UID,
    runAsGroup: UID,
    fsGroup: UID,
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
  };
  const container = {
    runAsUser: UID,
    runAsGroup: UID,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  };
  spec.securityContext = pod;
  spec.serviceAccountName = role === "watcher" ? WATCHER_NAME : NAME;
  // Pepr's controller entrypoint writes the decompressed module to /app/module-<hash>.js, so /app must be
  // writable: an init container copies the image's /app (node_modules) into an emptyDir mounted there.
  spec.initContainers = [
    {
      name: "app",
      image: IMAGE,
      imagePullPolicy: "IfNotPresent",
      command: ["node", "-e", "require('fs').cpSync('/app', '/work', { recursive: true })"],
      securityContext: container,
      resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
      volumeMounts: [{ name: "app", mountPath: "/work" }],
    },
  ];
  const probe = (failureThreshold: number) => ({
    httpGet: { path: "/healthz", port: 3000, scheme: "HTTPS" },
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold,
  });
  const env = (c.env as Obj[])
    .filter((e) => e.name !== "LOG_LEVEL") // pepr build copies the builder's LOG_LEVEL; the ConfigMap sets it
    .concat([{ name: "CAPSICUM_TLS_DIR", value: "/app/tls" }, ...MODULE_RUNTIME_ENV]);
  spec.containers = [
    {
      name: c.name,
      image: IMAGE,
      imagePullPolicy: "IfNotPresent",
      // Pepr's [controller.js, <hash>] → [our entry, <hash>]: one process per pod (scripts/module-entry.cjs).
      args: entryArgs(c.args),
      env,
      envFrom: settingsEnvFrom,
      ports:
        role === "watcher"
          ? [
              { name: "https", containerPort: 3000 },
              { name: "metrics", containerPort: 8080 },
            ]
          : [{ name: "https", containerPort: 3000 }],
      // Startup allows for the initial LIST of a large cluster; liveness then restarts a wedged server.
      startupProbe: { ...probe(30), periodSeconds: 5 },
      readinessProbe: probe(3),
      livenessProbe: probe(6),
      // From `npm run bench -- scale` (README "Benchmarks"; a pod = one process, the module loaded by
      // module-entry.cjs, with MODULE_RUNTIME_ENV). Watcher: peak 222 MB on the sandbox in Karpenter's basic
      // scale-out (1,000 pods); the engine grows by ~150 from 1,000 to 20,000 pods and the Pod LIST (~4.2 KiB/pod)
      // is parsed whole at start and every relist (~250 transient at 20,000). Request = the basic-shape peak
      // (rounded up), limit = peak + growth + LIST, + 50 %. Admission: peak 159, independent of the cluster's size:
      // request = peak + 25 %, limit = 2.5 × peak.
      // One solve is single-threaded: a 500m request, bursting to 2 cores.
      resources:
        role === "watcher"
          ? { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "2", memory: "960Mi" } }
          : { requests: { cpu: "100m", memory: "200Mi" }, limits: { cpu: "1", memory: "400Mi" } },
      securityContext: container,
      volumeMounts: [
        { name: "app", mountPath: "/app" },
        { name: "module", mountPath: "/app/load", readOnly: true },
        { name: "tmp", mountPath: "/tmp" },
      ],
    },
  ];
  const moduleVolume = (spec.volumes as Obj[]).find((v) => v.name === "module");
  spec.volumes = [
    { name: "app", emptyDir: { sizeLimit: "512Mi" } },
    moduleVolume,
    { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
  ];
  return JSON.parse(JSON.stringify(d));
}

function webhook(src: Obj): Obj {
  const w = structuredClone(src);
  for (const h of w.webhooks as Obj[]) {
    delete h.clientConfig.caBundle; // patched in by the admission pods
    delete h.clientConfig.service.path; // contains the run-time API-path token
    h.clientConfig.service.port = 443;
  }
  return w;
}

/** A ServiceAccount with its ClusterRole, Role (in pepr-system) and bindings, all of the same name. */
function identity(name: string, rules: Rbac, controller: "admission" | "watcher"): Obj[] {
  const meta = { name, labels: { "pepr.dev/controller": controller } };
  const subjects = [{ kind: "ServiceAccount", name, namespace: NAMESPACE }];
  const rbacApi = "rbac.authorization.k8s.io";
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { ...meta, namespace: NAMESPACE } },
    { apiVersion: `${rbacApi}/v1`, kind: "ClusterRole", metadata: meta, rules: rules.cluster },
    {
      apiVersion: `${rbacApi}/v1`,
      kind: "ClusterRoleBinding",
      metadata: meta,
      roleRef: { apiGroup: rbacApi, kind: "ClusterRole", name },
      subjects,
    },
    { apiVersion: `${rbacApi}/v1`, kind: "Role", metadata: { ...meta, namespace: NAMESPACE }, rules: rules.namespaced },
    {
      apiVersion: `${rbacApi}/v1`,
      kind: "RoleBinding",
      metadata: { ...meta, namespace: NAMESPACE },
      roleRef: { apiGroup: rbacApi, kind: "Role", name },
      subjects,
    },
  ];
}

export function transform(docs: Obj[]): Obj[] {
  const find = (kind: string, name: string) => {
    const o = docs.find((d) => d.kind === kind && d.metadata?.name === name);
    if (!o) throw new Error(`pepr build output has no ${kind} ${name}`);
    return o;
  };
  const roles = rbac(find("ClusterRole", NAME));
  const watcherDeploy = find("Deployment", `${NAME}-watcher`);
  const out: Obj[] = [
    // Shipped so that the controller's own apply of it is a patch (create cannot be restricted by name).
    peprStoreCRD as Obj,
    find("Namespace", NAMESPACE),
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: SETTINGS_CONFIGMAP, namespace: NAMESPACE },
      data: settingsDefaults(),
    },
    ...identity(NAME, roles.admission, "admission"),
    ...identity(WATCHER_NAME, roles.watcher, "watcher"),
    {
      // Filled by the admission pods at run time (CA, serving cert and key, API path); shipped empty.
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${NAME}-tls`, namespace: NAMESPACE },
      type: "Opaque",
    },
    moduleSecret(find("Secret", `${NAME}-module`)),
    find("Service", NAME),
    find("Service", `${NAME}-watcher`),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: METRICS_SERVICE, namespace: NAMESPACE, labels: { "pepr.dev/controller": "watcher" } },
      spec: {
        selector: watcherDeploy.spec.selector.matchLabels,
        ports: [{ name: "metrics", port: 8080, targetPort: "metrics" }],
      },
    },
    deployment(find("Deployment", NAME), "admission"),
    deployment(watcherDeploy, "watcher"),
    webhook(find("MutatingWebhookConfiguration", NAME)),
    webhook(find("ValidatingWebhookConfiguration", NAME)),
  ];
  return out;
}

/** Kubernetes rejects a Secret over 1 MiB of data, so the module must fit in one (Pepr ships it gzipped, base64). */
export const SECRET_LIMIT_BYTES = 1024 * 1024;

/** The pods' entry (scripts/module-entry.cjs): unpacks and checks the module as Pepr's entrypoint, then runs it in-process. */
export const MODULE_ENTRY = "capsicum-entry.js";
const ENTRY_ARG = `/app/load/${MODULE_ENTRY}`;

function moduleSecret(src: Obj): Obj {
  const secret = structuredClone(src);
  secret.data = {
    ...secret.data,
    [MODULE_ENTRY]: readFileSync(join(__dirname, "module-entry.cjs")).toString("base64"),
  };
  const bytes = Object.values((secret.data ?? {}) as Record<string, string>).reduce((n, v) => n + v.length, 0);
  if (bytes > SECRET_LIMIT_BYTES)
    throw new Error(
      `the module Secret holds ${bytes} bytes, over Kubernetes' ${SECRET_LIMIT_BYTES}-byte limit: keep large data ` +
        "out of the module (the AWS SDK resolves to its tree-shaken ES build through src/cloudprovider/aws/tsconfig.json)",
    );
  if (bytes > 0.9 * SECRET_LIMIT_BYTES)
    console.warn(
      `warning: the module Secret holds ${bytes} bytes, ${Math.round((100 * bytes) / SECRET_LIMIT_BYTES)}% of the 1 MiB limit`,
    );
  return secret;
}

export function render(docs: Obj[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0, sortMapEntries: false })).join("---\n");
}

function main(): void {
  const buildDir = process.argv[2] ?? join(root, "build");
  const distDir = process.argv[3] ?? join(root, "dist");
  const yamlFile = readdirSync(buildDir).find((f) => /^pepr-module-.*\.yaml$/.test(f));
  if (!yamlFile) throw new Error(`no pepr-module-*.yaml in ${buildDir}: run \`pepr build -o ${buildDir}\` first`);
  const docs = parseAllDocuments(readFileSync(join(buildDir, yamlFile), "utf8")).map((d) => d.toJS() as Obj);
  mkdirSync(distDir, { recursive: true });
  for (const f of readdirSync(distDir)) if (f !== "README.md") rmSync(join(distDir, f), { recursive: true });
  writeFileSync(join(distDir, "capsicum.yaml"), render(transform(docs)));
  writeFileSync(join(distDir, "iam-policy.json"), JSON.stringify(iamPolicy(), null, 2) + "\n");
  console.log(`dist/: capsicum.yaml, iam-policy.json (from ${join(buildDir, yamlFile)})`);
}

if (require.main === module) main();
