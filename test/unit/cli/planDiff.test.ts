// `capsicum plan --diff <ref>` / `--base <dir>`: what a pull request changes in the plan.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, s => { out += s + "\n"; }, s => { err += s + "\n"; });
  return { code, out, err };
}

const nodePool = (opts: { capacity: string[]; cpuLimit?: number; arch?: string }) => `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: kubernetes.io/arch, operator: In, values: [${opts.arch ?? "amd64"}]}
        - {key: karpenter.sh/capacity-type, operator: In, values: [${opts.capacity.join(", ")}]}
        - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r]}
${opts.cpuLimit !== undefined ? `  limits: {cpu: ${opts.cpuLimit}}\n` : ""}`;
const nodeClass = "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: default}\nspec: {amiSelectorTerms: [{alias: al2023@latest}]}\n";
const deployment = (replicas: number, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: ${replicas}
  template:
    metadata: {labels: {app: web}}
    spec:
${extra}      containers: [{name: c, image: x, resources: {requests: {cpu: "1"}}}]
`;

function tree(root: string, files: Record<string, string>): string {
  for (const [n, c] of Object.entries(files)) {
    mkdirSync(join(root, n, ".."), { recursive: true });
    writeFileSync(join(root, n), c);
  }
  return root;
}
const tmp = () => mkdtempSync(join(tmpdir(), "capsicum-diff-"));

describe("capsicum plan --base <dir>", () => {
  it("a NodePool change from spot to on-demand adds cost: NodeClaims and $/h before -> after, exit 0", async () => {
    const base = tree(tmp(), { "np.yaml": nodePool({ capacity: ["spot"] }), "nc.yaml": nodeClass });
    const head = tree(tmp(), { "np.yaml": nodePool({ capacity: ["on-demand"] }), "nc.yaml": nodeClass });
    const work = tree(tmp(), { "deploy.yaml": deployment(6) });
    const { code, out } = await cli(["plan", "-f", head, "--base", base, "-w", work, "-o", "json"]);
    expect(code).toBe(0);
    const d = JSON.parse(out);
    expect(Object.keys(d).sort()).toEqual(["base", "head", "instanceTypes", "nodeClaims", "pricePerHour", "unschedulable"]);
    expect(d.base.source).toBe(base);
    expect(d.head.source).toBe("working tree");
    expect(d.pricePerHour.after).toBeGreaterThan(d.pricePerHour.before);
    expect(d.pricePerHour.delta).toBeCloseTo(d.pricePerHour.after - d.pricePerHour.before, 5);
    expect(d.nodeClaims.added.length).toBeGreaterThan(0);
    expect(d.nodeClaims.removed.length).toBeGreaterThan(0);
    for (const g of d.nodeClaims.added) expect(g.capacityType).toBe("on-demand");
    for (const g of d.nodeClaims.removed) expect(g.capacityType).toBe("spot");
    for (const g of [...d.nodeClaims.added, ...d.nodeClaims.removed])
      expect(Object.keys(g).sort()).toEqual(["capacityType", "count", "instanceType", "nodePool", "pricePerHour", "zone"]);
    expect(d.unschedulable).toEqual({ new: [], resolved: [], unchanged: [] });
    // The table says the same for a human.
    const t = await cli(["plan", "-f", head, "--base", base, "-w", work]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/Cost: \$\d+\.\d{4}\/h -> \$\d+\.\d{4}\/h \(\+\$\d+\.\d{4}\/h/);
    expect(t.out).toMatch(/NodeClaims added:\n  \+ \d+ × \S+ on-demand/);
    expect(t.out).toMatch(/NodeClaims removed:\n  - \d+ × \S+ spot/);
  });

  it("a NodePool change that strands pods lists them with the reason and exits 3; markdown is a PR comment", async () => {
    const base = tree(tmp(), { "np.yaml": nodePool({ capacity: ["on-demand"] }), "nc.yaml": nodeClass });
    // 4 vCPU for 6 one-vCPU pods (plus overhead): some pods no longer fit under the limit.
    const head = tree(tmp(), { "np.yaml": nodePool({ capacity: ["on-demand"], cpuLimit: 4 }), "nc.yaml": nodeClass });
    const work = tree(tmp(), { "deploy.yaml": deployment(6) });
    const j = await cli(["plan", "-f", head, "--base", base, "-w", work, "-o", "json"]);
    expect(j.code).toBe(3);
    const d = JSON.parse(j.out);
    expect(d.base.unschedulable).toBe(0);
    expect(d.unschedulable.new.length).toBeGreaterThan(0);
    expect(d.head.unschedulable).toBe(d.unschedulable.new.length);
    for (const u of d.unschedulable.new) {
      expect(u.pod).toMatch(/^shop\/web-\d$/);
      expect(u.reason).toMatch(/limit/i);
    }
    expect(d.pricePerHour.after).toBeLessThan(d.pricePerHour.before);
    const m = await cli(["plan", "-f", head, "--base", base, "-w", work, "-o", "markdown"]);
    expect(m.code).toBe(3);
    expect(m.out).toMatch(/^### capsicum plan: /);
    expect(m.out).toMatch(/\| Unschedulable pods \| 0 \| \d \| \+\d \|/);
    expect(m.out).toMatch(/pod\(s\) become unschedulable\*\*\n\n- `shop\/web-\d`: /);
  });

  it("pods unschedulable before and after are not blamed on the change (exit 0)", async () => {
    const np = nodePool({ capacity: ["on-demand"] });
    const base = tree(tmp(), { "np.yaml": np, "nc.yaml": nodeClass });
    const head = tree(tmp(), { "np.yaml": np, "nc.yaml": nodeClass });
    const work = tree(tmp(), { "deploy.yaml": deployment(2, "      nodeSelector: {kubernetes.io/arch: arm64}\n") });
    const { code, out } = await cli(["plan", "-f", head, "--base", base, "-w", work, "-o", "json"]);
    expect(code).toBe(0);
    const d = JSON.parse(out);
    expect(d.unschedulable.new).toEqual([]);
    expect(d.unschedulable.unchanged.map((u: { pod: string }) => u.pod)).toEqual(["shop/web-0", "shop/web-1"]);
  });

  it("a kubectl snapshot is planned from scratch: bound pods count, DaemonSet and finished pods do not", async () => {
    const base = tree(tmp(), { "np.yaml": nodePool({ capacity: ["spot"] }), "nc.yaml": nodeClass });
    const snapshot = `apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Node, metadata: {name: n1, labels: {kubernetes.io/arch: amd64}}, status: {allocatable: {cpu: "8", memory: 32Gi, pods: "110"}}}
  - {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: shop}, spec: {nodeName: n1, containers: [{name: c, resources: {requests: {cpu: "1"}}}]}, status: {phase: Running}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: shop}, spec: {containers: [{name: c, resources: {requests: {cpu: "1"}}}]}, status: {phase: Pending}}
  - {apiVersion: v1, kind: Pod, metadata: {name: done, namespace: shop}, spec: {nodeName: n1, containers: [{name: c, resources: {requests: {cpu: "1"}}}]}, status: {phase: Succeeded}}
  - {apiVersion: v1, kind: Pod, metadata: {name: ds-x, namespace: kube-system, ownerReferences: [{kind: DaemonSet, name: ds}]}, spec: {nodeName: n1, containers: [{name: c, resources: {requests: {cpu: 100m}}}]}, status: {phase: Running}}
`;
    const work = tree(tmp(), { "snapshot.yaml": snapshot });
    const { code, out } = await cli(["plan", "-f", base, "--base", base, "-w", work, "-o", "json"]);
    expect(code).toBe(0);
    const d = JSON.parse(out);
    expect(d.head).toEqual({ ...d.base, source: "working tree" });
    expect(d.nodeClaims).toEqual({ added: [], removed: [] });
    expect(d.head.nodeClaims).toBeGreaterThan(0);
    const t = await cli(["plan", "-f", base, "--base", base, "-w", work]);
    expect(t.out).toMatch(/No change to the plan\./);
  });
});

describe("capsicum plan --diff <git-ref>", () => {
  function git(cwd: string, ...args: string[]): string {
    return execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd, encoding: "utf8" });
  }
  it("plans the NodePools as committed at the ref against the working tree, same workload", async () => {
    const repo = tree(tmp(), {
      "gitops/nodepools/np.yaml": nodePool({ capacity: ["spot"] }),
      "gitops/nodepools/nc.yaml": nodeClass,
      "workload/deploy.yaml": deployment(4),
    });
    git(repo, "init", "-q", "-b", "main");
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", "base");
    // The pull request: on-demand only, and a NodePool file the base does not have.
    writeFileSync(join(repo, "gitops/nodepools/np.yaml"), nodePool({ capacity: ["on-demand"] }));
    const np = join(repo, "gitops/nodepools");
    const w = join(repo, "workload");
    const { code, out } = await cli(["plan", "-f", np, "--diff", "main", "-w", w, "-o", "json"]);
    expect(code).toBe(0);
    const d = JSON.parse(out);
    expect(d.base.source).toBe("main");
    expect(d.pricePerHour.after).toBeGreaterThan(d.pricePerHour.before);
    expect(d.nodeClaims.removed.every((g: { capacityType: string }) => g.capacityType === "spot")).toBe(true);
    // Same tree at HEAD: no diff.
    git(repo, "commit", "-q", "-am", "pr");
    const same = await cli(["plan", "-f", np, "--diff", "HEAD", "-w", w, "-o", "json"]);
    const s = JSON.parse(same.out);
    expect(s.nodeClaims).toEqual({ added: [], removed: [] });
    expect(s.pricePerHour.delta).toBe(0);
    // A path the base ref lacks is an empty base config: everything is added.
    tree(repo, { "gitops/extra/np2.yaml": nodePool({ capacity: ["on-demand"] }).replace("name: default}", "name: extra}") + "---\n" + nodeClass });
    const added = JSON.parse((await cli(["plan", "-f", join(repo, "gitops/extra"), "--diff", "HEAD", "-w", w, "-o", "json"])).out);
    expect(added.base.nodeClaims).toBe(0);
    expect(added.nodeClaims.added.every((g: { nodePool: string }) => g.nodePool === "extra")).toBe(true);
  });
  it("a ref that does not exist is a usage error naming the fix", async () => {
    const repo = tree(tmp(), { "np.yaml": nodePool({ capacity: ["spot"] }) });
    git(repo, "init", "-q", "-b", "main");
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", "base");
    const { code, err } = await cli(["plan", "-f", repo, "--diff", "origin/nope"]);
    expect(code).toBe(2);
    expect(err).toMatch(/--diff origin\/nope: no such commit .*git fetch origin origin\/nope/);
  });
  it("flag errors: --diff with --base, -w without a diff, markdown without a diff", async () => {
    expect((await cli(["plan", "-f", "x", "--diff", "main", "--base", "y"])).err).toMatch(/exclusive/);
    expect((await cli(["plan", "-f", "x", "-w", "y"])).err).toMatch(/only applies with --diff or --base/);
    expect((await cli(["plan", "-f", "x", "-o", "markdown"])).err).toMatch(/use -o json or -o table/);
  });
  it("help documents plan's exit codes", async () => {
    const { out } = await cli(["help"]);
    expect(out).toMatch(/exit codes of plan:[\s\S]*3 +pods are unschedulable/);
  });
});
