// A pod's `karpenter.sh/do-not-disrupt` (Karpenter's IsDoNotDisruptActive): "true" protects for good; a positive
// Go duration protects until the pod's startTime + duration (with no startTime yet, it protects: fail safe);
// anything else is ignored and said so. Each disruption pass tells the user what the annotation does, with
// Karpenter's Events (deduplicated per pod and text).
import { rfc3339 } from "../apis/goTime";
import { parseDuration } from "../apis/duration";
import { DO_NOT_DISRUPT_ANNOTATION } from "../apis/pods";
import type { PodInfo } from "./types";

export type DoNotDisruptState =
  | { kind: "none" }
  | { kind: "always" }
  | { kind: "until"; at: number }
  | { kind: "elapsed" }
  | { kind: "invalid"; error: string };

/** Go's time.ParseDuration error for `value`, wrapped as Karpenter's parseDoNotDisrupt wraps it. */
function parseError(value: string, why: string): string {
  const q = JSON.stringify(value);
  const unit = /unknown unit "([^"]*)"/.exec(why)?.[1];
  const goError = why.includes("missing unit")
    ? `time: missing unit in duration ${q}`
    : unit !== undefined
      ? `time: unknown unit ${JSON.stringify(unit)} in duration ${q}`
      : `time: invalid duration ${q}`;
  return `failed to parse ${q} as a duration: ${goError}`;
}

export function doNotDisruptState(p: Pick<PodInfo, "annotations" | "startTime">, now: Date): DoNotDisruptState {
  const v = p.annotations?.[DO_NOT_DISRUPT_ANNOTATION];
  if (v === undefined) return { kind: "none" };
  if (v === "true") return { kind: "always" };
  const d = parseDuration(v);
  if (d.error !== undefined || d.ms === null)
    return { kind: "invalid", error: parseError(v, d.error ?? "invalid duration") };
  if (d.ms! <= 0) return { kind: "invalid", error: `duration ${JSON.stringify(v)} must be positive` };
  if (p.startTime === undefined) return { kind: "always" };
  const at = Date.parse(p.startTime) + d.ms!;
  return now.getTime() < at ? { kind: "until", at } : { kind: "elapsed" };
}

export function podDoNotDisruptActive(p: Pick<PodInfo, "annotations" | "startTime">, now: Date): boolean {
  const s = doNotDisruptState(p, now);
  return s.kind === "always" || s.kind === "until";
}

export interface PodNotice {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  dedupeValues: string[];
}

/** The Event Karpenter publishes for this pod's annotation, if any. */
export function doNotDisruptNotice(
  p: Pick<PodInfo, "uid" | "annotations" | "startTime">,
  now: Date,
): PodNotice | undefined {
  const s = doNotDisruptState(p, now);
  const uid = p.uid ?? "";
  switch (s.kind) {
    case "invalid":
      return {
        type: "Warning",
        reason: "InvalidDoNotDisruptAnnotation",
        message: `Invalid ${DO_NOT_DISRUPT_ANNOTATION} annotation: ${s.error}, ignoring annotation`,
        dedupeValues: [uid, s.error],
      };
    case "until":
      return {
        type: "Normal",
        reason: "DoNotDisruptUntil",
        message: `The ${DO_NOT_DISRUPT_ANNOTATION} grace period will elapse at ${rfc3339(s.at)}`,
        dedupeValues: [uid, rfc3339(s.at)],
      };
    case "elapsed":
      return {
        type: "Normal",
        reason: "DoNotDisruptGracePeriodElapsed",
        message: `The ${DO_NOT_DISRUPT_ANNOTATION} grace period has elapsed, pod is now disruptable`,
        dedupeValues: [uid],
      };
    default:
      return undefined;
  }
}
