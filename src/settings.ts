// Controller settings from the environment, validated up front so a typo fails at start with a message naming
// the variable and the fix, instead of a controller that silently misbehaves. Keys mirror Karpenter's options.
//
// Documented keys (defaults in brackets):
//   CLUSTER_NAME (required)          EKS cluster name; tags `kubernetes.io/cluster/<name>` and user data.
//   CLUSTER_ENDPOINT                 API server URL put into node user data (https://...).
//   CLUSTER_CA_BUNDLE                base64 CA of the API server for user data (else eks:DescribeCluster).
//   CLUSTER_SERVICE_CIDR             service CIDR for user data (else eks:DescribeCluster).
//   AWS_REGION (required)            region of the EC2/SQS/SSM APIs.
//   INTERRUPTION_QUEUE               SQS queue name; when set the interruption poller runs.
//   ISOLATED_VPC [false]             no route to AWS endpoints without a VPC endpoint (Karpenter's): the Pricing
//                                    API is not asked (embedded prices) and managed instance profiles not deleted.
//   DISABLE_DRY_RUN [false]          skip the EC2NodeClass authorization dry runs (Karpenter's --disable-dry-run):
//                                    ValidationSucceeded=True with reason DryRunDisabled.
//   BATCH_IDLE_DURATION [1s]         provisioning batch closes after this long without new pending pods.
//   BATCH_MAX_DURATION [10s]         ...or after this long in total.
//   FEATURE_GATES [SpotToSpotConsolidation=false]  comma list Name=true|false.
//   LOG_LEVEL [info]                 trace|debug|info|warn|error.
//   REGISTRATION_TTL [15m]           NodeClaims not registered within this are deleted (liveness).
//   GC_INTERVAL [30s], GC_GRACE_PERIOD [30s]  orphan-instance garbage collection cadence and grace period.
//   NODECLASS_REFRESH_INTERVAL [1m]  how often EC2NodeClass status is re-resolved.
//   DISRUPTION_POLL_INTERVAL [10s]   how often the disruption pass runs.
//   CONSOLIDATION_VALIDATION_DELAY [15s]  wait between computing a disruption command and re-validating it.
//   RECONCILE_CONCURRENCY [10]       NodeClaim reconciles running at once.
//   METRICS_PORT [8080]              Prometheus metrics port (0 disables the server).
//   METRICS_BIND_ADDRESS [0.0.0.0]   address the metrics server listens on (127.0.0.1: local scrapes only).
//   MIN_VALUES_POLICY [Strict]       Strict: a NodeClaim launches only with every requirement's minValues met;
//                                    BestEffort: minValues that cannot be met are lowered (as Karpenter's).
//   ADMISSION_MODE [default]         default: deny only what Karpenter's CRDs deny, capsicum's findings are
//                                    warnings + status conditions; strict: findings deny too.
import { parseDuration } from "./apis/duration";

import { isIP } from "node:net";

export interface Settings {
  clusterName: string;
  clusterEndpoint?: string;
  /** Service CIDR for node user data; unset = eks:DescribeCluster's (as Karpenter). */
  clusterServiceCIDR?: string;
  clusterCABundle?: string;
  awsRegion: string;
  interruptionQueue?: string;
  /** ISOLATED_VPC: no Pricing API, no IAM instance-profile cleanup (Karpenter's --isolated-vpc). */
  isolatedVpc: boolean;
  /** DISABLE_DRY_RUN: no ec2:CreateLaunchTemplate/CreateFleet/RunInstances dry runs validating a node class. */
  disableDryRun: boolean;
  batchIdleMs: number;
  batchMaxMs: number;
  featureGates: Record<string, boolean>;
  logLevel: "trace" | "debug" | "info" | "warn" | "error";
  registrationTtlMs: number;
  gcIntervalMs: number;
  gcGracePeriodMs: number;
  nodeClassRefreshMs: number;
  disruptionPollMs: number;
  consolidationValidationDelayMs: number;
  reconcileConcurrency: number;
  metricsPort: number;
  /** karpenter_pods_state with one series per pod (name/owner labels), as Karpenter; default off (counts). */
  metricsPodsStatePerPod: boolean;
  /** Address /metrics listens on (METRICS_BIND_ADDRESS; default all interfaces, as Prometheus scrapes the pod IP). */
  metricsBindAddress: string;
  admissionMode: AdmissionMode;
  /** MIN_VALUES_POLICY: Strict (default) or BestEffort, as Karpenter's --min-values-policy. */
  minValuesPolicy: MinValuesPolicy;
}

export type MinValuesPolicy = "Strict" | "BestEffort";
export const MIN_VALUES_POLICIES: readonly MinValuesPolicy[] = ["Strict", "BestEffort"];

/** A MIN_VALUES_POLICY value (case-sensitive, as Karpenter's); `source` names the setting or flag in the error. */
export function parseMinValuesPolicy(raw: string | undefined, source = "MIN_VALUES_POLICY"): MinValuesPolicy {
  const v = raw?.trim() || "Strict";
  if (!(MIN_VALUES_POLICIES as readonly string[]).includes(v))
    throw new SettingsError(
      `${source}="${raw}" must be Strict or BestEffort (BestEffort lowers a NodePool requirement's minValues when the instance types cannot meet it)`,
    );
  return v as MinValuesPolicy;
}

export type AdmissionMode = "default" | "strict";
export const ADMISSION_MODES: readonly AdmissionMode[] = ["default", "strict"];

/** ADMISSION_MODE alone (the admission controller reads it without the watcher's required settings). */
export function admissionModeFrom(env: Record<string, string | undefined> = process.env): AdmissionMode {
  const raw = (env.ADMISSION_MODE?.trim() || "default").toLowerCase();
  if (!(ADMISSION_MODES as readonly string[]).includes(raw))
    throw new SettingsError(
      `ADMISSION_MODE="${env.ADMISSION_MODE}" must be one of ${ADMISSION_MODES.join(", ")} (strict turns capsicum's admission warnings into denials)`,
    );
  return raw as AdmissionMode;
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

const DEFAULT_FEATURE_GATES: Record<string, boolean> = {
  NodeRepair: false,
  ReservedCapacity: true,
  SpotToSpotConsolidation: false,
  NodeOverlay: false,
  StaticCapacity: false,
  CapacityBuffer: false,
};

export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const errors: string[] = [];
  const str = (key: string, required: boolean): string | undefined => {
    const v = env[key]?.trim();
    if (!v) {
      if (required) errors.push(`${key} is required (set it to ${HINTS[key] ?? "a value"})`);
      return undefined;
    }
    return v;
  };
  const dur = (key: string, def: string): number => {
    const raw = env[key]?.trim() || def;
    const ms = parseDuration(raw).ms;
    if (ms === undefined || ms === null || ms < 0) {
      errors.push(`${key}="${raw}" is not a duration (use e.g. "1s", "500ms", "1m30s")`);
      return parseDuration(def).ms!;
    }
    return ms;
  };
  const int = (key: string, def: number, min: number): number => {
    const raw = env[key]?.trim();
    if (!raw) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      errors.push(`${key}="${raw}" must be an integer >= ${min}`);
      return def;
    }
    return n;
  };
  const bool = (key: string, def: boolean): boolean => {
    const raw = env[key]?.trim().toLowerCase();
    if (!raw) return def;
    if (raw === "true" || raw === "false") return raw === "true";
    errors.push(`${key}="${env[key]}" must be true or false`);
    return def;
  };

  const clusterName = str("CLUSTER_NAME", true) ?? "";
  const clusterEndpoint = str("CLUSTER_ENDPOINT", false);
  if (clusterEndpoint && !/^https?:\/\/\S+$/.test(clusterEndpoint)) {
    errors.push(`CLUSTER_ENDPOINT="${clusterEndpoint}" must be a URL like https://ABC.gr7.us-east-1.eks.amazonaws.com`);
  }
  const awsRegion = str("AWS_REGION", false) ?? str("AWS_DEFAULT_REGION", false) ?? "";
  if (!awsRegion) errors.push(`AWS_REGION is required (set it to ${HINTS.AWS_REGION})`);
  const batchIdleMs = dur("BATCH_IDLE_DURATION", "1s");
  const batchMaxMs = dur("BATCH_MAX_DURATION", "10s");
  if (batchIdleMs > batchMaxMs) errors.push(`BATCH_IDLE_DURATION must not exceed BATCH_MAX_DURATION`);

  const featureGates = { ...DEFAULT_FEATURE_GATES };
  const gatesRaw = env.FEATURE_GATES?.trim();
  if (gatesRaw) {
    for (const part of gatesRaw
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)) {
      const m = /^([A-Za-z0-9]+)=(true|false)$/.exec(part);
      if (!m) {
        errors.push(`FEATURE_GATES entry "${part}" must look like Name=true or Name=false`);
        continue;
      }
      if (!(m[1] in DEFAULT_FEATURE_GATES)) {
        errors.push(
          `FEATURE_GATES has unknown gate "${m[1]}" (known: ${Object.keys(DEFAULT_FEATURE_GATES).join(", ")})`,
        );
        continue;
      }
      featureGates[m[1]] = m[2] === "true";
    }
  }
  const level = (env.LOG_LEVEL?.trim() || "info").toLowerCase();
  const levels = ["trace", "debug", "info", "warn", "error"] as const;
  if (!(levels as readonly string[]).includes(level))
    errors.push(`LOG_LEVEL="${env.LOG_LEVEL}" must be one of ${levels.join(", ")}`);

  const settings: Settings = {
    clusterName,
    clusterEndpoint,
    clusterCABundle: str("CLUSTER_CA_BUNDLE", false),
    clusterServiceCIDR: str("CLUSTER_SERVICE_CIDR", false),
    awsRegion,
    interruptionQueue: str("INTERRUPTION_QUEUE", false),
    isolatedVpc: bool("ISOLATED_VPC", false),
    disableDryRun: bool("DISABLE_DRY_RUN", false),
    batchIdleMs,
    batchMaxMs,
    featureGates,
    logLevel: ((levels as readonly string[]).includes(level) ? level : "info") as Settings["logLevel"],
    registrationTtlMs: dur("REGISTRATION_TTL", "15m"),
    gcIntervalMs: dur("GC_INTERVAL", "30s"),
    gcGracePeriodMs: dur("GC_GRACE_PERIOD", "30s"),
    nodeClassRefreshMs: dur("NODECLASS_REFRESH_INTERVAL", "1m"),
    disruptionPollMs: dur("DISRUPTION_POLL_INTERVAL", "10s"),
    consolidationValidationDelayMs: dur("CONSOLIDATION_VALIDATION_DELAY", "15s"),
    reconcileConcurrency: int("RECONCILE_CONCURRENCY", 10, 1),
    metricsPort: int("METRICS_PORT", 8080, 0),
    metricsPodsStatePerPod: bool("METRICS_PODS_STATE_PER_POD", false),
    metricsBindAddress: metricsBindAddress(env.METRICS_BIND_ADDRESS, errors),
    admissionMode: "default",
    minValuesPolicy: "Strict",
  };
  try {
    settings.admissionMode = admissionModeFrom(env);
  } catch (e) {
    errors.push((e as Error).message);
  }
  try {
    settings.minValuesPolicy = parseMinValuesPolicy(env.MIN_VALUES_POLICY);
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length) throw new SettingsError(`invalid capsicum settings:\n  - ${errors.join("\n  - ")}`);
  return settings;
}

const HINTS: Record<string, string> = {
  CLUSTER_NAME: "your EKS cluster name, e.g. CLUSTER_NAME=my-cluster",
  AWS_REGION: "the cluster's region, e.g. AWS_REGION=us-east-1",
};

function metricsBindAddress(v: string | undefined, errors: string[]): string {
  const a = v?.trim() || "0.0.0.0";
  if (isIP(a) === 0 && a !== "localhost")
    errors.push(`METRICS_BIND_ADDRESS="${v}" must be an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::)`);
  return a;
}
