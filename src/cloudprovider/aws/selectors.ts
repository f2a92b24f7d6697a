// EC2NodeClass selector terms -> EC2 Describe* queries. Terms are ORed (one query each, results unioned);
// fields inside a term are ANDed (filters of one query). A tag value "*" means "has the key" (tag-key filter).
import type { AMISelectorTerm, SelectorTerm } from "./nodeClass";
import { ALIAS_FAMILIES } from "../../apis/amiFamilies";

export interface Filter {
  Name: string;
  Values: string[];
}
export interface ImageQuery {
  filters: Filter[];
  owners?: string[];
}

function tagFilters(tags: Record<string, string> | undefined): Filter[] {
  return Object.keys(tags ?? {})
    .sort()
    .map((k) => (tags![k] === "*" ? { Name: "tag-key", Values: [k] } : { Name: `tag:${k}`, Values: [tags![k]!] }));
}

export function subnetFilters(term: SelectorTerm): Filter[] {
  if (term.id) return [{ Name: "subnet-id", Values: [term.id] }];
  return tagFilters(term.tags);
}

export function securityGroupFilters(term: SelectorTerm): Filter[] {
  if (term.id) return [{ Name: "group-id", Values: [term.id] }];
  if (term.name) return [{ Name: "group-name", Values: [term.name] }];
  return tagFilters(term.tags);
}

/** Image queries for the non-alias, non-SSM terms. Name terms without an owner search self + amazon, as Karpenter does. */
export function imageQuery(term: AMISelectorTerm): ImageQuery {
  if (term.id) return { filters: [{ Name: "image-id", Values: [term.id] }] };
  const filters: Filter[] = [];
  if (term.name) filters.push({ Name: "name", Values: [term.name] });
  filters.push(...tagFilters(term.tags));
  const owners = term.owner ? [term.owner] : term.name ? ["self", "amazon"] : undefined;
  return owners ? { filters, owners } : { filters };
}

/** Human description of a term for Ready-condition messages, e.g. "tag karpenter.sh/discovery=demo". */
export function describeTerm(term: AMISelectorTerm): string {
  const parts: string[] = [];
  if (term.alias) parts.push(`alias ${term.alias}`);
  if (term.id) parts.push(`id ${term.id}`);
  if (term.name) parts.push(`name ${term.name}`);
  if (term.owner) parts.push(`owner ${term.owner}`);
  if (term.ssmParameter) parts.push(`ssmParameter ${term.ssmParameter}`);
  for (const k of Object.keys(term.tags ?? {}).sort()) parts.push(`tag ${k}=${term.tags![k]}`);
  return parts.join(", ") || "an empty term";
}

export function describeTerms(terms: AMISelectorTerm[]): string {
  return terms.map(describeTerm).join(" or ");
}

/** al2023@latest / al2023@v20250101 -> the SSM parameter names (one per architecture) the alias resolves through. */
export interface AliasParameter {
  name: string;
  arch: "amd64" | "arm64";
}

export function parseAlias(alias: string): { family: string; version: string } {
  const m = /^([a-zA-Z0-9]+)@(.+)$/.exec(alias);
  if (!m)
    throw new Error(
      `amiSelectorTerms alias "${alias}" is improperly formatted, must match the format 'family@version' (e.g. al2023@latest)`,
    );
  return { family: m[1]!.toLowerCase(), version: m[2]! };
}

/** The EKS-published SSM parameters an alias resolves through, per architecture (Karpenter's amifamily/*.go). */
export function aliasParameters(alias: string, k8sMinor: string): AliasParameter[] {
  const { family, version } = parseAlias(alias);
  if (!ALIAS_FAMILIES[family])
    throw new Error(
      `amiSelectorTerms alias "${alias}": unknown family "${family}" (one of ${Object.keys(ALIAS_FAMILIES).join(", ")})`,
    );
  const latest = version === "latest";
  const both: Array<["x86_64" | "arm64", "amd64" | "arm64"]> = [
    ["x86_64", "amd64"],
    ["arm64", "arm64"],
  ];
  if (family === "al2023")
    return both.map(([ssmArch, arch]) => {
      const leaf = latest ? "recommended" : `amazon-eks-node-al2023-${ssmArch}-standard-${k8sMinor}-${version}`;
      return {
        name: `/aws/service/eks/optimized-ami/${k8sMinor}/amazon-linux-2023/${ssmArch}/standard/${leaf}/image_id`,
        arch,
      };
    });
  if (family === "al2")
    return both.map(([, arch]) => {
      const dir = arch === "arm64" ? "amazon-linux-2-arm64" : "amazon-linux-2";
      const leaf = latest ? "recommended" : `amazon-eks-${arch === "arm64" ? "arm64-" : ""}node-${k8sMinor}-${version}`;
      return { name: `/aws/service/eks/optimized-ami/${k8sMinor}/${dir}/${leaf}/image_id`, arch };
    });
  if (family === "bottlerocket")
    return both.map(([ssmArch, arch]) => ({
      name: `/aws/service/bottlerocket/aws-k8s-${k8sMinor}/${ssmArch}/${latest ? "latest" : version.replace(/^v/, "")}/image_id`,
      arch,
    }));
  if (!latest) throw new Error(`amiSelectorTerms alias "${alias}": Windows families only support the "latest" version`);
  const release = family.slice("windows".length);
  return [
    {
      name: `/aws/service/ami-windows-latest/Windows_Server-${release}-English-Core-EKS_Optimized-${k8sMinor}/image_id`,
      arch: "amd64",
    },
  ];
}
