// AMI resolution for amiSelectorTerms: alias (al2023@latest / al2023@vYYYYMMDD through the EKS SSM parameters),
// ssmParameter, id, name, tags and owner. Output is sorted newest first; a launch uses, per architecture, the
// newest image whose requirements the instance type meets.
import { DescribeImagesCommand, EC2Client, Image } from "@aws-sdk/client-ec2";
import type { AMISelectorTerm, EC2NodeClassStatus } from "./nodeClass";
import { aliasParameters, imageQuery } from "./selectors";
import { SsmParameterProvider } from "./ssmParameters";
import { TtlCache, TTL, Now } from "./ttlCache";
import { LabelArch } from "../../apis/labels";

export type ResolvedAMI = NonNullable<EC2NodeClassStatus["amis"]>[number] & { creationDate: string };

const ARCH: Record<string, string> = { x86_64: "amd64", arm64: "arm64" };

export class AmiProvider {
  private readonly cache: TtlCache<ResolvedAMI[]>;
  constructor(
    private readonly ec2: EC2Client,
    private readonly ssm: SsmParameterProvider,
    now: Now = Date.now,
  ) {
    this.cache = new TtlCache(TTL.default, now);
  }

  list(terms: AMISelectorTerm[], k8sMinor: string): Promise<ResolvedAMI[]> {
    return this.cache.getOrLoad(JSON.stringify([terms, k8sMinor]), async () => {
      const found = new Map<string, ResolvedAMI>();
      const ids: string[] = [];
      for (const term of terms) {
        if (term.alias) {
          for (const p of aliasParameters(term.alias, k8sMinor)) {
            const id = await this.ssm.get(p.name);
            if (id) ids.push(id);
          }
        } else if (term.ssmParameter) {
          const id = await this.ssm.get(term.ssmParameter);
          if (id) ids.push(id);
        } else {
          const q = imageQuery(term);
          for (const img of await this.describe({ Filters: q.filters, Owners: q.owners })) add(found, img);
        }
      }
      if (ids.length) for (const img of await this.describe({ ImageIds: [...new Set(ids)] })) add(found, img);
      return sortNewestFirst([...found.values()]);
    });
  }

  private async describe(input: {
    Filters?: Array<{ Name: string; Values: string[] }>;
    Owners?: string[];
    ImageIds?: string[];
  }): Promise<Image[]> {
    const out: Image[] = [];
    let token: string | undefined;
    do {
      const res = await this.ec2.send(new DescribeImagesCommand({ ...input, NextToken: token }));
      out.push(...(res.Images ?? []).filter((i) => !i.State || i.State === "available"));
      token = res.NextToken;
    } while (token);
    return out;
  }

  invalidate(): void {
    this.cache.clear();
  }
}

function add(found: Map<string, ResolvedAMI>, img: Image): void {
  if (!img.ImageId) return;
  const arch = ARCH[img.Architecture ?? ""] ?? img.Architecture ?? "amd64";
  found.set(img.ImageId, {
    id: img.ImageId,
    name: img.Name,
    creationDate: img.CreationDate ?? "",
    ...(img.DeprecationTime && Date.parse(img.DeprecationTime) < Date.now() ? { deprecated: true } : {}),
    requirements: [{ key: LabelArch, operator: "In", values: [arch] }],
  });
}

export function sortNewestFirst<T extends { id: string; creationDate?: string }>(amis: T[]): T[] {
  return [...amis].sort(
    (a, b) => (b.creationDate ?? "").localeCompare(a.creationDate ?? "") || a.id.localeCompare(b.id),
  );
}

/** The AMI a node with these labels gets: the first (newest) status AMI whose requirements its labels satisfy. */
export function amiFor(
  amis: NonNullable<EC2NodeClassStatus["amis"]>,
  labels: Record<string, string>,
): string | undefined {
  return (
    amis.find(
      (a) =>
        !a.deprecated &&
        a.requirements.every((r) => r.operator !== "In" || (r.values ?? []).includes(labels[r.key] ?? "")),
    )?.id ??
    amis.find((a) => a.requirements.every((r) => r.operator !== "In" || (r.values ?? []).includes(labels[r.key] ?? "")))
      ?.id
  );
}
