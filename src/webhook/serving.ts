// Prepares a pod to serve Pepr's HTTPS server with run-time material: ensures the shared Secret is filled,
// writes the key/cert to a pod-local directory (an emptyDir: the root filesystem is read-only), points Pepr at
// them through SSL_KEY_PATH / SSL_CERT_PATH / PEPR_API_PATH (read once when the server starts) and, in the
// admission pods, patches the webhook configurations. A rotation check then runs on a timer: when the Secret
// holds a different certificate than the one being served (another replica renewed it), or the served one is
// due for renewal, the pod renews if needed and exits so that it restarts with the new material, as the
// controller-runtime cert-controller does.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isConflict } from "../kube/client";
import { mintServingCertificate } from "./mint";
import { SecretKind, WebhookMaterial, WebhookTls, WebhookTlsOptions, parseMaterial } from "./tls";

export interface ServingOptions extends WebhookTlsOptions {
  /** Writable directory for tls.key/tls.crt. */
  dir: string;
  /** Admission pods patch the webhook configurations (false: share the Secret's material, leave the webhooks). */
  patchWebhooks: boolean;
  env?: NodeJS.ProcessEnv;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The watcher serves only /healthz and /metrics over Pepr's HTTPS server: it mints a throwaway self-signed
 * certificate into its own directory (the kubelet's HTTPS probes do not verify it), so the watcher's
 * ServiceAccount needs no access to the webhook's Secret and never holds the webhook's private key.
 */
export function prepareLocalServing(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
  mint: typeof mintServingCertificate = mintServingCertificate,
): void {
  const m = mint({ dns: ["localhost"], ips: ["127.0.0.1"], now: new Date(), validityMs: 10 * 365 * 86_400_000 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  env.SSL_KEY_PATH = join(dir, "tls.key");
  env.SSL_CERT_PATH = join(dir, "tls.crt");
  writeFileSync(env.SSL_KEY_PATH, m.keyPem, { mode: 0o600 });
  writeFileSync(env.SSL_CERT_PATH, m.crtPem, { mode: 0o600 });
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function prepareServing(o: ServingOptions): Promise<{ tls: WebhookTls; material: WebhookMaterial }> {
  const tls = new WebhookTls(o);
  const env = o.env ?? process.env;
  const sleep = o.sleep ?? sleepReal;
  const material = await tls.ensure();
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const keyPath = join(o.dir, "tls.key"),
    crtPath = join(o.dir, "tls.crt");
  writeFileSync(keyPath, material.keyPem, { mode: 0o600 });
  writeFileSync(crtPath, material.crtPem, { mode: 0o600 });
  env.SSL_KEY_PATH = keyPath;
  env.SSL_CERT_PATH = crtPath;
  env.PEPR_API_PATH = material.apiPath;
  if (o.patchWebhooks) {
    for (let attempt = 0; ; attempt++) {
      try {
        const n = await tls.patchWebhooks(material);
        o.log?.info({ patched: n }, "webhook configurations carry this pod's caBundle and API path");
        break;
      } catch (e) {
        // Replicas patch concurrently; a conflict means another one changed it: re-read and retry.
        if (!isConflict(e) || attempt >= 10) throw e;
        await sleep(100 * 2 ** Math.min(attempt, 5));
      }
    }
  }
  return { tls, material };
}

/**
 * One rotation check. Returns "restart" when this pod must restart to serve new material (after renewing it
 * and updating the webhooks if it was due), "ok" otherwise.
 */
export async function checkRotation(
  o: ServingOptions,
  tls: WebhookTls,
  served: WebhookMaterial,
): Promise<"ok" | "restart"> {
  const stored = parseMaterial(await o.client.get(SecretKind, o.secretName, o.namespace));
  if (stored && stored.crtPem !== served.crtPem) {
    if (o.patchWebhooks) await tls.patchWebhooks(stored);
    return "restart";
  }
  if (tls.fresh(served)) return "ok";
  const renewed = await tls.ensure();
  if (o.patchWebhooks) await tls.patchWebhooks(renewed);
  o.log?.info({ notAfter: renewed.notAfter.toISOString() }, "webhook certificate renewed; restarting to serve it");
  return "restart";
}

/** Runs checkRotation every `intervalMs`; calls `restart` (process.exit in a pod) when it says so. */
export function watchRotation(
  o: ServingOptions,
  tls: WebhookTls,
  served: WebhookMaterial,
  intervalMs: number,
  restart: () => void,
): NodeJS.Timeout {
  const t = setInterval(() => {
    checkRotation(o, tls, served)
      .then((r) => r === "restart" && restart())
      .catch((e) => o.log?.warn({ err: String((e as Error)?.message ?? e) }, "webhook certificate check failed"));
  }, intervalMs);
  t.unref();
  return t;
}
