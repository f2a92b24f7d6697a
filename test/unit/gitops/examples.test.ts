// examples/gitops is what users copy: the argocd-cm patch matches the Lua sources, and the Applications carry
// the waves and settings the README walks through.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { healthConfigMapYaml, healthCustomizations } from "../../../sandbox/argocdHealth";

const dir = join(__dirname, "../../../examples/gitops");
const apps = Object.fromEntries(
  readdirSync(join(dir, "apps")).map((f) => {
    const a = parse(readFileSync(join(dir, "apps", f), "utf8"));
    return [a.metadata.name, a];
  }),
);

test("argocd-cm-health.yaml is generated from the health/*.lua sources (regenerate with healthConfigMapYaml)", () => {
  expect(readFileSync(join(dir, "argocd/argocd-cm-health.yaml"), "utf8")).toBe(healthConfigMapYaml());
  const data = parse(readFileSync(join(dir, "argocd/argocd-cm-health.yaml"), "utf8")).data;
  expect(data).toEqual(healthCustomizations());
  expect(Object.keys(data).sort()).toEqual([
    "resource.customizations.health.argoproj.io_Application",
    "resource.customizations.health.karpenter.k8s.aws_AWSNodeTemplate",
    "resource.customizations.health.karpenter.sh_NodeOverlay",
    "resource.customizations.health.karpenter.sh_Provisioner",
  ]);
});

test("sync waves: CRDs 0, the module from dist/ 1, NodePools 2", () => {
  const wave = (n: string) => apps[n].metadata.annotations["argocd.argoproj.io/sync-wave"];
  expect([wave("capsicum-crds"), wave("capsicum-module"), wave("capsicum-nodepools")]).toEqual(["0", "1", "2"]);
  expect(apps["capsicum-crds"].spec.source.path).toBe("crds");
  expect(apps["capsicum-module"].spec.source.path).toBe("dist");
  expect(apps["capsicum-crds"].spec.syncPolicy.automated.prune).toBe(false);
  for (const a of Object.values(apps) as Array<{ spec: { ignoreDifferences?: unknown } }>)
    expect(a.spec.ignoreDifferences).toBeUndefined();
  const root = parse(readFileSync(join(dir, "root.yaml"), "utf8"));
  expect(root.spec.source.path).toBe("examples/gitops/apps");
  expect(apps["capsicum-nodepools"].spec.source.path).toBe("examples/gitops/nodepools");
});
