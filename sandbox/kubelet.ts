// What the kubelet (configured by the AMI's bootstrap) does with a BootConfig: validates its flags and
// configuration the way the kubelet refuses to start, and computes the Node it registers: labels (--node-labels
// plus its own), taints (registerWithTaints / --register-with-taints, nothing else), capacity from the instance
// type and allocatable = capacity - kubeReserved - systemReserved - evictionHard.
// Defaults are the EKS AMIs' (nodeadm's kubelet config): maxPods from the ENI formula, kubeReserved from the
// instance size, evictionHard memory.available=100Mi, nodefs.available=10%.
import { BootConfig, BootError } from "./userData";
import kubeletLabelData from "../policies/data/kubeletLabels.json";

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** The instance type as DescribeInstanceTypes reports it (the fields the kubelet and its plugins see). */
export interface InstanceTypeFacts {
  name: string;
  vcpus: number;
  memoryMiB: number;
  arch: "amd64" | "arm64";
  maxEnis: number;
  ipv4PerEni: number;
  gpus?: { resource: string; count: number };
  /** vpc.amazonaws.com/pod-eni branch interfaces the VPC resource controller advertises (trunking types). */
  podEni?: number;
  /** Instance-store disks in total, GB (InstanceStorageInfo.TotalSizeInGB). */
  instanceStoreGB?: number;
}

export interface Resources {
  [name: string]: string;
}

export interface KubeletNode {
  labels: Record<string, string>;
  taints: Taint[];
  capacity: Resources;
  allocatable: Resources;
  maxPods: number;
}

// k8s.io/kubernetes pkg/kubelet/apis: the labels and namespaces a kubelet may set on its own Node. Only the list
// is shared with admission (a data file); this kubelet's refusal is its own code, so the sandbox can say no.
const KUBELET_LABELS: readonly string[] = kubeletLabelData.labels;
const KUBELET_LABEL_NAMESPACES: readonly string[] = kubeletLabelData.namespaces;

const inDomain = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.includes(key)) return true;
  const ns = key.includes("/") ? key.slice(0, key.indexOf("/")) : "";
  return KUBELET_LABEL_NAMESPACES.some((allowed) => inDomain(ns, allowed));
}

function isKubernetesLabel(key: string): boolean {
  const ns = key.includes("/") ? key.slice(0, key.indexOf("/")) : "";
  return inDomain(ns, "kubernetes.io") || inDomain(ns, "k8s.io");
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelKeyErrors(key: string): string[] {
  const parts = key.split("/");
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  const errs: string[] = [];
  if (parts.length > 2) errs.push("a qualified name must consist of alphanumeric characters, '-', '_' or '.'");
  if (parts.length === 2 && (!DNS_SUBDOMAIN.test(parts[0]!) || parts[0]!.length > 253)) {
    errs.push(
      "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'",
    );
  }
  if (!name || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return errs;
}

function labelValueErrors(v: string): string[] {
  if (v === "") return [];
  if (v.length > 63) return ["must be no more than 63 characters"];
  return QUALIFIED_NAME.test(v)
    ? []
    : [
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      ];
}

/** The kubelet's --node-labels validation (cmd/kubelet/app/options ValidateKubeletFlags), same wording. */
export function validateNodeLabels(labels: Record<string, string>): void {
  const unknown = Object.keys(labels)
    .filter((k) => isKubernetesLabel(k) && !isKubeletLabel(k))
    .sort();
  if (unknown.length) {
    throw new BootError(
      "kubelet",
      `failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [${unknown.join(" ")}]\n` +
        `--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (${KUBELET_LABEL_NAMESPACES.join(", ")}) ` +
        `or be in the specifically allowed set (${KUBELET_LABELS.join(", ")})`,
    );
  }
  const invalid: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const ke = labelKeyErrors(k);
    if (ke.length) invalid.push(`'${k}' - ${ke.join(", ")}`);
    const ve = labelValueErrors(v);
    if (ve.length) invalid.push(`'${v}' - ${ve.join(", ")}`);
  }
  if (invalid.length)
    throw new BootError("kubelet", `failed to validate kubelet flags: invalid node labels: ${invalid.join("; ")}`);
}

// ---- flags ----------------------------------------------------------------------------------------------

export interface KubeletFlags {
  nodeLabels: Record<string, string>;
  registerWithTaints?: Taint[];
  maxPods?: number;
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
}

function mapFlag(v: string, sep: "=" | "<"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of v.split(",").filter(Boolean)) {
    const i = kv.indexOf(sep);
    if (i < 0) throw new BootError("kubelet", `invalid argument "${v}": missing "${sep}" in "${kv}"`);
    out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return out;
}

const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

export function parseTaint(spec: string, flag = "--register-with-taints"): Taint {
  const i = spec.lastIndexOf(":");
  const kv = i >= 0 ? spec.slice(0, i) : spec;
  const effect = i >= 0 ? spec.slice(i + 1) : "";
  const eq = kv.indexOf("=");
  const key = eq >= 0 ? kv.slice(0, eq) : kv;
  const value = eq >= 0 ? kv.slice(eq + 1) : undefined;
  if (!EFFECTS.includes(effect)) {
    throw new BootError(
      "kubelet",
      `invalid argument "${spec}" for "${flag}" flag: invalid taint effect: ${effect}, unsupported taint effect`,
    );
  }
  if (labelKeyErrors(key).length)
    throw new BootError("kubelet", `invalid argument "${spec}" for "${flag}" flag: invalid taint key: ${key}`);
  return { key, ...(value ? { value } : {}), effect };
}

/** Parses the flags the kubelet cares about here; repeated --node-labels merge (later wins), like pflag's mapStringString. */
export function parseKubeletFlags(flags: string[]): KubeletFlags {
  const out: KubeletFlags = { nodeLabels: {} };
  for (let i = 0; i < flags.length; i++) {
    let f = flags[i]!;
    let v: string | undefined;
    const eq = f.indexOf("=");
    if (eq >= 0) {
      v = f.slice(eq + 1);
      f = f.slice(0, eq);
    } else if (flags[i + 1] !== undefined && !flags[i + 1]!.startsWith("--")) {
      v = flags[++i];
    }
    v = (v ?? "").replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
    switch (f) {
      case "--node-labels":
        Object.assign(out.nodeLabels, mapFlag(v, "="));
        break;
      case "--register-with-taints":
        out.registerWithTaints = v
          .split(",")
          .filter(Boolean)
          .map((t) => parseTaint(t));
        break;
      case "--max-pods":
        out.maxPods = Number(v);
        if (!Number.isInteger(out.maxPods))
          throw new BootError(
            "kubelet",
            `invalid argument "${v}" for "--max-pods" flag: strconv.ParseInt: parsing "${v}": invalid syntax`,
          );
        break;
      case "--kube-reserved":
        out.kubeReserved = mapFlag(v, "=");
        break;
      case "--system-reserved":
        out.systemReserved = mapFlag(v, "=");
        break;
      case "--eviction-hard":
        out.evictionHard = mapFlag(v, "<");
        break;
    }
  }
  return out;
}

// ---- quantities -----------------------------------------------------------------------------------------

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const SUFFIX: Record<string, number> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A resource.Quantity as a number of base units (cores, bytes); throws the apimachinery message when malformed. */
export function parseQuantity(q: string, where: string): number {
  const m = QUANTITY.exec(String(q).trim());
  const mult = m ? SUFFIX[m[2]!] : undefined;
  if (!m || mult === undefined || Number.isNaN(Number(m[1]))) {
    throw new BootError(
      "kubelet",
      `failed to validate kubelet configuration: ${where}: "${q}": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  }
  return Number(m[1]) * mult;
}

/** An eviction threshold: an absolute quantity or a percentage of capacity. */
function threshold(v: string, capacity: number, where: string): number {
  if (/%$/.test(v.trim())) {
    const pct = Number(v.trim().slice(0, -1));
    if (!Number.isFinite(pct) || pct < 0 || pct > 100)
      throw new BootError("kubelet", `failed to validate kubelet configuration: ${where}: invalid percentage "${v}"`);
    return (capacity * pct) / 100;
  }
  return parseQuantity(v, where);
}

// ---- EKS defaults ---------------------------------------------------------------------------------------

/** The ENI-based max pods every EKS AMI defaults to: ENIs × (IPv4 per ENI − 1) + 2. */
export function eniMaxPods(t: InstanceTypeFacts): number {
  return t.maxEnis * (t.ipv4PerEni - 1) + 2;
}

/** kubeReserved cpu in millicores: 6 % of the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % above. */
export function cpuToReserveMillis(vcpus: number): number {
  const total = vcpus * 1000;
  const ranges = [0, 1000, 2000, 4000, total];
  const per10k = [600, 100, 50, 25];
  let reserve = 0;
  per10k.forEach((pct, i) => {
    const start = ranges[i]!;
    const end = ranges[i + 1]!;
    if (total <= start) return;
    reserve += ((Math.min(total, end) - start) * pct) / 10000;
  });
  return Math.floor(reserve);
}

export const DEFAULT_EVICTION_HARD: Record<string, string> = {
  "memory.available": "100Mi",
  "nodefs.available": "10%",
  "nodefs.inodesFree": "5%",
};

// ---- the Node ---------------------------------------------------------------------------------------------

export interface NodeFacts {
  nodeName: string;
  zone: string;
  region: string;
  os: "linux" | "windows";
  /** GiB of the EBS volume the kubelet's filesystem is on (the root volume; Bottlerocket's data volume). */
  rootVolumeGiB: number;
  /** Memory the kernel and firmware keep from the nominal size (a real m5.large reports ~5 % below 8 GiB). */
  memoryOverheadPercent: number;
}

function asStringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v))
    throw new BootError("kubelet", `failed to validate kubelet configuration: ${where} must be a map`);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
}

function taintsOf(v: unknown): Taint[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v))
    throw new BootError("kubelet", "failed to validate kubelet configuration: registerWithTaints must be a list");
  return v.map((t) => {
    const o = (t ?? {}) as Record<string, unknown>;
    const spec = `${String(o.key ?? "")}${o.value ? `=${String(o.value)}` : ""}:${String(o.effect ?? "")}`;
    return parseTaint(spec, "registerWithTaints");
  });
}

const fmtMillis = (cores: number) => (Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`);
const fmtKi = (bytes: number) => `${Math.floor(bytes / 1024)}Ki`;

/**
 * The Node the kubelet registers for this boot config on this instance type. Throws BootError where the kubelet
 * would refuse to start. Extended resources (GPUs, pod-eni) are not here: their plugins add them later.
 */
export function kubeletNode(boot: BootConfig, t: InstanceTypeFacts, facts: NodeFacts): KubeletNode {
  const flags = parseKubeletFlags(boot.kubeletFlags);
  validateNodeLabels(flags.nodeLabels);
  const cfg = boot.kubeletConfig;
  // Flags win over the config file, as in the kubelet.
  const eniPods = eniMaxPods(t);
  const cfgMaxPods = cfg.maxPods === undefined ? undefined : Number(cfg.maxPods);
  if (cfgMaxPods !== undefined && !Number.isInteger(cfgMaxPods)) {
    throw new BootError(
      "kubelet",
      `failed to validate kubelet configuration: maxPods "${String(cfg.maxPods)}" is not an integer`,
    );
  }
  const maxPods = flags.maxPods ?? cfgMaxPods ?? eniPods;
  if (maxPods < 0)
    throw new BootError(
      "kubelet",
      `failed to validate kubelet configuration: invalid configuration: maxPods (--max-pods) ${maxPods} must not be a negative number`,
    );
  // nodeadm's default kubeReserved (sized from the ENI max pods), overridden key by key by the user's config.
  const defaultKubeReserved: Record<string, string> = {
    cpu: `${cpuToReserveMillis(t.vcpus)}m`,
    "ephemeral-storage": "1Gi",
    memory: `${11 * eniPods + 255}Mi`,
  };
  const kubeReserved = {
    ...defaultKubeReserved,
    ...asStringMap(cfg.kubeReserved, "kubeReserved"),
    ...flags.kubeReserved,
  };
  const systemReserved = { ...asStringMap(cfg.systemReserved, "systemReserved"), ...flags.systemReserved };
  const evictionHard = {
    ...DEFAULT_EVICTION_HARD,
    ...asStringMap(cfg.evictionHard, "evictionHard"),
    ...flags.evictionHard,
  };
  const taints = flags.registerWithTaints ?? taintsOf(cfg.registerWithTaints) ?? [];

  const cpu = t.vcpus;
  const memory = Math.floor(t.memoryMiB * (1 - facts.memoryOverheadPercent / 100)) * 2 ** 20;
  // RAID0: the bootstrap arrays the instance-store disks under /var/lib/kubelet, so nodefs is the array.
  const storage =
    boot.localStorage === "RAID0" && t.instanceStoreGB ? t.instanceStoreGB * 1e9 : facts.rootVolumeGiB * 2 ** 30;
  const reserved = (name: string, capacity: number) => {
    let r = 0;
    for (const [src, m] of [
      ["kubeReserved", kubeReserved],
      ["systemReserved", systemReserved],
    ] as const) {
      if (m[name] !== undefined) r += parseQuantity(m[name]!, `${src}[${name}]`);
    }
    const ev = { memory: "memory.available", "ephemeral-storage": "nodefs.available" }[name];
    if (ev && evictionHard[ev] !== undefined) r += threshold(evictionHard[ev]!, capacity, `evictionHard[${ev}]`);
    return r;
  };
  for (const [src, m] of [
    ["kubeReserved", kubeReserved],
    ["systemReserved", systemReserved],
  ] as const) {
    for (const [k, v] of Object.entries(m)) parseQuantity(v, `${src}[${k}]`);
  }
  const allocCpu = Math.max(0, cpu - reserved("cpu", cpu));
  const allocMem = Math.max(0, memory - reserved("memory", memory));
  const allocStorage = Math.max(0, storage - reserved("ephemeral-storage", storage));

  const labels: Record<string, string> = {
    "kubernetes.io/hostname": facts.nodeName,
    "kubernetes.io/os": facts.os,
    "kubernetes.io/arch": t.arch,
    ...flags.nodeLabels,
    // the cloud node controller's, from the instance
    "node.kubernetes.io/instance-type": t.name,
    "topology.kubernetes.io/zone": facts.zone,
    "topology.kubernetes.io/region": facts.region,
  };
  return {
    labels,
    taints,
    maxPods,
    capacity: {
      cpu: String(cpu),
      memory: fmtKi(memory),
      "ephemeral-storage": fmtKi(storage),
      pods: String(maxPods),
      "hugepages-1Gi": "0",
      "hugepages-2Mi": "0",
    },
    allocatable: {
      cpu: fmtMillis(Math.floor(allocCpu * 1000) / 1000),
      memory: fmtKi(allocMem),
      "ephemeral-storage": String(Math.floor(allocStorage)),
      pods: String(maxPods),
      "hugepages-1Gi": "0",
      "hugepages-2Mi": "0",
    },
  };
}

/** The extended resources device plugins / the VPC resource controller add once they run. */
export function extendedResources(t: InstanceTypeFacts): Resources {
  const out: Resources = {};
  if (t.gpus && t.gpus.count > 0) out[t.gpus.resource] = String(t.gpus.count);
  if (t.podEni && t.podEni > 0) out["vpc.amazonaws.com/pod-eni"] = String(t.podEni);
  return out;
}
