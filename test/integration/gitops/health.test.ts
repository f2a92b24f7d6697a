// The Lua health checks capsicum ships for Argo CD, run by the real argocd binary (`argocd admin settings
// resource-overrides health`, the same Lua VM and argocd-cm parsing as the application-controller) on every
// fixture of examples/gitops/argocd/health/*/*/health_test.yaml, the format of Argo CD's resource_customizations.
// Also: the built-in karpenter.sh/NodePool check still reads capsicum-shaped status the way we rely on.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { argocdCli, ensureArgoCD } from "../../../sandbox/argocd";
import { HEALTH_DIR, healthConfigMapYaml } from "../../../sandbox/argocdHealth";

jest.setTimeout(900000);
let home: string;
let cm: string;
let emptyCm: string;
const tmp = mkdtempSync(join(tmpdir(), "capsicum-health-"));

beforeAll(() => {
  home = ensureArgoCD();
  cm = join(tmp, "argocd-cm.yaml");
  writeFileSync(cm, healthConfigMapYaml());
  emptyCm = join(tmp, "argocd-cm-empty.yaml");
  writeFileSync(emptyCm, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm, namespace: argocd}\ndata: {}\n");
});

function verdict(file: string, cmPath = cm): { status: string; message: string } {
  const out = argocdCli(home, ["admin", "settings", "resource-overrides", "health", file, "--argocd-cm-path", cmPath]);
  const status = /^STATUS: (.*)$/m.exec(out)?.[1];
  const message = /^MESSAGE: ?(.*)$/m.exec(out)?.[1] ?? "";
  if (!status) throw new Error(`argocd printed no STATUS for ${file}: ${out}`);
  return { status, message };
}

const cases = readdirSync(HEALTH_DIR).flatMap((group) =>
  readdirSync(join(HEALTH_DIR, group)).flatMap((kind) => {
    const dir = join(HEALTH_DIR, group, kind);
    const spec = parse(readFileSync(join(dir, "health_test.yaml"), "utf8")) as {
      tests: Array<{ healthStatus: { status: string; message: string }; inputPath: string }>;
    };
    return spec.tests.map((t) => [`${group}/${kind} ${t.inputPath}`, join(dir, t.inputPath), t.healthStatus] as const);
  }),
);

test("every shipped check has fixtures for each verdict it can give", () => {
  const kinds = new Set(cases.map(([n]) => n.split(" ")[0]));
  expect([...kinds].sort()).toEqual([
    "argoproj.io/Application",
    "karpenter.k8s.aws/AWSNodeTemplate",
    "karpenter.sh/NodeOverlay",
    "karpenter.sh/Provisioner",
  ]);
  for (const k of ["karpenter.k8s.aws/AWSNodeTemplate", "karpenter.sh/NodeOverlay", "karpenter.sh/Provisioner"]) {
    const got = new Set(cases.filter(([n]) => n.startsWith(k + " ")).map(([, , h]) => h.status));
    for (const s of ["Healthy", "Degraded", "Progressing"]) expect([k, got.has(s)]).toEqual([k, true]);
  }
});

test.each(cases)("%s", (_name, input, expected) => {
  expect(verdict(input)).toEqual(expected);
});

test("without the shipped argocd-cm the kinds have no health check (why users must apply it)", () => {
  const overlay = join(HEALTH_DIR, "karpenter.sh/NodeOverlay/testdata/degraded_conflict.yaml");
  const out = argocdCli(home, ["admin", "settings", "resource-overrides", "health", overlay, "--argocd-cm-path", emptyCm]);
  expect(out).toMatch(/Health script is not configured for 'karpenter.sh\/NodeOverlay'/);
});

test("the built-in NodePool check: capsicum's Ready=False message is what Argo CD shows", () => {
  const np = join(tmp, "np.yaml");
  const message = 'EC2NodeClass "missing" not found: create it or fix spec.template.spec.nodeClassRef.name';
  writeFileSync(
    np,
    `apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: x, generation: 1}\nspec: {template: {spec: {nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: missing}, requirements: []}}}\nstatus:\n  conditions:\n    - {type: NodeClassReady, status: "False", reason: NodeClassNotFound, message: '${message}', lastTransitionTime: "2026-01-01T00:00:00Z"}\n    - {type: Ready, status: "False", reason: UnhealthyDependents, message: '${message}', lastTransitionTime: "2026-01-01T00:00:00Z"}\n`,
  );
  expect(verdict(np)).toEqual({ status: "Degraded", message });
});
