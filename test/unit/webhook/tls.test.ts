import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { KubeObject } from "../../../src/kube/client";
import {
  MutatingWebhookKind,
  SecretKind,
  ValidatingWebhookKind,
  WebhookTls,
  WebhookTlsOptions,
  parseMaterial,
} from "../../../src/webhook/tls";
import { checkRotation, prepareLocalServing, prepareServing } from "../../../src/webhook/serving";
import { createPrivateKey } from "node:crypto";

const NS = "pepr-system";
const DAY = 86_400_000;

async function cluster(): Promise<MemoryKubeClient> {
  const c = new MemoryKubeClient();
  await c.create(SecretKind, { metadata: { name: "pepr-capsicum-tls", namespace: NS }, type: "Opaque" } as KubeObject);
  const hook = (name: string) => ({ name, clientConfig: { service: { name: "pepr-capsicum", namespace: NS, port: 443 } } });
  await c.create(MutatingWebhookKind, { metadata: { name: "pepr-capsicum" }, webhooks: [hook("m.pepr.dev")] } as KubeObject);
  await c.create(ValidatingWebhookKind, {
    metadata: { name: "pepr-capsicum" },
    webhooks: [{ name: "v.pepr.dev", clientConfig: { url: "https://127.0.0.1:3443/" } }],
  } as KubeObject);
  return c;
}

const opts = (client: MemoryKubeClient, now: () => Date = () => new Date()): WebhookTlsOptions => ({
  client,
  namespace: NS,
  secretName: "pepr-capsicum-tls",
  serviceName: "pepr-capsicum",
  webhookConfigName: "pepr-capsicum",
  now,
});

describe("run-time webhook TLS (the Secret ships without data)", () => {
  jest.setTimeout(120_000);

  it("replicas racing to fill the empty Secret agree on one CA, cert and API path, valid for the Service", async () => {
    const c = await cluster();
    const [a, b] = await Promise.all([new WebhookTls(opts(c)).ensure(), new WebhookTls(opts(c)).ensure()]);
    expect(a.crtPem).toBe(b.crtPem);
    expect(a.apiPath).toBe(b.apiPath);
    const stored = parseMaterial(await c.get(SecretKind, "pepr-capsicum-tls", NS));
    expect(stored?.crtPem).toBe(a.crtPem);
    const cert = new X509Certificate(a.crtPem);
    expect(cert.checkIssued(new X509Certificate(a.caPem))).toBe(true);
    expect(cert.checkHost("pepr-capsicum.pepr-system.svc")).toBe("pepr-capsicum.pepr-system.svc");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(a.apiPath).toMatch(/^[0-9a-f]{64}$/);
  });

  it("patches caBundle and the API path into both webhook configurations, then patches nothing", async () => {
    const c = await cluster();
    const dir = mkdtempSync(join(tmpdir(), "tls-"));
    const env: NodeJS.ProcessEnv = {};
    const { tls, material } = await prepareServing({ ...opts(c), dir, patchWebhooks: true, env });
    expect(readFileSync(env.SSL_KEY_PATH!, "utf8")).toBe(material.keyPem);
    expect(readFileSync(env.SSL_CERT_PATH!, "utf8")).toBe(material.crtPem);
    expect(env.PEPR_API_PATH).toBe(material.apiPath);
    const m = (await c.get(MutatingWebhookKind, "pepr-capsicum")) as KubeObject;
    const v = (await c.get(ValidatingWebhookKind, "pepr-capsicum")) as KubeObject;
    const mcc = (m.webhooks as any)[0].clientConfig; // eslint-disable-line @typescript-eslint/no-explicit-any
    const vcc = (v.webhooks as any)[0].clientConfig; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(Buffer.from(mcc.caBundle, "base64").toString()).toBe(material.caPem);
    expect(mcc.service.path).toBe(`/mutate/${material.apiPath}`);
    expect(vcc.url).toBe(`https://127.0.0.1:3443/validate/${material.apiPath}`);
    expect(m.metadata.ownerReferences).toBeUndefined();
    expect(await tls.patchWebhooks(material)).toBe(0);
  });

  it("renews before expiry, keeps the API path, trusts old and new CA, and tells other replicas to restart", async () => {
    const c = await cluster();
    let now = new Date("2030-01-01T00:00:00Z");
    const o = { ...opts(c, () => now), dir: mkdtempSync(join(tmpdir(), "tls-")), patchWebhooks: true, env: {} };
    const first = await prepareServing(o);
    const other = await prepareServing({ ...o, env: {} }); // a second replica serving the same material
    expect(other.material.crtPem).toBe(first.material.crtPem);
    expect(await checkRotation(o, first.tls, first.material)).toBe("ok");

    now = new Date(first.material.notAfter.getTime() - 10 * DAY); // inside the 30-day renewal window
    expect(await checkRotation(o, first.tls, first.material)).toBe("restart");
    const renewed = parseMaterial(await c.get(SecretKind, "pepr-capsicum-tls", NS))!;
    expect(renewed.crtPem).not.toBe(first.material.crtPem);
    expect(renewed.apiPath).toBe(first.material.apiPath);
    expect(renewed.notAfter.getTime()).toBeGreaterThan(now.getTime() + 300 * DAY);
    const bundle = Buffer.from(
      ((await c.get(MutatingWebhookKind, "pepr-capsicum")) as any).webhooks[0].clientConfig.caBundle, // eslint-disable-line @typescript-eslint/no-explicit-any
      "base64",
    ).toString();
    expect(bundle).toContain(renewed.caPem);
    expect(bundle).toContain(first.material.caPem);
    // The other replica still serves the old cert: it sees the Secret changed and restarts, without minting again.
    expect(await checkRotation(o, other.tls, other.material)).toBe("restart");
    expect(parseMaterial(await c.get(SecretKind, "pepr-capsicum-tls", NS))!.crtPem).toBe(renewed.crtPem);
  });

  it("fails with a clear message when the Secret from dist/ is missing", async () => {
    const c = new MemoryKubeClient();
    await expect(new WebhookTls(opts(c)).ensure()).rejects.toThrow(/pepr-system\/pepr-capsicum-tls not found: apply dist\//);
  });
});

describe("a certificate provided by cert-manager", () => {
  jest.setTimeout(60_000);
  it("is served as it is: the module only adds the API path", async () => {
    const c = await cluster();
    const issued = await new WebhookTls(opts(c)).ensure(); // stands in for cert-manager's Certificate
    const data = { ...((await c.get(SecretKind, "pepr-capsicum-tls", NS))!.data as Record<string, string>) };
    delete data["api-path"];
    const s = (await c.get(SecretKind, "pepr-capsicum-tls", NS))!;
    await c.patch(SecretKind, "pepr-capsicum-tls", [{ op: "replace", path: "/data", value: data }], NS);
    expect(s).toBeDefined();
    const m = await new WebhookTls(opts(c)).ensure();
    expect(m.crtPem).toBe(issued.crtPem);
    expect(m.apiPath).toMatch(/^[0-9a-f]{64}$/);
    expect(parseMaterial(await c.get(SecretKind, "pepr-capsicum-tls", NS))!.apiPath).toBe(m.apiPath);
  });
});

describe("the watcher's pod-local certificate", () => {
  it("is a key pair for localhost written to the pod's directory and handed to Pepr, with no apiserver access", () => {
    const dir = mkdtempSync(join(tmpdir(), "tls-"));
    const env: NodeJS.ProcessEnv = {};
    prepareLocalServing(join(dir, "tls"), env);
    expect(env.SSL_KEY_PATH).toBe(join(dir, "tls", "tls.key"));
    expect(env.PEPR_API_PATH).toBeUndefined(); // the watcher serves no webhook
    const cert = new X509Certificate(readFileSync(env.SSL_CERT_PATH!, "utf8"));
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(env.SSL_KEY_PATH!, "utf8")))).toBe(true);
    expect(cert.checkHost("localhost")).toBe("localhost");
  });
});
