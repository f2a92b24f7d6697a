// Karpenter AWS's own examples/v1 manifests (cached outside the repo by scripts/karpenter/crds.sh, never committed):
// the documents users copy, replayed through the oracle and capsicum. ${CLUSTER_NAME} is substituted as envsubst would.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import type { CorpusKind } from "./karpenterCorpus";

export interface ExampleDoc {
  id: string;
  kind: CorpusKind;
  doc: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const KINDS = new Set(["NodePool", "EC2NodeClass", "NodeClaim", "NodeOverlay"]);

export function karpenterExamples(cacheDir: string): ExampleDoc[] {
  const dir = join(cacheDir, "examples");
  if (!existsSync(dir)) return [];
  const out: ExampleDoc[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".yaml")).sort()) {
    const text = readFileSync(join(dir, f), "utf8").replace(/\$\{CLUSTER_NAME\}/g, "my-cluster");
    YAML.parseAllDocuments(text).forEach((d, i) => {
      const doc = d.toJS();
      if (doc && KINDS.has(doc.kind)) out.push({ id: `examples/${f}#${i}:${doc.kind}`, kind: doc.kind, doc });
    });
  }
  return out;
}
