// The admission corpus: NodePool, EC2NodeClass, NodeClaim and NodeOverlay documents, each labelled with the verdict
// Karpenter v1.14.1's own CRDs (schema + CEL, kubectl's strict field validation) give it. Written for capsicum from
// the rules in shared/reference/karpenter-crd-rules.md, with edge cases of every rule: both sides of each pattern,
// enum, limit and CEL rule, CEL's short-circuits (a missing `values`), unanchored patterns, list rules written with
// `self.all` that miss a bad term next to a good one, and transition rules on update.
//
// The labels are checked against the oracle (a kube-apiserver serving Karpenter's CRDs) by
// test/integration/apis/corpusOracle.test.ts; capsicum's verdicts are checked against the labels offline by
// test/unit/policies/corpus.test.ts and through `capsicum validate` by test/unit/cli/validateCorpus.test.ts.
//
// The cases live in one file per kind (nodePoolCases.ts, ec2NodeClassCases.ts, nodeClaimOverlayCases.ts), each
// adding its entries through corpusBase.ts; they are imported here in that order, so ids and order stay stable.
import { entries, type CorpusEntry } from "./corpusBase";
import "./nodePoolCases";
import "./ec2NodeClassCases";
import "./nodeClaimOverlayCases";

export { API_VERSION, base, type CorpusEntry, type CorpusKind } from "./corpusBase";

export const CORPUS: readonly CorpusEntry[] = entries;
