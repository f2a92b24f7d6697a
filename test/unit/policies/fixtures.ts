// Valid documents: the Karpenter v1 getting-started NodePool + EC2NodeClass (as in seed 001, envsubst applied).
import YAML from "yaml";

export const GETTING_STARTED_YAML = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
spec:
  template:
    spec:
      requirements:
        - key: kubernetes.io/arch
          operator: In
          values: ["amd64"]
        - key: kubernetes.io/os
          operator: In
          values: ["linux"]
        - key: karpenter.sh/capacity-type
          operator: In
          values: ["spot"]
        - key: karpenter.k8s.aws/instance-category
          operator: In
          values: ["c", "m", "r"]
        - key: karpenter.k8s.aws/instance-generation
          operator: Gt
          values: ["2"]
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: default
      expireAfter: 720h
  limits:
    cpu: 1000
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 1m
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  role: "KarpenterNodeRole-my-cluster"
  amiSelectorTerms:
    - alias: "al2023@v20240807"
  subnetSelectorTerms:
    - tags:
        karpenter.sh/discovery: "my-cluster"
  securityGroupSelectorTerms:
    - tags:
        karpenter.sh/discovery: "my-cluster"
`;

export const gettingStarted = (): { nodePool: any; nodeClass: any } => {
  const [nodePool, nodeClass] = YAML.parseAllDocuments(GETTING_STARTED_YAML).map(d => d.toJS());
  return { nodePool, nodeClass };
};

export function nodePool(mutate: (np: any) => void = () => {}): any {
  const np = gettingStarted().nodePool;
  mutate(np);
  return np;
}
export function nodeClass(mutate: (nc: any) => void = () => {}): any {
  const nc = gettingStarted().nodeClass;
  mutate(nc);
  return nc;
}
export function nodeClaim(mutate: (c: any) => void = () => {}): any {
  const c = {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: { name: "default-abcde" },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }],
    },
  };
  mutate(c);
  return c;
}
