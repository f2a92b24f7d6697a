// What a booting instance's bootstrap makes of its user data, per AMI family, as one BootConfig: the cluster
// settings (name, endpoint, CA, service CIDR) and the kubelet's configuration + flags. Each family is decoded the
// way its own bootstrap reads it:
//   al2023        nodeadm: MIME multipart, every `application/node.eks.aws` part a NodeConfig, merged in order
//                 (later non-empty fields win, kubelet flags appended, kubelet config merged key by key);
//                 a bare NodeConfig document is accepted too.
//   al2           the `/etc/eks/bootstrap.sh <cluster> --apiserver-endpoint --b64-cluster-ca --dns-cluster-ip
//                 --kubelet-extra-args ...` line of the shell script;
//   bottlerocket  TOML `[settings.kubernetes]` (cluster-name, api-server, cluster-certificate, node-labels, ...);
//   windows       the `<powershell>` block's Start-EKSBootstrap.ps1 arguments.
// A decoding failure throws BootError with the bootstrap's own wording.
import { parseAllDocuments } from "yaml";

export type AmiFamily = "al2023" | "al2" | "bottlerocket" | "windows";

export interface ClusterDetails {
  name?: string;
  apiServerEndpoint?: string;
  /** base64 of the PEM bundle, as NodeConfig and EKS carry it. */
  certificateAuthority?: string;
  /** The cluster's service CIDR (nodeadm derives clusterDNS from it). */
  cidr?: string;
}

export interface BootConfig {
  family: AmiFamily;
  cluster: ClusterDetails;
  /** KubeletConfiguration fields (camelCase), e.g. maxPods, kubeReserved, evictionHard, registerWithTaints. */
  kubeletConfig: Record<string, unknown>;
  /** kubelet command-line flags, in order (`--node-labels=a=b,c=d`, ...). */
  kubeletFlags: string[];
  /** AL2's bootstrap.sh and Windows' Start-EKSBootstrap.ps1 call eks:DescribeCluster for a missing endpoint/CA. */
  describesClusterWhenMissing: boolean;
  /**
   * What the bootstrap does with instance-store disks: RAID0 arrays them under the kubelet's and containerd's
   * directories (pods' ephemeral storage is then the disks, not the root volume); Mount mounts each separately.
   */
  localStorage?: "RAID0" | "Mount";
}

/** A bootstrap refusing to go on; `component` names who says so (nodeadm, bootstrap.sh, kubelet, ...). */
export class BootError extends Error {
  constructor(
    readonly component: string,
    message: string,
  ) {
    super(message);
  }
}

export function decodeUserData(family: AmiFamily, userData: string): BootConfig {
  switch (family) {
    case "al2023":
      return decodeNodeadm(userData);
    case "al2":
      return decodeBootstrapSh(userData);
    case "bottlerocket":
      return decodeBottlerocket(userData);
    case "windows":
      return decodeWindows(userData);
  }
}

/** The family of an AMI from its name, as the EKS-optimized images are named; undefined for a custom image. */
export function familyOfImage(name: string | undefined, platform?: string): AmiFamily | undefined {
  const n = (name ?? "").toLowerCase();
  if (platform?.toLowerCase() === "windows" || n.startsWith("windows_server")) return "windows";
  if (n.includes("bottlerocket")) return "bottlerocket";
  if (n.startsWith("amazon-eks-node-al2023")) return "al2023";
  if (/^amazon-eks-(arm64-|gpu-)?node-1\./.test(n)) return "al2";
  return undefined;
}

/** For a custom AMI: guess the bootstrap from the user data itself (what the user's own image would run). */
export function sniffFamily(userData: string): AmiFamily {
  if (/<powershell>/i.test(userData)) return "windows";
  if (/^\s*\[settings(\.|\])/m.test(userData)) return "bottlerocket";
  if (/\/etc\/eks\/bootstrap\.sh/.test(userData) && !/application\/node\.eks\.aws/.test(userData)) return "al2";
  return "al2023";
}

// ---- AL2023 / nodeadm ------------------------------------------------------------------------------------

interface Part {
  contentType: string;
  body: string;
}

function mimeParts(text: string): Part[] | undefined {
  const header = text.split(/\r?\n\r?\n/, 1)[0] ?? "";
  if (!/^Content-Type:\s*multipart\//im.test(header)) return undefined;
  const boundary = /boundary="?([^"\r\n;]+)"?/i.exec(header)?.[1];
  if (!boundary) throw new BootError("nodeadm", "Command failed: no boundary parameter in the multipart Content-Type");
  const parts: Part[] = [];
  for (const chunk of text.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith("--")) break;
    const body = chunk.replace(/^\r?\n/, "");
    const sep = /\r?\n\r?\n/.exec(body);
    const head = sep ? body.slice(0, sep.index) : body;
    const content = sep ? body.slice(sep.index + sep[0].length) : "";
    const ct = /^Content-Type:\s*([^\r\n;]+)/im.exec(head)?.[1]?.trim().toLowerCase() ?? "text/plain";
    let decoded = content;
    if (/^Content-Transfer-Encoding:\s*base64/im.test(head)) decoded = Buffer.from(content, "base64").toString("utf8");
    parts.push({ contentType: ct, body: decoded });
  }
  return parts;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge with override, as nodeadm's kubelet-config document merge: objects merge, everything else replaces. */
export function mergeDocuments(dst: Obj, src: Obj): Obj {
  const out: Obj = { ...dst };
  for (const [k, v] of Object.entries(src)) {
    out[k] = isObj(v) && isObj(out[k]) ? mergeDocuments(out[k] as Obj, v) : v;
  }
  return out;
}

function nodeConfigs(text: string): Obj[] {
  const docs: Obj[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new BootError("nodeadm", `Command failed: error unmarshaling NodeConfig: ${doc.errors[0]!.message}`);
    const v = doc.toJS() as unknown;
    if (v === null || v === undefined) continue;
    if (!isObj(v)) throw new BootError("nodeadm", "Command failed: error unmarshaling NodeConfig: not an object");
    if (v.kind !== "NodeConfig" || !String(v.apiVersion ?? "").startsWith("node.eks.aws/")) {
      throw new BootError("nodeadm", `Command failed: unsupported object kind ${String(v.apiVersion)}/${String(v.kind)}`);
    }
    docs.push(v);
  }
  return docs;
}

function decodeNodeadm(userData: string): BootConfig {
  const parts = mimeParts(userData);
  const docs: Obj[] = [];
  if (parts) {
    for (const p of parts) if (p.contentType === "application/node.eks.aws") docs.push(...nodeConfigs(p.body));
  } else if (/^\s*apiVersion:\s*node\.eks\.aws\//m.test(userData)) {
    docs.push(...nodeConfigs(userData));
  }
  if (!docs.length) {
    throw new BootError("nodeadm", "Command failed: could not find NodeConfig within UserData");
  }
  const cluster: ClusterDetails = {};
  let kubeletConfig: Obj = {};
  const kubeletFlags: string[] = [];
  let localStorage: BootConfig["localStorage"];
  for (const d of docs) {
    const spec = isObj(d.spec) ? d.spec : {};
    const ls = isObj(spec.instance) && isObj(spec.instance.localStorage) ? spec.instance.localStorage : {};
    if (ls.strategy !== undefined && ls.strategy !== "") {
      if (ls.strategy !== "RAID0" && ls.strategy !== "Mount") {
        throw new BootError("nodeadm", `Command failed: invalid local storage strategy: ${String(ls.strategy)}`);
      }
      localStorage = ls.strategy;
    }
    const c = isObj(spec.cluster) ? spec.cluster : {};
    for (const key of ["name", "apiServerEndpoint", "certificateAuthority", "cidr"] as const) {
      const v = c[key];
      if (typeof v === "string" && v !== "") cluster[key] = v;
    }
    const k = isObj(spec.kubelet) ? spec.kubelet : {};
    if (isObj(k.config)) kubeletConfig = mergeDocuments(kubeletConfig, k.config);
    if (Array.isArray(k.flags)) kubeletFlags.push(...k.flags.map(String));
  }
  if (cluster.certificateAuthority !== undefined && !isBase64(cluster.certificateAuthority)) {
    throw new BootError(
      "nodeadm",
      "Command failed: error unmarshaling NodeConfig: spec.cluster.certificateAuthority: illegal base64 data",
    );
  }
  return { family: "al2023", cluster, kubeletConfig, kubeletFlags, describesClusterWhenMissing: false, localStorage };
}

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(s) && s.replace(/\s/g, "").length % 4 === 0;
}

// ---- AL2 / bootstrap.sh ----------------------------------------------------------------------------------

/** Splits a shell command line into words (single/double quotes, backslash-newline continuations). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "\\" && line[i + 1] === "\n") {
      i++;
      continue;
    }
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') {
        if (line[j] === "\\" && j + 1 < line.length) j++;
        cur += line[j];
        j++;
      }
      i = j;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function commandAfter(text: string, marker: RegExp): string | undefined {
  const m = marker.exec(text);
  if (!m) return undefined;
  let rest = text.slice(m.index + m[0].length);
  // the command runs to the end of its (continued) line
  const lines: string[] = [];
  for (const l of rest.split("\n")) {
    lines.push(l);
    if (!/\\\s*$/.test(l)) break;
  }
  rest = lines.join("\n");
  return rest;
}

function decodeBootstrapSh(userData: string): BootConfig {
  const text = mimeParts(userData)?.map((p) => p.body).join("\n") ?? userData;
  const cmd = commandAfter(text, /\/etc\/eks\/bootstrap\.sh/);
  if (cmd === undefined) {
    throw new BootError("bootstrap.sh", "user data never runs /etc/eks/bootstrap.sh: the kubelet is not configured");
  }
  const words = shellWords(cmd);
  const cluster: ClusterDetails = {};
  let extra = "";
  let dnsIP: string | undefined;
  let useMaxPods = true;
  let localStorage: BootConfig["localStorage"];
  for (let i = 0; i < words.length; i++) {
    // getopt long options: `--name value` and `--name=value` are the same
    const eq = /^--[a-z0-9-]+=/.exec(words[i]!);
    const w = eq ? eq[0].slice(0, -1) : words[i]!;
    const next = () => (eq ? words[i]!.slice(eq[0].length) : (words[++i] ?? ""));
    if (w === "--apiserver-endpoint") cluster.apiServerEndpoint = next();
    else if (w === "--b64-cluster-ca") cluster.certificateAuthority = next();
    else if (w === "--dns-cluster-ip") dnsIP = next();
    else if (w === "--service-ipv4-cidr") cluster.cidr = next();
    else if (w === "--kubelet-extra-args") extra = next();
    else if (w === "--use-max-pods") useMaxPods = next() !== "false";
    else if (w === "--local-disks") {
      const mode = next();
      if (mode !== "raid0" && mode !== "mount") throw new BootError("bootstrap.sh", `--local-disks: unknown mode '${mode}' (raid0 or mount)`);
      localStorage = mode === "raid0" ? "RAID0" : "Mount";
    }
    else if (w.startsWith("--")) next();
    else if (!cluster.name) cluster.name = w;
  }
  if (!cluster.name) throw new BootError("bootstrap.sh", "CLUSTER_NAME is not specified");
  const kubeletConfig: Obj = {};
  if (dnsIP) kubeletConfig.clusterDNS = [dnsIP];
  if (!useMaxPods) kubeletConfig.maxPods = 110;
  return { family: "al2", cluster, kubeletConfig, kubeletFlags: shellWords(extra), describesClusterWhenMissing: true, localStorage };
}

// ---- Bottlerocket ----------------------------------------------------------------------------------------

/** The top-level elements of a TOML array's inside (nested arrays and quoted commas kept whole). */
function splitArray(inner: string, lineNo: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = "";
  let cur = "";
  for (const ch of inner) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "[") depth++;
    else if (ch === "]") depth--;
    else if (ch === "," && depth === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += ch;
  }
  if (quote || depth !== 0) throw new BootError("bottlerocket", `failed to parse user data as TOML: line ${lineNo}: unterminated array`);
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** A small TOML reader for Bottlerocket settings: tables, dotted/quoted keys, strings, numbers, booleans, arrays. */
export function parseToml(text: string): Obj {
  const root: Obj = {};
  let table = root;
  const keyPath = (s: string): string[] =>
    (s.match(/"[^"]*"|'[^']*'|[^.\s]+/g) ?? []).map((k) => k.replace(/^["']|["']$/g, ""));
  const at = (path: string[]): Obj => {
    let t = root;
    for (const k of path) {
      if (!isObj(t[k])) t[k] = {};
      t = t[k] as Obj;
    }
    return t;
  };
  const value = (raw: string, lineNo: number): unknown => {
    const v = raw.trim();
    if (/^'.*'$/.test(v)) return v.slice(1, -1);
    if (/^".*"$/.test(v)) return JSON.parse(v);
    if (v === "true" || v === "false") return v === "true";
    if (/^[+-]?\d+(\.\d+)?$/.test(v)) return Number(v);
    if (v.startsWith("[") && v.endsWith("]")) return splitArray(v.slice(1, -1), lineNo).map((x) => value(x, lineNo));
    throw new BootError("bottlerocket", `failed to parse user data as TOML: line ${lineNo}: invalid value ${v}`);
  };
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.replace(/(^|\s)#.*$/, "").trim();
    if (!l) return;
    const t = /^\[([^\]]+)\]$/.exec(l);
    if (t) {
      table = at(keyPath(t[1]!));
      return;
    }
    const eq = /^((?:"[^"]*"|'[^']*'|[^=])+?)\s*=\s*(.+)$/.exec(l);
    if (!eq) throw new BootError("bottlerocket", `failed to parse user data as TOML: line ${i + 1}: expected key = value`);
    const path = keyPath(eq[1]!);
    const leaf = path.pop()!;
    let target = table;
    for (const k of path) {
      if (!isObj(target[k])) target[k] = {};
      target = target[k] as Obj;
    }
    target[leaf] = value(eq[2]!, i + 1);
  });
  return root;
}

function decodeBottlerocket(userData: string): BootConfig {
  const settings = parseToml(userData).settings;
  const k = isObj(settings) && isObj(settings.kubernetes) ? settings.kubernetes : {};
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const cluster: ClusterDetails = {
    name: str(k["cluster-name"]),
    apiServerEndpoint: str(k["api-server"]),
    certificateAuthority: str(k["cluster-certificate"]),
    cidr: undefined,
  };
  const kubeletConfig: Obj = {};
  if (typeof k["max-pods"] === "number") kubeletConfig.maxPods = k["max-pods"];
  if (Array.isArray(k["cluster-dns-ip"])) kubeletConfig.clusterDNS = k["cluster-dns-ip"];
  else if (str(k["cluster-dns-ip"])) kubeletConfig.clusterDNS = [k["cluster-dns-ip"]];
  for (const [toml, kc] of [
    ["kube-reserved", "kubeReserved"],
    ["system-reserved", "systemReserved"],
    ["eviction-hard", "evictionHard"],
  ] as const) {
    if (isObj(k[toml])) kubeletConfig[kc] = Object.fromEntries(Object.entries(k[toml]).map(([a, b]) => [a, String(b)]));
  }
  const taints: Array<{ key: string; value?: string; effect: string }> = [];
  if (isObj(k["node-taints"])) {
    for (const [key, v] of Object.entries(k["node-taints"])) {
      for (const entry of Array.isArray(v) ? v : [v]) {
        const s = String(entry);
        const idx = s.lastIndexOf(":");
        const val = idx >= 0 ? s.slice(0, idx) : "";
        const effect = idx >= 0 ? s.slice(idx + 1) : s;
        taints.push({ key, ...(val ? { value: val } : {}), effect });
      }
    }
  }
  if (taints.length) kubeletConfig.registerWithTaints = taints;
  const flags: string[] = [];
  if (isObj(k["node-labels"])) {
    const labels = Object.entries(k["node-labels"]).map(([a, b]) => `${a}=${String(b)}`);
    if (labels.length) flags.push(`--node-labels=${labels.join(",")}`);
  }
  // Instance storage: a bootstrap command that binds the ephemeral-storage array to the kubelet's directory.
  const commands = isObj(settings) && isObj(settings["bootstrap-commands"]) ? Object.values(settings["bootstrap-commands"]) : [];
  const bindsKubelet = commands.some(
    (c) =>
      isObj(c) &&
      Array.isArray(c.commands) &&
      c.commands.some((cmd) => Array.isArray(cmd) && cmd.join(" ").startsWith("apiclient ephemeral-storage bind") && cmd.includes("/var/lib/kubelet")),
  );
  return {
    family: "bottlerocket",
    cluster,
    kubeletConfig,
    kubeletFlags: flags,
    describesClusterWhenMissing: false,
    ...(bindsKubelet ? { localStorage: "RAID0" as const } : {}),
  };
}

// ---- Windows ---------------------------------------------------------------------------------------------

function decodeWindows(userData: string): BootConfig {
  const block = /<powershell>([\s\S]*?)<\/powershell>/i.exec(userData)?.[1];
  if (block === undefined) {
    throw new BootError("EC2Launch", "no <powershell> block in user data: Start-EKSBootstrap.ps1 never runs");
  }
  const cmd = commandAfter(block, /&\s*(?:\$EKSBootstrapScriptFile|["']?[^\s"']*Start-EKSBootstrap\.ps1["']?)/);
  if (cmd === undefined) throw new BootError("EC2Launch", "the <powershell> block never runs Start-EKSBootstrap.ps1");
  const words = shellWords(cmd.replace(/`\r?\n/g, " "));
  const args: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    // a PowerShell parameter is -Name; a value may itself start with dashes (--node-labels=...)
    const isParam = (x: string | undefined) => x !== undefined && /^-[A-Za-z][A-Za-z0-9]*$/.test(x);
    if (isParam(w)) args[w.slice(1).toLowerCase()] = words[i + 1] !== undefined && !isParam(words[i + 1]) ? words[++i]! : "true";
  }
  const cluster: ClusterDetails = {
    name: args.eksclustername,
    apiServerEndpoint: args.apiserverendpoint,
    certificateAuthority: args.base64clusterca,
    cidr: args.serviceipv4cidr,
  };
  if (!cluster.name) throw new BootError("Start-EKSBootstrap.ps1", "EKSClusterName is a required parameter");
  const kubeletConfig: Obj = {};
  if (args.dnsclusterip) kubeletConfig.clusterDNS = [args.dnsclusterip];
  return {
    family: "windows",
    cluster,
    kubeletConfig,
    kubeletFlags: shellWords(args.kubeletextraargs ?? ""),
    describesClusterWhenMissing: true,
  };
}
