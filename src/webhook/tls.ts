// Webhook TLS and API path, minted at run time instead of at build time, so the committed dist/ holds no key,
// no API-path token and no caBundle. The admission pods share one Secret that the manifests ship without data:
// the first pod to start fills it (an update guarded by resourceVersion, so racing replicas agree on one
// winner), every pod then serves that material and writes caBundle + service.path into the webhook
// configurations (a JSON patch per webhook; never ownerReferences, which would let GC delete them).
// The certificate is renewed before expiry; the previous CA stays in caBundle until every pod has restarted.
import { X509Certificate, randomBytes } from "node:crypto";
import { KubeClient, KubeError, KubeObject, ResourceKind, isConflict, rvGuard } from "../kube/client";
import { mintServingCertificate } from "./mint";

export const SecretKind: ResourceKind = {
  group: "",
  version: "v1",
  kind: "Secret",
  plural: "secrets",
  namespaced: true,
};
export const MutatingWebhookKind: ResourceKind = {
  group: "admissionregistration.k8s.io",
  version: "v1",
  kind: "MutatingWebhookConfiguration",
  plural: "mutatingwebhookconfigurations",
  namespaced: false,
};
export const ValidatingWebhookKind: ResourceKind = {
  ...MutatingWebhookKind,
  kind: "ValidatingWebhookConfiguration",
  plural: "validatingwebhookconfigurations",
};

/** Keys of the shared Secret. `ca-previous.crt` keeps the old CA trusted while replicas roll to a renewed cert. */
export const TLS_KEYS = {
  ca: "ca.crt",
  previousCa: "ca-previous.crt",
  crt: "tls.crt",
  key: "tls.key",
  apiPath: "api-path",
};

export interface WebhookMaterial {
  caPem: string;
  previousCaPem?: string;
  crtPem: string;
  keyPem: string;
  apiPath: string;
  notAfter: Date;
}

export interface WebhookTlsOptions {
  client: KubeClient;
  namespace: string;
  /** The data-less Secret shipped in dist/ (`pepr-<uuid>-tls`). */
  secretName: string;
  /** The admission Service; the serving cert's DNS names derive from it. */
  serviceName: string;
  /** Name of both webhook configurations (`pepr-<uuid>`). */
  webhookConfigName: string;
  now?: () => Date;
  /** Validity of a minted certificate (default 1 year) and how long before expiry it is renewed (default 30 days). */
  validityMs?: number;
  renewBeforeMs?: number;
  mint?: typeof mintServingCertificate;
}

const DAY = 86_400_000;
const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: unknown) => (typeof s === "string" ? Buffer.from(s, "base64").toString("utf8") : undefined);

/** DNS names and IPs the serving cert covers: the Service in every form, plus loopback for a host-run webhook. */
export function servingNames(serviceName: string, namespace: string): { dns: string[]; ips: string[] } {
  const svc = `${serviceName}.${namespace}.svc`;
  return {
    dns: [svc, serviceName, `${serviceName}.${namespace}`, `${svc}.cluster.local`, "localhost"],
    ips: ["127.0.0.1"],
  };
}

export function parseMaterial(secret: KubeObject | undefined): WebhookMaterial | undefined {
  const data = (secret?.data ?? {}) as Record<string, string>;
  const caPem = unb64(data[TLS_KEYS.ca]),
    crtPem = unb64(data[TLS_KEYS.crt]),
    keyPem = unb64(data[TLS_KEYS.key]),
    apiPath = unb64(data[TLS_KEYS.apiPath])?.trim();
  if (!caPem || !crtPem || !keyPem) return undefined;
  try {
    const cert = new X509Certificate(crtPem);
    if (!cert.checkIssued(new X509Certificate(caPem))) return undefined;
    return {
      caPem,
      crtPem,
      keyPem,
      apiPath: apiPath && /^[0-9a-f]{32,}$/.test(apiPath) ? apiPath : "", // "" = not set yet
      previousCaPem: unb64(data[TLS_KEYS.previousCa]),
      notAfter: new Date(cert.validTo),
    };
  } catch {
    return undefined;
  }
}

export class WebhookTls {
  private readonly now: () => Date;
  private readonly validityMs: number;
  private readonly renewBeforeMs: number;
  private readonly mint: typeof mintServingCertificate;

  constructor(private readonly o: WebhookTlsOptions) {
    this.now = o.now ?? (() => new Date());
    this.validityMs = o.validityMs ?? 365 * DAY;
    this.renewBeforeMs = o.renewBeforeMs ?? 30 * DAY;
    this.mint = o.mint ?? mintServingCertificate;
  }

  /** True when the material is still good for longer than the renewal window. */
  fresh(m: WebhookMaterial): boolean {
    return m.notAfter.getTime() - this.now().getTime() > this.renewBeforeMs;
  }

  /**
   * Returns the shared material, minting it when the Secret is empty, invalid or due for renewal. Replicas
   * racing here all update the same resourceVersion: one wins, the others get 409, re-read and use the winner's.
   */
  async ensure(): Promise<WebhookMaterial> {
    const { client, namespace, secretName } = this.o;
    for (let attempt = 0; attempt < 5; attempt++) {
      const secret = await client.get(SecretKind, secretName, namespace);
      if (!secret) {
        throw new KubeError(
          404,
          `Secret ${namespace}/${secretName} not found: apply dist/ (it ships this Secret without data; the module fills it)`,
        );
      }
      const current = parseMaterial(secret);
      if (current && this.fresh(current) && current.apiPath) return current;
      if (current && this.fresh(current)) {
        // A certificate from elsewhere (cert-manager) without an API path: add only the path.
        const apiPath = randomBytes(32).toString("hex");
        try {
          await client.patch(
            SecretKind,
            secretName,
            [
              rvGuard(secret.metadata.resourceVersion),
              { op: "add", path: `/data/${TLS_KEYS.apiPath}`, value: b64(apiPath) },
            ],
            namespace,
          );
          return { ...current, apiPath };
        } catch (e) {
          if (!isConflict(e)) throw e;
          continue;
        }
      }
      const names = servingNames(this.o.serviceName, namespace);
      const minted = this.mint({ ...names, now: this.now(), validityMs: this.validityMs });
      const next: WebhookMaterial = {
        ...minted,
        // Keep the API path across renewals (only the cert rotates) and keep the old CA trusted meanwhile.
        apiPath: current?.apiPath || randomBytes(32).toString("hex"),
        previousCaPem: current?.caPem,
      };
      const data: Record<string, string> = {
        [TLS_KEYS.ca]: b64(next.caPem),
        [TLS_KEYS.crt]: b64(next.crtPem),
        [TLS_KEYS.key]: b64(next.keyPem),
        [TLS_KEYS.apiPath]: b64(next.apiPath),
      };
      if (next.previousCaPem) data[TLS_KEYS.previousCa] = b64(next.previousCaPem);
      try {
        await client.patch(
          SecretKind,
          secretName,
          [rvGuard(secret.metadata.resourceVersion), { op: "add", path: "/data", value: data }],
          namespace,
        );
        return next;
      } catch (e) {
        if (!isConflict(e)) throw e;
        // Another replica filled it first: loop and read theirs.
      }
    }
    throw new Error(`Secret ${namespace}/${secretName}: could not agree on webhook TLS material after 5 attempts`);
  }

  /** The caBundle webhooks trust: the current CA plus, during a rotation, the previous one. */
  static caBundle(m: WebhookMaterial): string {
    return b64(m.previousCaPem && m.previousCaPem !== m.caPem ? m.caPem + m.previousCaPem : m.caPem);
  }

  /**
   * Writes caBundle and the API path into both webhook configurations. A webhook that calls a Service gets
   * `service.path`; one that calls a URL (a host-run module, see sandbox/) gets the path in its URL. Only
   * differing fields are patched, so repeated calls by every replica are no-ops.
   */
  async patchWebhooks(m: WebhookMaterial): Promise<number> {
    const caBundle = WebhookTls.caBundle(m);
    let patched = 0;
    for (const [kind, verb] of [
      [MutatingWebhookKind, "mutate"],
      [ValidatingWebhookKind, "validate"],
    ] as const) {
      const cfg = await this.o.client.get(kind, this.o.webhookConfigName);
      if (!cfg) continue; // a module without mutating (or validating) bindings ships only one of them
      const webhooks = (cfg.webhooks ?? []) as Array<{ clientConfig?: Record<string, unknown> }>;
      const ops: { op: "add"; path: string; value: unknown }[] = [];
      const path = `/${verb}/${m.apiPath}`;
      webhooks.forEach((w, i) => {
        const cc = w.clientConfig ?? {};
        if (cc.caBundle !== caBundle)
          ops.push({ op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle });
        if (typeof cc.url === "string") {
          const u = new URL(cc.url);
          if (u.pathname !== path) {
            u.pathname = path;
            ops.push({ op: "add", path: `/webhooks/${i}/clientConfig/url`, value: u.toString() });
          }
        } else if (cc.service && (cc.service as { path?: string }).path !== path) {
          ops.push({ op: "add", path: `/webhooks/${i}/clientConfig/service/path`, value: path });
        }
      });
      if (ops.length === 0) continue;
      await this.o.client.patch(kind, this.o.webhookConfigName, [rvGuard(cfg.metadata.resourceVersion), ...ops]);
      patched++;
    }
    return patched;
  }
}
