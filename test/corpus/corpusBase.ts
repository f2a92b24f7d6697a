// The admission corpus's vocabulary: the base document of each kind and the helpers that add a labelled case
// (see karpenterCorpus.ts).
/* eslint-disable @typescript-eslint/no-explicit-any */

export type CorpusKind = "NodePool" | "EC2NodeClass" | "NodeClaim" | "NodeOverlay";

export interface CorpusEntry {
  /** Unique, stable id (also the document's name suffix in the integration run). */
  id: string;
  kind: CorpusKind;
  doc: any;
  /** Update cases: the stored object the update replaces. */
  old?: any;
  /** Karpenter v1.14.1's CRD verdict. */
  valid: boolean;
  /** Invalid documents: the field capsicum's rejection must name (kubectl path, `[key]` for map keys). */
  field?: string;
  /** Invalid documents: a fragment capsicum's message must contain (the fix, a "did you mean"). */
  fix?: string;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

export const API_VERSION: Record<CorpusKind, string> = {
  NodePool: "karpenter.sh/v1",
  NodeClaim: "karpenter.sh/v1",
  NodeOverlay: "karpenter.sh/v1alpha1",
  EC2NodeClass: "karpenter.k8s.aws/v1",
};

const NODE_POOL = {
  apiVersion: API_VERSION.NodePool,
  kind: "NodePool",
  metadata: { name: "default" },
  spec: {
    template: {
      spec: {
        requirements: [
          { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
          { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
          { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
          { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["2"] },
        ],
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        expireAfter: "720h",
      },
    },
    limits: { cpu: 1000 },
    disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m" },
  },
};

const NODE_CLASS = {
  apiVersion: API_VERSION.EC2NodeClass,
  kind: "EC2NodeClass",
  metadata: { name: "default" },
  spec: {
    role: "KarpenterNodeRole-my-cluster",
    amiSelectorTerms: [{ alias: "al2023@latest" }],
    subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "my-cluster" } }],
    securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "my-cluster" } }],
  },
};

const NODE_CLAIM = {
  apiVersion: API_VERSION.NodeClaim,
  kind: "NodeClaim",
  metadata: { name: "default-abcde" },
  spec: {
    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
    requirements: [
      { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
    ],
  },
};

const NODE_OVERLAY = {
  apiVersion: API_VERSION.NodeOverlay,
  kind: "NodeOverlay",
  metadata: { name: "default" },
  spec: {
    requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5", "c5"] }],
    priceAdjustment: "-10%",
  },
};

const BASE: Record<CorpusKind, any> = {
  NodePool: NODE_POOL,
  EC2NodeClass: NODE_CLASS,
  NodeClaim: NODE_CLAIM,
  NodeOverlay: NODE_OVERLAY,
};

/** A base document of `kind` changed by `mutate`. */
export function base(kind: CorpusKind, mutate: (d: any) => void = () => {}): any {
  const d = clone(BASE[kind]);
  mutate(d);
  return d;
}

/** Every case, in the order the case files add them. */
export const entries: CorpusEntry[] = [];
export function add(kind: CorpusKind, id: string, valid: boolean, mutate: (d: any) => void, more: Partial<CorpusEntry> = {}) {
  entries.push({ id: `${kind.toLowerCase()}/${id}`, kind, doc: base(kind, mutate), valid, ...more });
}
export const ok = (kind: CorpusKind, id: string, mutate: (d: any) => void, more: Partial<CorpusEntry> = {}) =>
  add(kind, id, true, mutate, more);
export const bad = (kind: CorpusKind, id: string, field: string, mutate: (d: any) => void, more: Partial<CorpusEntry> = {}) =>
  add(kind, id, false, mutate, { field, ...more });
