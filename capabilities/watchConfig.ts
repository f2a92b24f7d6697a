// Imported first by pepr.ts, before Pepr reads its watch settings at load time. Pepr's default gives up a watch
// after 5 failed resyncs (~30-60 s without the apiserver) and then throws, killing the watcher process; an
// apiserver restart or a brownout must not do that. The engine rebuilds its own state from a LIST on relist,
// so retrying the watch (every PEPR_RESYNC_DELAY_SECONDS) for as long as it takes is safe. Explicit settings
// (package.json pepr.env, Helm watcher.env) still win.
process.env.PEPR_RESYNC_FAILURE_MAX ??= "1000000";
process.env.PEPR_RESYNC_DELAY_SECONDS ??= "5";

export const watchConfig = {
  resyncFailureMax: Number(process.env.PEPR_RESYNC_FAILURE_MAX),
  resyncDelaySec: Number(process.env.PEPR_RESYNC_DELAY_SECONDS),
  // Pepr's variables, applied to the engine's own Pod watch too (capabilities/controllers.ts); kfc's defaults.
  relistIntervalSec: Number(process.env.PEPR_RELIST_INTERVAL_SECONDS || 600),
  lastSeenLimitSeconds: Number(process.env.PEPR_LAST_SEEN_LIMIT_SECONDS || 300),
};
