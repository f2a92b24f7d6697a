// Pod start-up glue: what runs before Pepr's HTTPS server (see pepr.ts). Engine logic lives in src/webhook.
import { Log } from "pepr";
import { ApiKubeClient } from "../src/kube/apiClient";
import { loadSettings, SettingsError } from "../src/settings";
import { ensurePeprStore } from "../src/webhook/peprStore";
import { prepareLocalServing, prepareServing, watchRotation, ServingOptions } from "../src/webhook/serving";

/** Pepr's fixed namespace for module pods. */
export const MODULE_NAMESPACE = "pepr-system";

/**
 * Builds the module (`construct`: the PeprModule, whose constructor starts Pepr's store controller) once its
 * PeprStore exists, then starts the pod. `pepr build` and `pepr dev` construct it at once: build only collects
 * the capabilities, and dev runs a single process (no race).
 */
export async function bootPod(uuid: string, construct: () => { start(port: number): void }): Promise<void> {
  const mode = process.env.PEPR_MODE;
  if (mode !== "build" && mode !== "dev")
    await ensurePeprStore({
      client: new ApiKubeClient(),
      namespace: MODULE_NAMESPACE,
      name: `pepr-${uuid}-store`,
      log: Log,
    });
  const mod = construct();
  await startPod(uuid, (port) => mod.start(port));
}

export async function startPod(uuid: string, start: (port: number) => void): Promise<void> {
  const mode = process.env.PEPR_MODE;
  if (mode === "build") return; // `pepr build` only collects the capabilities
  const port = Number(process.env.CAPSICUM_SERVER_PORT || 3000);
  if (mode === "dev") return start(port); // `pepr dev` wrote its own cert and API path
  const watcher = process.env.PEPR_WATCH_MODE === "true";
  if (watcher) {
    // A watcher that cannot run its controllers is a crash-looping pod, with the reason in its log: the
    // kubelet's restart backoff paces the retries, and the settings only change with a new pod spec.
    try {
      loadSettings(process.env);
    } catch (e) {
      if (e instanceof SettingsError) {
        Log.error({ err: e.message }, "capsicum settings are invalid (ConfigMap capsicum-settings)");
        process.exit(1);
      }
      throw e;
    }
  }
  const dir = process.env.CAPSICUM_TLS_DIR || "/app/tls";
  if (watcher) {
    // The watcher serves no webhook: a local certificate for /healthz, no access to the webhook's Secret.
    prepareLocalServing(dir);
    Log.info({ watcher }, "serving /healthz with a pod-local certificate");
    return start(port);
  }
  const name = `pepr-${uuid}`;
  const opts: ServingOptions = {
    client: new ApiKubeClient(),
    namespace: MODULE_NAMESPACE,
    secretName: `${name}-tls`,
    serviceName: name,
    webhookConfigName: name,
    dir,
    patchWebhooks: true,
    log: Log,
  };
  const { tls, material } = await prepareServing(opts);
  Log.info({ notAfter: material.notAfter.toISOString() }, "serving with the module's run-time certificate");
  const hour = 3_600_000;
  watchRotation(opts, tls, material, Number(process.env.CAPSICUM_CERT_CHECK_INTERVAL_MS || hour), () => {
    Log.info("webhook certificate changed: exiting so the pod restarts with it");
    process.exit(0);
  });
  start(port);
}
