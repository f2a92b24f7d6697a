// `npx capsicum plan --diff <ref>` as a pull-request pipeline runs it: the real bin/capsicum.js process in a git
// checkout, its stdout and its exit status (what fails the CI step), for a PR that adds cost and one that
// strands pods.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = join(__dirname, "../../../bin/capsicum.js");

const nodePool = (categories: string[], capacity = "on-demand") => `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: general}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: kubernetes.io/arch, operator: In, values: [amd64]}
        - {key: karpenter.sh/capacity-type, operator: In, values: [${capacity}]}
        - {key: karpenter.k8s.aws/instance-category, operator: In, values: [${categories.join(", ")}]}
`;
const nodeClass = "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: default}\nspec: {amiSelectorTerms: [{alias: al2023@latest}]}\n";
// Two workloads: a web tier on any category and a cache pinned to memory-optimised (r) instances.
const workload = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 4
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: x, resources: {requests: {cpu: "1", memory: 2Gi}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, namespace: shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: cache}}
    spec:
      nodeSelector: {karpenter.k8s.aws/instance-category: r}
      containers: [{name: c, image: x, resources: {requests: {cpu: "1", memory: 8Gi}}}]
`;

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
}

/** A clone with the NodePools committed on main, as a PR pipeline checks it out. */
function repoWith(nodePoolYaml: string): string {
  const repo = mkdtempSync(join(tmpdir(), "capsicum-diff-bin-"));
  for (const [f, c] of Object.entries({ "nodepools/np.yaml": nodePoolYaml, "nodepools/nc.yaml": nodeClass, "workload/apps.yaml": workload })) {
    mkdirSync(join(repo, f, ".."), { recursive: true });
    writeFileSync(join(repo, f), c);
  }
  git(repo, "init", "-q", "-b", "main");
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "base");
  return repo;
}

function capsicum(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe("npx capsicum plan --diff main (the bin, in a git checkout)", () => {
  it("a PR moving the NodePool from spot to on-demand: exit 0, the comment shows the added $/h", () => {
    const repo = repoWith(nodePool(["c", "m", "r"], "spot"));
    writeFileSync(join(repo, "nodepools/np.yaml"), nodePool(["c", "m", "r"], "on-demand"));
    const json = capsicum(repo, "plan", "-f", "nodepools", "--diff", "main", "-w", "workload", "-o", "json");
    // stderr carries only the spot-price note, so stdout stays parseable JSON.
    expect(json.err).toMatch(/^note: spot prices/);
    expect(json.status).toBe(0);
    const d = JSON.parse(json.out);
    expect(d.base.source).toBe("main");
    expect(d.pricePerHour.delta).toBeGreaterThan(0);
    expect(d.nodeClaims.added.length).toBeGreaterThan(0);
    expect(d.nodeClaims.added.every((g: { capacityType: string }) => g.capacityType === "on-demand")).toBe(true);
    expect(d.nodeClaims.removed.every((g: { capacityType: string }) => g.capacityType === "spot")).toBe(true);
    expect(d.unschedulable.new).toEqual([]);
    const md = capsicum(repo, "plan", "-f", "nodepools", "--diff", "main", "-w", "workload", "-o", "markdown");
    expect(md.status).toBe(0);
    expect(md.out).toMatch(/^### capsicum plan: /);
    // The cost row: before, after and a positive delta.
    expect(md.out).toMatch(/\| Cost \(\$\/h\) \| \$\d+\.\d+ \| \$\d+\.\d+ \| \+\$\d+\.\d+/);
  }, 240_000);

  it("a PR dropping the r category strands the cache pods: exit 3 (fails the CI step), each pod named with the reason", () => {
    const repo = repoWith(nodePool(["c", "m", "r"]));
    writeFileSync(join(repo, "nodepools/np.yaml"), nodePool(["c", "m"]));
    const json = capsicum(repo, "plan", "-f", "nodepools", "--diff", "main", "-w", "workload", "-o", "json");
    expect(json.status).toBe(3);
    const d = JSON.parse(json.out);
    expect(d.base.unschedulable).toBe(0);
    expect(d.unschedulable.new.map((u: { pod: string }) => u.pod).sort()).toEqual(["shop/cache-0", "shop/cache-1"]);
    for (const u of d.unschedulable.new) expect(u.reason).toMatch(/instance-category/);
    // The web pods still schedule: only what the change strands is reported.
    expect(d.head.unschedulable).toBe(2);
    const table = capsicum(repo, "plan", "-f", "nodepools", "--diff", "main", "-w", "workload");
    expect(table.status).toBe(3);
    expect(table.out).toMatch(/shop\/cache-0/);
    // Once merged, the next PR is not blamed for them: unschedulable on both sides, exit 0.
    git(repo, "commit", "-q", "-am", "pr");
    const same = capsicum(repo, "plan", "-f", "nodepools", "--diff", "HEAD", "-w", "workload", "-o", "json");
    expect(same.status).toBe(0);
    const s = JSON.parse(same.out);
    expect(s.unschedulable.new).toEqual([]);
    expect(s.unschedulable.unchanged.map((u: { pod: string }) => u.pod).sort()).toEqual(["shop/cache-0", "shop/cache-1"]);
  }, 240_000);
});
