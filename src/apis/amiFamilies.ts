// EC2NodeClass AMI families: the one list behind the CRD's alias rule, the drift hash, alias resolution and the
// user-data format (aws pkg/apis/v1/ec2nodeclass.go: an alias's family implies spec.amiFamily).

export type AmiFamily = "AL2023" | "AL2" | "Bottlerocket" | "Windows2019" | "Windows2022" | "Windows2025" | "Custom";

/** Karpenter's amiSelectorTerms alias families (`<family>@<version>`) and the AMI family each implies. */
export const ALIAS_FAMILIES: Readonly<Record<string, Exclude<AmiFamily, "Custom">>> = {
  al2: "AL2",
  al2023: "AL2023",
  bottlerocket: "Bottlerocket",
  windows2019: "Windows2019",
  windows2022: "Windows2022",
  windows2025: "Windows2025",
};

/** The family an alias names (case-insensitive), or undefined for an unknown one. */
export function aliasFamily(alias: string): Exclude<AmiFamily, "Custom"> | undefined {
  return ALIAS_FAMILIES[alias.split("@")[0]!.toLowerCase()];
}
