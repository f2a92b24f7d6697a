// Counts the requests of the audited users (sandbox/controlplane.ts `auditGroups`: the module's ServiceAccounts) in
// kube-apiserver's JSON audit log, by verb, by verb + resource and by user. The log has one ResponseComplete event
// per request; an established watch also has a ResponseStarted event and is counted there (a watch still open at the
// end of the window is counted; one opened before it and ending inside it is not), a refused watch at its completion.
import { closeSync, openSync, readSync, statSync } from "node:fs";

export interface AuditCounts {
  total: number;
  byVerb: Record<string, number>;
  /** "verb resource[/subresource]", or "verb (non-resource)". */
  byVerbResource: Record<string, number>;
  /** By username, `system:serviceaccount:<ns>:` dropped. */
  byUser: Record<string, number>;
  /** Requests answered with a status ≥ 400 (a 404 GET, a 409 conflict, a 429 throttle...), by code. */
  byErrorCode: Record<string, number>;
}

interface AuditEvent {
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string };
  responseStatus?: { code?: number };
}

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Counts the events in `text` (JSON lines). Lines that do not parse (a partial last line) are skipped. */
export function countAuditEvents(text: string): AuditCounts {
  const out: AuditCounts = { total: 0, byVerb: {}, byVerbResource: {}, byUser: {}, byErrorCode: {} };
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let e: AuditEvent;
    try {
      e = JSON.parse(line) as AuditEvent;
    } catch {
      continue;
    }
    const verb = e.verb ?? "?";
    const code = e.responseStatus?.code;
    const established = verb === "watch" && (code === undefined || code < 400);
    if (e.stage === "ResponseStarted" ? !established : e.stage !== "ResponseComplete" || established) continue;
    const ref = e.objectRef;
    const resource = ref?.resource
      ? `${ref.resource}${ref.subresource ? `/${ref.subresource}` : ""}`
      : "(non-resource)";
    out.total++;
    bump(out.byVerb, verb);
    bump(out.byVerbResource, `${verb} ${resource}`);
    bump(out.byUser, (e.user?.username ?? "?").replace(/^system:serviceaccount:[^:]+:/, ""));
    if (code !== undefined && code >= 400) bump(out.byErrorCode, String(code));
  }
  return out;
}

/** The log's size now: a window's start for `readAuditWindow`. */
export function auditOffset(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // not written yet: nothing audited so far
  }
}

/** Counts the events written to the log since `from` (a byte offset from `auditOffset`). */
export function readAuditWindow(path: string, from: number): AuditCounts {
  const size = auditOffset(path);
  const buf = Buffer.alloc(Math.max(0, size - from));
  if (buf.length) {
    const fd = openSync(path, "r");
    try {
      readSync(fd, buf, 0, buf.length, from);
    } finally {
      closeSync(fd);
    }
  }
  return countAuditEvents(buf.toString("utf8"));
}
