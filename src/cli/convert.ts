// `capsicum convert -f <files|dirs>... [--default-instance-profile NAME]`: prints the karpenter.sh/v1 NodePools and
// karpenter.k8s.aws/v1 EC2NodeClasses for v1alpha5 Provisioners / v1alpha1 AWSNodeTemplates, each preceded by
// `# WARNING:` lines for every lossy or changed mapping. Other kinds are skipped. Exit 1 when something could
// not be converted (reported on stderr), 2 on usage errors.

import { stringify } from "yaml";
import { readManifests } from "./load";
import { awsNodeTemplateToEC2NodeClass, provisionerToNodePool, type ConversionContext } from "../migration";

const USAGE = "usage: capsicum convert -f <files or dirs>... [--default-instance-profile NAME]";

const readObjects = (paths: string[]): any[] => readManifests(paths).map((m) => m.obj);

const doc = (warnings: string[], obj: unknown): string =>
  warnings.map((w) => `# WARNING: ${w}`).join("\n") + (warnings.length ? "\n" : "") + stringify(obj, { lineWidth: 0 });

export async function runConvert(
  argv: string[],
  out: (s: string) => void = (s) => console.log(s),
  err: (s: string) => void = (s) => console.error(s),
): Promise<number> {
  const files: string[] = [];
  const ctx: ConversionContext = { defaultInstanceProfile: process.env.DEFAULT_INSTANCE_PROFILE || undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-f" || a === "--filename") {
      const v = argv[++i];
      if (!v) {
        err(`-f needs a file or directory\n${USAGE}`);
        return 2;
      }
      files.push(v);
    } else if (a.startsWith("-f=") || a.startsWith("--filename=")) files.push(a.slice(a.indexOf("=") + 1));
    else if (a === "--default-instance-profile") {
      const v = argv[++i];
      if (!v) {
        err(`--default-instance-profile needs an instance profile name\n${USAGE}`);
        return 2;
      }
      ctx.defaultInstanceProfile = v;
    } else if (a.startsWith("--default-instance-profile=")) ctx.defaultInstanceProfile = a.slice(a.indexOf("=") + 1);
    else if (!a.startsWith("-")) files.push(a);
    else {
      err(`unknown flag ${a}\n${USAGE}`);
      return 2;
    }
  }
  if (files.length === 0) {
    err(USAGE);
    return 2;
  }
  let objs: any[];
  try {
    objs = readObjects(files);
  } catch (e) {
    err((e as Error).message);
    return 2;
  }

  const templates = new Map(objs.filter((o) => o.kind === "AWSNodeTemplate").map((o) => [o.metadata?.name, o]));
  const docs: string[] = [];
  let failed = 0;
  for (const o of objs) {
    const label = `${o.kind} ${o.metadata?.name ?? "<unnamed>"}`;
    if (o.kind === "AWSNodeTemplate") {
      const r = awsNodeTemplateToEC2NodeClass(o, ctx);
      if (r.object) docs.push(doc(r.warnings, r.object));
      else {
        failed++;
        err(`${label}: not converted: ${r.errors.join("; ")}`);
      }
    } else if (o.kind === "Provisioner") {
      const r = provisionerToNodePool(o, templates.get(o.spec?.providerRef?.name), ctx);
      if (r.nodePool) {
        if (r.nodeClass) docs.push(doc([], r.nodeClass));
        docs.push(doc(r.warnings, r.nodePool));
      } else {
        failed++;
        err(`${label}: not converted: ${r.errors.join("; ")}`);
      }
    }
  }
  if (docs.length === 0 && failed === 0) {
    err("no Provisioner or AWSNodeTemplate found in the input; nothing to convert");
    return 1;
  }
  if (docs.length) out(docs.join("---\n").trimEnd());
  return failed ? 1 : 0;
}
