// The `capsicum-settings` ConfigMap shipped in dist/capsicum.yaml: every setting src/settings.ts reads, with
// its default, so a user sees (and patches, e.g. with a kustomize patch or by editing the file) the values
// the pods run with. CLUSTER_NAME and AWS_REGION are required: left empty, the watcher exits naming them.
export function settingsDefaults(): Record<string, string> {
  return {
    CLUSTER_NAME: "",
    AWS_REGION: "",
    CLUSTER_ENDPOINT: "",
    CLUSTER_CA_BUNDLE: "",
    CLUSTER_SERVICE_CIDR: "",
    INTERRUPTION_QUEUE: "",
    DEFAULT_INSTANCE_PROFILE: "",
    FEATURE_GATES: "SpotToSpotConsolidation=false,StaticCapacity=false",
    BATCH_IDLE_DURATION: "1s",
    BATCH_MAX_DURATION: "10s",
    DISRUPTION_POLL_INTERVAL: "10s",
    CONSOLIDATION_VALIDATION_DELAY: "15s",
    REGISTRATION_TTL: "15m",
    GC_INTERVAL: "30s",
    GC_GRACE_PERIOD: "30s",
    NODECLASS_REFRESH_INTERVAL: "1m",
    RECONCILE_CONCURRENCY: "10",
    METRICS_PORT: "8080",
    LOG_LEVEL: "info",
    ADMISSION_MODE: "default",
  };
}
