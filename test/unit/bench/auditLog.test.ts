import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditOffset, countAuditEvents, readAuditWindow } from "../../../bench/scale/auditLog";

// Events in kube-apiserver's JSON audit format (audit.k8s.io/v1 Event, level Metadata), as the sandbox writes them
// with omitStages [RequestReceived].
const ev = (
  stage: string,
  verb: string,
  user: string,
  resource?: string,
  subresource?: string,
  code = 200,
  id = Math.random().toString(16).slice(2),
): string =>
  JSON.stringify({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "Metadata",
    auditID: id,
    stage,
    requestURI: "/x",
    verb,
    user: { username: `system:serviceaccount:pepr-system:${user}`, groups: ["system:serviceaccounts"] },
    ...(resource
      ? { objectRef: { resource, namespace: "ns", apiVersion: "v1", ...(subresource ? { subresource } : {}) } }
      : {}),
    responseStatus: { metadata: {}, code },
    stageTimestamp: "2026-12-02T21:00:00.000000Z",
  });

describe("countAuditEvents", () => {
  it("counts each request once, by verb, verb + resource, user and error code", () => {
    const text = [
      ev("ResponseComplete", "create", "pepr-capsicum-watcher", "nodeclaims"),
      ev("ResponseComplete", "create", "pepr-capsicum-watcher", "events"),
      ev("ResponseComplete", "patch", "pepr-capsicum-watcher", "nodeclaims", "status"),
      ev("ResponseComplete", "get", "pepr-capsicum", "nodepools", undefined, 404),
      ev("ResponseComplete", "get", "pepr-capsicum", undefined),
      "",
    ].join("\n");
    expect(countAuditEvents(text)).toEqual({
      total: 5,
      byVerb: { create: 2, patch: 1, get: 2 },
      byVerbResource: {
        "create nodeclaims": 1,
        "create events": 1,
        "patch nodeclaims/status": 1,
        "get nodepools": 1,
        "get (non-resource)": 1,
      },
      byUser: { "pepr-capsicum-watcher": 3, "pepr-capsicum": 2 },
      byErrorCode: { "404": 1 },
    });
  });

  it("counts an established watch at its start only, and a refused watch at its completion", () => {
    const text = [
      ev("ResponseStarted", "watch", "w", "pods", undefined, 200, "a"),
      ev("ResponseComplete", "watch", "w", "pods", undefined, 200, "a"),
      ev("ResponseStarted", "watch", "w", "nodes", undefined, 200, "b"), // still open at the end
      ev("ResponseComplete", "watch", "w", "nodes", undefined, 200, "c"), // opened before the window
      ev("ResponseComplete", "watch", "w", "secrets", undefined, 403, "d"), // refused: no ResponseStarted
    ].join("\n");
    const c = countAuditEvents(text);
    expect(c.total).toBe(3);
    expect(c.byVerbResource).toEqual({ "watch pods": 1, "watch nodes": 1, "watch secrets": 1 });
    expect(c.byErrorCode).toEqual({ "403": 1 });
  });

  it("skips a partial line (the apiserver writing while it is read) and blank lines", () => {
    const full = ev("ResponseComplete", "list", "w", "pods");
    expect(countAuditEvents(`${full}\n\n${full.slice(0, 40)}`).total).toBe(1);
    expect(countAuditEvents(`${full.slice(25)}\n${full}\n`).total).toBe(1);
  });
});

describe("readAuditWindow", () => {
  it("counts only what was written after the offset, and a log not written yet counts nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "audit-"));
    try {
      const log = join(dir, "audit.log");
      expect(auditOffset(log)).toBe(0);
      expect(readAuditWindow(log, 0).total).toBe(0);
      writeFileSync(log, `${ev("ResponseComplete", "list", "w", "pods")}\n`);
      const from = auditOffset(log);
      appendFileSync(log, `${ev("ResponseComplete", "create", "w", "nodeclaims")}\n`);
      appendFileSync(log, `${ev("ResponseComplete", "create", "w", "nodeclaims")}\n`);
      expect(readAuditWindow(log, from)).toMatchObject({ total: 2, byVerb: { create: 2 } });
      expect(readAuditWindow(log, 0).total).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
