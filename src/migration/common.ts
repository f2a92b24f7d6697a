// Shared pieces of the v1alpha5 -> v1 conversion: result shape, names, durations, the provenance label.

/** Label every converted object carries, naming its source (`provisioner.<name>` / `awsnodetemplate.<name>`). */
export const ConvertedFromLabel = "capsicum.dev/converted-from";
export const NodeClassGroup = "karpenter.k8s.aws";

export interface ConversionContext {
  /**
   * Cluster-wide default instance profile (Karpenter v0.x `aws.defaultInstanceProfile` setting). v1alpha1
   * AWSNodeTemplates could omit `instanceProfile` and inherit it; a v1 EC2NodeClass must name one.
   */
  defaultInstanceProfile?: string;
}

/** One converted object set. `errors` are reasons the source cannot be converted (nothing is produced then). */
export interface ConversionOutcome<T> {
  object?: T;
  warnings: string[];
  errors: string[];
}

/** Go-style compact duration for whole seconds, as Karpenter's conversion prints it: 30s, 5m, 720h, 1h30m. */
export function secondsToDuration(total: number): string {
  const s = Math.max(0, Math.floor(total));
  if (s === 0) return "0s";
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${sec ? `${sec}s` : ""}`;
}

/** A label value (max 63 chars, alphanumeric at both ends) naming the source object. */
export function provenance(kind: "provisioner" | "awsnodetemplate", name: string): string {
  return `${kind}.${name}`.slice(0, 63).replace(/[^A-Za-z0-9]+$/, "");
}

/** Copies the user's own metadata labels (not annotations: kubectl's last-applied belongs to the source). */
export function carriedLabels(
  src: { labels?: Record<string, string> } | undefined,
  kind: "provisioner" | "awsnodetemplate",
  name: string,
): Record<string, string> {
  return { ...(src?.labels ?? {}), [ConvertedFromLabel]: provenance(kind, name) };
}

export const isObject = (x: unknown): x is Record<string, any> =>
  x !== null && typeof x === "object" && !Array.isArray(x);
