// Self-signed PKI for the local control plane: a CA, the apiserver serving cert (127.0.0.1/localhost),
// an admin client cert in system:masters, and the service-account signing key pair. Generated with the
// openssl CLI into the sandbox's temp dir; nothing is ever written into the repo.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Pki { caCrt: string; caKey: string; serverCrt: string; serverKey: string; adminCrt: string; adminKey: string; saKey: string; saPub: string }

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === "ENOENT") throw new Error("capsicum: openssl is required by the sandbox: apt-get install openssl");
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString() ?? e}`);
  }
}

export function generatePki(dir: string): Pki {
  const p = (f: string) => join(dir, f);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=capsicum-sandbox-ca", "-days", "30", "-keyout", "ca.key", "-out", "ca.crt"], dir);
  writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n");
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver", "-keyout", "server.key", "-out", "server.csr"], dir);
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30", "-extfile", "server.ext", "-out", "server.crt"], dir);
  writeFileSync(p("client.ext"), "extendedKeyUsage=clientAuth\n");
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=system:masters/CN=capsicum-admin", "-keyout", "admin.key", "-out", "admin.csr"], dir);
  openssl(["x509", "-req", "-in", "admin.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30", "-extfile", "client.ext", "-out", "admin.crt"], dir);
  openssl(["genrsa", "-out", "sa.key", "2048"], dir);
  openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  return { caCrt: p("ca.crt"), caKey: p("ca.key"), serverCrt: p("server.crt"), serverKey: p("server.key"), adminCrt: p("admin.crt"), adminKey: p("admin.key"), saKey: p("sa.key"), saPub: p("sa.pub") };
}

export function writeKubeconfig(path: string, server: string, pki: Pki): void {
  // Inline data (not file paths) so every client — kubectl, kfc/@kubernetes/client-node, the AWS-free
  // controllers — reads it the same way from any working directory.
  const b64 = (f: string) => readFileSync(f).toString("base64");
  writeFileSync(path, [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: capsicum-sandbox",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caCrt)}`,
    "users:",
    "- name: capsicum-admin",
    "  user:",
    `    client-certificate-data: ${b64(pki.adminCrt)}`,
    `    client-key-data: ${b64(pki.adminKey)}`,
    "contexts:",
    "- name: capsicum-sandbox",
    "  context: {cluster: capsicum-sandbox, user: capsicum-admin}",
    "current-context: capsicum-sandbox",
    "",
  ].join("\n"));
}
