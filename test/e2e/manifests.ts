// The NodePools and Deployments the e2e suites apply, built from one shape so each suite states only what it is
// about (replicas, gates' fields, budgets) instead of repeating 40 lines of YAML.
import { stringify } from "yaml";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export interface PoolOptions {
  nodeClass?: string;
  /** karpenter.k8s.aws/instance-category values; none = any category. */
  categories?: string[];
  /** karpenter.sh/capacity-type values (default on-demand). */
  capacityTypes?: string[];
  /** Fields merged into spec.template.spec (expireAfter, terminationGracePeriod, taints...). */
  template?: Obj;
  /** Fields merged into spec (replicas, limits, disruption...). */
  spec?: Obj;
}

/** The getting-started EC2NodeClass on the sandbox (its role, AL2023, discovery-tagged subnets and security groups). */
export function sandboxNodeClass(name: string, spec: Obj = {}): Obj {
  const discovery = () => [{ tags: { "karpenter.sh/discovery": "capsicum-sandbox" } }];
  return {
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name },
    spec: {
      role: "KarpenterNodeRole-capsicum-sandbox",
      amiSelectorTerms: [{ alias: "al2023@latest" }],
      subnetSelectorTerms: discovery(),
      securityGroupSelectorTerms: discovery(),
      ...spec,
    },
  };
}

/** An amd64 NodePool (on-demand unless `capacityTypes` says) on an EC2NodeClass, consolidating only when empty after 1h unless `spec` says. */
export function nodePool(name: string, o: PoolOptions = {}): Obj {
  const requirements: Obj[] = [
    { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
    { key: "karpenter.sh/capacity-type", operator: "In", values: o.capacityTypes ?? ["on-demand"] },
  ];
  if (o.categories)
    requirements.push({ key: "karpenter.k8s.aws/instance-category", operator: "In", values: o.categories });
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name },
    spec: {
      template: {
        spec: {
          requirements,
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: o.nodeClass ?? "default" },
          ...o.template,
        },
      },
      disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "1h" },
      ...o.spec,
    },
  };
}

export interface DeploymentOptions {
  replicas?: number;
  /** Pinned to this NodePool through karpenter.sh/nodepool. */
  pool?: string;
  annotations?: Record<string, string>;
  requests?: { cpu: string; memory: string };
}

/** A pause Deployment labelled app=<name>. */
export function deployment(name: string, namespace: string, o: DeploymentOptions = {}): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(o.annotations ? { annotations: o.annotations } : {}) },
        spec: {
          ...(o.pool ? { nodeSelector: { "karpenter.sh/nodepool": o.pool } } : {}),
          containers: [
            {
              name: "pause",
              image: "registry.k8s.io/pause:3.10",
              resources: { requests: o.requests ?? { cpu: "500m", memory: "256Mi" } },
            },
          ],
        },
      },
    },
  };
}

/** A multi-document YAML stream for `kubectl apply -f -`. */
export const manifests = (...objs: Obj[]): string => objs.map((o) => stringify(o)).join("---\n");
