// One connection pool to the apiserver for all of the engine's requests. kfc 3.11.6 (the client Pepr ships) makes a
// new undici Agent, so a new TLS connection, for every request, and keeps each one open for 10 minutes. In a
// 1,000-pod scale-out that left ~1,000 idle TLS sockets and ~140 MB of RSS outside the JS heap (README, Benchmarks).
// Here every request goes through one keep-alive agent with a bounded number of sockets. The credentials come from
// the kubeconfig through @kubernetes/client-node, the library kfc loads them with: in cluster that is the
// ServiceAccount token, which is read again as it rotates.
import { KubeConfig } from "@kubernetes/client-node";
import * as http from "node:http";
import * as https from "node:https";

/** Concurrent connections to the apiserver; more requests queue on the agent instead of opening sockets. */
export const MAX_SOCKETS = 16;
/** How long an Authorization header is reused before the kubeconfig is asked again (token rotation). */
const AUTH_TTL_MS = 10_000;

export interface ApiResponse {
  status: number;
  body: unknown;
}

export class ApiConnection {
  private readonly kc = new KubeConfig();
  private readonly base: URL;
  readonly agent: http.Agent;
  private readonly tls: https.RequestOptions = {};
  private auth?: { headers: Record<string, string>; at: number };
  private readonly ready: Promise<void>;

  constructor() {
    this.kc.loadFromDefault();
    const cluster = this.kc.getCurrentCluster();
    if (!cluster)
      throw new Error("no current cluster: set KUBECONFIG, or run in a pod with a ServiceAccount token mounted");
    this.base = new URL(cluster.server);
    const secure = this.base.protocol === "https:";
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, timeout: 60_000 })
      : new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, timeout: 60_000 });
    this.ready = this.loadTls();
  }

  /** The TLS material (CA, client certificate) once: it does not change while the process runs. */
  private async loadTls(): Promise<void> {
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    for (const k of ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername", "auth"] as const)
      if (opts[k] !== undefined) (this.tls as Record<string, unknown>)[k] = opts[k];
    this.auth = { headers: headersOf(opts), at: Date.now() };
  }

  private async authHeaders(): Promise<Record<string, string>> {
    await this.ready;
    if (this.auth && Date.now() - this.auth.at < AUTH_TTL_MS) return this.auth.headers;
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts); // the agent it also builds is never used, so it opens nothing
    this.auth = { headers: headersOf(opts), at: Date.now() };
    return this.auth.headers;
  }

  /** One request; the body is parsed as JSON when there is one. Never throws for an HTTP status. */
  async request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<ApiResponse> {
    const headers: Record<string, string> = { Accept: "application/json", ...(await this.authHeaders()) };
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) {
      headers["Content-Type"] = contentType;
      headers["Content-Length"] = String(payload.length);
    }
    const url = new URL(path, this.base);
    const send = url.protocol === "https:" ? https.request : http.request;
    return new Promise<ApiResponse>((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.agent, ...this.tls }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON (a proxy's error page): kept as text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}

export interface SocketCounts {
  open: number;
  idle: number;
}

/** Open and idle sockets of an agent (tests check the pool stays bounded and is reused). */
export function socketCounts(agent: http.Agent): SocketCounts {
  const count = (m: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
  return { open: count(agent.sockets), idle: count(agent.freeSockets) };
}

function headersOf(opts: https.RequestOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) out[k] = String(v);
  return out;
}
