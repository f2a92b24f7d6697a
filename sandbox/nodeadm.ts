// The cluster half of a node joining: the bootstrap's own checks of the cluster details (nodeadm's
// ValidateNodeConfig wording for AL2023) and what the kubelet meets when it calls the apiserver: a wrong endpoint
// does not answer, a CA that does not verify the serving certificate fails the TLS handshake, a wrong cluster name
// gets a token the cluster does not accept.
import tls from "node:tls";
import { BootConfig, BootError, ClusterDetails } from "./userData";

/** nodeadm internal/api/validation.go, word for word. Bottlerocket's settings check is its own. */
export function validateClusterDetails(boot: BootConfig): void {
  const c = boot.cluster;
  if (boot.family === "al2023") {
    if (!c.name) throw new BootError("nodeadm", "Command failed: Name is missing in cluster configuration");
    if (!c.apiServerEndpoint) throw new BootError("nodeadm", "Command failed: Apiserver endpoint is missing in cluster configuration");
    if (!c.certificateAuthority) throw new BootError("nodeadm", "Command failed: Certificate authority is missing in cluster configuration");
    if (!c.cidr) throw new BootError("nodeadm", "Command failed: CIDR is missing in cluster configuration");
    if (!validCidr(c.cidr)) throw new BootError("nodeadm", `Command failed: invalid CIDR address: ${c.cidr}`);
    return;
  }
  if (boot.family === "bottlerocket") {
    for (const [key, v] of [
      ["cluster-name", c.name],
      ["api-server", c.apiServerEndpoint],
      ["cluster-certificate", c.certificateAuthority],
    ] as const) {
      if (!v) throw new BootError("bottlerocket", `kubelet.service: missing required setting settings.kubernetes.${key}`);
    }
  }
}

function validCidr(cidr: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (m) return m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  return /^[0-9a-fA-F:]+\/\d{1,3}$/.test(cidr);
}

export interface ApiServer {
  /** The sandbox apiserver, e.g. https://127.0.0.1:6443 */
  endpoint: string;
  clusterName: string;
}

const registerError = (endpoint: string, err: string) =>
  new BootError("kubelet", `Unable to register node with API server: Post "${endpoint.replace(/\/$/, "")}/api/v1/nodes": ${err}`);

/** What the kubelet's first call to the apiserver in `c` meets. Resolves when it would succeed. */
export async function reachApiServer(c: ClusterDetails, sandbox: ApiServer): Promise<void> {
  const endpoint = c.apiServerEndpoint!;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new BootError("kubelet", `invalid apiserver endpoint "${endpoint}" in the kubelet kubeconfig`);
  }
  const want = new URL(sandbox.endpoint);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  if (url.hostname !== want.hostname || port !== want.port || url.protocol !== "https:") {
    // Nothing but the sandbox apiserver exists on this network: other names do not resolve, other ports refuse.
    const loopback = /^(127\.|localhost$|\[?::1\]?$)/.test(url.hostname);
    throw registerError(
      endpoint,
      loopback ? `dial tcp ${url.hostname}:${port}: connect: connection refused` : `dial tcp: lookup ${url.hostname}: no such host`,
    );
  }
  const ca = Buffer.from(c.certificateAuthority ?? "", "base64").toString("utf8");
  if (!/-----BEGIN CERTIFICATE-----/.test(ca)) {
    throw new BootError("kubelet", "unable to load bootstrap kubeconfig: unable to load root certificates: no certificates found in certificate-authority-data");
  }
  await new Promise<void>((resolve, reject) => {
    const sock = tls.connect({ host: url.hostname, port: Number(port), ca, servername: url.hostname === "127.0.0.1" ? undefined : url.hostname });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(registerError(endpoint, "net/http: TLS handshake timeout"));
    }, 5000);
    sock.once("secureConnect", () => {
      clearTimeout(timer);
      // The check has passed: a late error of this probe socket (e.g. while closing) must not go unhandled.
      sock.on("error", () => undefined);
      sock.end();
      resolve();
    });
    sock.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const unknownCa = /self[- ]signed|unable to (verify|get)|UNABLE_TO|SELF_SIGNED|CERT_/i.test(`${e.code} ${e.message}`);
      reject(
        registerError(
          endpoint,
          unknownCa ? "tls: failed to verify certificate: x509: certificate signed by unknown authority" : e.message,
        ),
      );
    });
  });
  // The kubelet authenticates with an aws-iam-authenticator token minted for the cluster name it was given.
  if (c.name !== sandbox.clusterName) throw new BootError("kubelet", 'Unable to register node with API server: Unauthorized');
}
