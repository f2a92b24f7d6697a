// Mints a private CA and a serving certificate signed by it (node-forge: Node's crypto has no X.509 writer).
// node-forge is a dependency of Pepr's controller image, so the bundle leaves it external like Pepr does.
import { generateKeyPairSync, randomBytes } from "node:crypto";

/* eslint-disable @typescript-eslint/no-explicit-any */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const forge: any = require("node-forge");

export interface MintInput {
  dns: string[];
  ips: string[];
  now: Date;
  validityMs: number;
}

export interface MintedCertificate {
  caPem: string;
  crtPem: string;
  keyPem: string;
  notAfter: Date;
}

/** An RSA key pair from Node's native crypto (forge's pure-JS generation takes seconds on a busy node). */
function rsaKeyPair(): { publicKey: unknown; privateKey: unknown } {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const key = forge.pki.privateKeyFromPem(privateKey);
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function certificate(publicKey: unknown, subjectCN: string, issuerCN: string, notBefore: Date, notAfter: Date) {
  const crt = forge.pki.createCertificate();
  crt.publicKey = publicKey;
  // Positive 128-bit serial: every renewal is a distinct certificate.
  crt.serialNumber = "01" + randomBytes(15).toString("hex");
  crt.validity.notBefore = notBefore;
  crt.validity.notAfter = notAfter;
  crt.setSubject([{ name: "commonName", value: subjectCN }]);
  crt.setIssuer([{ name: "commonName", value: issuerCN }]);
  return crt;
}

export function mintServingCertificate(input: MintInput): MintedCertificate {
  // Backdate a little so a node whose clock lags does not reject a brand-new certificate.
  const notBefore = new Date(input.now.getTime() - 5 * 60_000);
  const notAfter = new Date(input.now.getTime() + input.validityMs);
  const caName = "capsicum webhook CA";
  const caKeys = rsaKeyPair();
  const ca = certificate(caKeys.publicKey, caName, caName, notBefore, notAfter);
  ca.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const keys = rsaKeyPair();
  const crt = certificate(keys.publicKey, input.dns[0], caName, notBefore, notAfter);
  crt.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [...input.dns.map((value) => ({ type: 2, value })), ...input.ips.map((ip) => ({ type: 7, ip }))],
    },
  ]);
  crt.sign(caKeys.privateKey, forge.md.sha256.create());
  return {
    caPem: forge.pki.certificateToPem(ca),
    crtPem: forge.pki.certificateToPem(crt),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
    notAfter,
  };
}
