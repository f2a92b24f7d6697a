// `npm start`'s live timeline: what a person applying examples/ wants to follow, one line per change, with the
// seconds since the sandbox came up: pending pods, NodeClaims created / launched / registered / initialized,
// pods Running, disruption (consolidation, drift, expiry) and nodes that refused to join. Polls the apiserver once
// a second (list calls only), so it shows what `kubectl get` would.
import { KubeConfig, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";

type Obj = {
  metadata: { name: string; namespace?: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string; taints?: Array<{ key: string }> };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>; providerID?: string; nodeName?: string };
};

const STAGES = ["Launched", "Registered", "Initialized"] as const;

export class Timeline {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly t0 = Date.now();
  private timer?: NodeJS.Timeout;
  private lastPending = -1;
  private lastRunning = -1;
  private readonly claims = new Map<string, Set<string>>();
  private readonly disrupting = new Set<string>();

  constructor(
    kubeconfig: string,
    private readonly print: (line: string) => void = (l) => console.log(l),
  ) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  line(text: string): void {
    this.print(`[${((Date.now() - this.t0) / 1000).toFixed(1).padStart(6)}s] ${text}`);
  }

  start(intervalMs = 1000): void {
    const tick = async () => {
      await this.poll().catch(() => undefined);
      if (this.timer) this.timer = setTimeout(tick, intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async poll(): Promise<void> {
    const pods = ((await this.core.listPodForAllNamespaces()).items as unknown as Obj[]).filter(
      (p) => !["kube-system", "pepr-system"].includes(p.metadata.namespace ?? ""),
    );
    const pending = pods.filter((p) => p.status?.phase === "Pending" && !p.spec?.nodeName).length;
    const running = pods.filter((p) => p.status?.phase === "Running").length;
    if (pending !== this.lastPending && (pending > 0 || this.lastPending > 0)) this.line(`${pending} pods pending`);
    if (running !== this.lastRunning && (running > 0 || this.lastRunning > 0)) this.line(`${running} pods Running`);
    this.lastPending = pending;
    this.lastRunning = running;

    let claims: Obj[] = [];
    try {
      claims = ((await this.custom.listClusterCustomObject({ group: "karpenter.sh", version: "v1", plural: "nodeclaims" })) as { items: Obj[] }).items;
    } catch {
      return; // CRDs not installed yet
    }
    const seen = new Set<string>();
    for (const c of claims) {
      const name = c.metadata.name;
      seen.add(name);
      const labels = c.metadata.labels ?? {};
      let stages = this.claims.get(name);
      if (!stages) {
        stages = new Set();
        this.claims.set(name, stages);
        this.line(`NodeClaim ${name} created (nodepool ${labels["karpenter.sh/nodepool"] ?? "?"})`);
      }
      for (const stage of STAGES) {
        const cond = c.status?.conditions?.find((x) => x.type === stage);
        if (cond?.status !== "True" || stages.has(stage)) continue;
        stages.add(stage);
        const detail =
          stage === "Launched"
            ? ` ${labels["node.kubernetes.io/instance-type"] ?? ""} ${labels["karpenter.sh/capacity-type"] ?? ""} in ${labels["topology.kubernetes.io/zone"] ?? ""}`
            : stage === "Registered"
              ? ` as node ${c.status?.nodeName ?? ""}`
              : "";
        this.line(`NodeClaim ${name} ${stage.toLowerCase()}${detail}`);
      }
      const disrupted = c.status?.conditions?.find((x) => x.type === "Disrupting" || x.type === "DisruptionReason");
      if ((c.metadata.deletionTimestamp || disrupted) && !this.disrupting.has(name)) {
        this.disrupting.add(name);
        this.line(`NodeClaim ${name} disrupting${disrupted?.reason ? ` (${disrupted.reason})` : ""}: draining and terminating`);
      }
    }
    for (const name of [...this.claims.keys()]) {
      if (seen.has(name)) continue;
      this.claims.delete(name);
      this.disrupting.delete(name);
      this.line(`NodeClaim ${name} deleted`);
    }
    const nodes = (await this.core.listNode()).items as unknown as Obj[];
    for (const n of nodes) {
      const key = `node/${n.metadata.name}`;
      if (n.spec?.taints?.some((t) => t.key === "karpenter.sh/disrupted") && !this.disrupting.has(key)) {
        this.disrupting.add(key);
        this.line(`node ${n.metadata.name} tainted karpenter.sh/disrupted: consolidation/drift is replacing or removing it`);
      }
    }
  }
}
