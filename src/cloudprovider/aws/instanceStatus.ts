// Karpenter AWS's instancestatus provider: the instances DescribeInstanceStatus reports unhealthy, one entry per
// instance with the failed checks per category. EC2 ANDs filters of different names, so the three conditions we
// OR (instance status impaired, system status impaired, a scheduled event) are three paged calls, merged by
// instance id. Only running instances are reported (no IncludeAllInstances); EBS status is ignored (a failed
// volume may be a pod's PVC, not the node's).
import { DescribeInstanceStatusCommand, type EC2Client, type InstanceStatus } from "@aws-sdk/client-ec2";

export type StatusCategory = "InstanceStatus" | "SystemStatus" | "EventStatus";

export interface StatusDetail {
  category: StatusCategory;
  /** The check's name (`reachability`) or the event's code (`instance-retirement`). */
  name: string;
  impairedSince: number;
}

export interface InstanceHealth {
  instanceId: string;
  /** The earliest impairedSince of its failed details. */
  impairedSince: number;
  details: StatusDetail[];
}

/** A failed status check counts only after two minutes (Karpenter's UnhealthyThreshold): EC2 flaps briefly. */
export const UNHEALTHY_THRESHOLD_MS = 120_000;

const FILTERS = [
  [{ Name: "instance-status.status", Values: ["impaired"] }],
  [{ Name: "system-status.status", Values: ["impaired"] }],
  [
    {
      Name: "event.code",
      Values: ["instance-reboot", "system-reboot", "system-maintenance", "instance-retirement", "instance-stop"],
    },
  ],
];

/** True for EC2's UnauthorizedOperation (the role lacks ec2:DescribeInstanceStatus). */
export function isUnauthorizedOperation(err: unknown): boolean {
  const e = err as { name?: string; Code?: string } | undefined;
  return e?.name === "UnauthorizedOperation" || e?.Code === "UnauthorizedOperation";
}

export async function listUnhealthyInstances(
  ec2: Pick<EC2Client, "send">,
  now: number,
  thresholdMs = UNHEALTHY_THRESHOLD_MS,
): Promise<InstanceHealth[]> {
  const byId = new Map<string, InstanceStatus>();
  for (const Filters of FILTERS) {
    let token: string | undefined;
    do {
      const out = await ec2.send(new DescribeInstanceStatusCommand({ Filters, NextToken: token }));
      for (const s of out.InstanceStatuses ?? [])
        if (s.InstanceId && !byId.has(s.InstanceId)) byId.set(s.InstanceId, s);
      token = out.NextToken;
    } while (token);
  }
  const out: InstanceHealth[] = [];
  for (const [instanceId, s] of byId) {
    const details = failedDetails(s, now).filter(
      // A scheduled event often lies in the future, so no threshold: an event means the host needs vacating
      // now, as the EventBridge scheduled-change path treats it.
      (d) => d.category === "EventStatus" || now - d.impairedSince >= thresholdMs,
    );
    if (details.length === 0) continue;
    out.push({ instanceId, impairedSince: Math.min(...details.map((d) => d.impairedSince)), details });
  }
  return out;
}

function failedDetails(s: InstanceStatus, now: number): StatusDetail[] {
  const checks = (category: StatusCategory, summary: InstanceStatus["InstanceStatus"]): StatusDetail[] =>
    (summary?.Details ?? [])
      .filter((d) => d.Status === "failed")
      .map((d) => ({ category, name: d.Name ?? "", impairedSince: d.ImpairedSince?.getTime() ?? 0 }));
  return [
    ...checks("InstanceStatus", s.InstanceStatus),
    ...checks("SystemStatus", s.SystemStatus),
    // Every scheduled event is a failure, impaired from now (Karpenter's newDetails).
    ...(s.Events ?? []).map((e) => ({ category: "EventStatus" as const, name: e.Code ?? "", impairedSince: now })),
  ];
}
