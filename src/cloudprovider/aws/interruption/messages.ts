// Parse SQS message bodies carrying EventBridge events into typed interruption events. Never throws: anything
// malformed or unrecognised becomes {kind: "unknown"} so the poller can log and delete it. Also accepts bodies
// wrapped in an SNS envelope ({"Type":"Notification","Message":"<json>"}).

export type StateChangeState = "stopping" | "stopped" | "shutting-down" | "terminated";

interface Base {
  id?: string;
  time?: string;
  region?: string;
  instanceIds: string[];
}
export type InterruptionEvent =
  | (Base & { kind: "spotInterruption" })
  | (Base & { kind: "rebalanceRecommendation" })
  | (Base & { kind: "scheduledChange"; eventTypeCode?: string })
  | (Base & { kind: "stateChange"; state: StateChangeState })
  | (Base & { kind: "capacityReservationInterruption" })
  /** DescribeInstanceStatus (not SQS): a failed instance/system status check, or a scheduled event. */
  | (Base & { kind: "instanceStatus" | "systemStatus" | "eventStatus" })
  /** A recognised event that needs no action (e.g. a state change to "running"). */
  | (Base & { kind: "noop"; reason: string })
  | { kind: "unknown"; reason: string };

const ACTION_STATES = new Set<string>(["stopping", "stopped", "shutting-down", "terminated"]);
const INSTANCE_ID = /^i-[0-9a-f]+$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Instance ids from detail.instance-id, or the instance ARNs in `resources` as a fallback. */
function instanceIdsOf(event: Obj, detail: Obj): string[] {
  const ids = new Set<string>();
  const direct = str(detail["instance-id"]);
  if (direct && INSTANCE_ID.test(direct)) ids.add(direct);
  if (ids.size === 0 && Array.isArray(event["resources"])) {
    for (const r of event["resources"]) {
      const m = typeof r === "string" ? /instance\/(i-[0-9a-f]+)$/.exec(r) : null;
      if (m) ids.add(m[1]!);
    }
  }
  return [...ids].sort();
}

export function parseInterruptionMessage(body: string): InterruptionEvent {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return { kind: "unknown", reason: "body is not JSON" };
  }
  if (isObj(event) && event["Type"] === "Notification" && typeof event["Message"] === "string") {
    return parseInterruptionMessage(event["Message"]);
  }
  if (!isObj(event)) return { kind: "unknown", reason: "body is not a JSON object" };
  const detailType = str(event["detail-type"]);
  const source = str(event["source"]);
  const detail = event["detail"];
  if (!detailType || !source || !isObj(detail))
    return { kind: "unknown", reason: "not an EventBridge event (missing source, detail-type or detail)" };
  const base = { id: str(event["id"]), time: str(event["time"]), region: str(event["region"]) };

  if (source === "aws.ec2") {
    const instanceIds = instanceIdsOf(event, detail);
    if (instanceIds.length === 0) return { kind: "unknown", reason: `${detailType} without an instance id` };
    switch (detailType) {
      case "EC2 Spot Instance Interruption Warning":
        return { ...base, kind: "spotInterruption", instanceIds };
      case "EC2 Instance Rebalance Recommendation":
        return { ...base, kind: "rebalanceRecommendation", instanceIds };
      case "EC2 Capacity Reservation Instance Interruption Warning":
        return { ...base, kind: "capacityReservationInterruption", instanceIds };
      case "EC2 Instance State-change Notification": {
        const state = str(detail["state"]) ?? "";
        if (ACTION_STATES.has(state))
          return { ...base, kind: "stateChange", state: state as StateChangeState, instanceIds };
        return { ...base, kind: "noop", reason: `instance state "${state}" needs no action`, instanceIds };
      }
    }
    return { kind: "unknown", reason: `unsupported aws.ec2 detail-type "${detailType}"` };
  }
  if (source === "aws.health" && detailType === "AWS Health Event") {
    if (detail["service"] !== "EC2")
      return {
        ...base,
        kind: "noop",
        reason: `health event for service ${String(detail["service"])}`,
        instanceIds: [],
      };
    if (detail["eventTypeCategory"] !== "scheduledChange") {
      return {
        ...base,
        kind: "noop",
        reason: `health event category ${String(detail["eventTypeCategory"])}`,
        instanceIds: [],
      };
    }
    const entities = Array.isArray(detail["affectedEntities"]) ? detail["affectedEntities"] : [];
    const instanceIds = [
      ...new Set(
        entities
          .map((e) => (isObj(e) ? str(e["entityValue"]) : undefined))
          .filter((v): v is string => !!v && INSTANCE_ID.test(v)),
      ),
    ].sort();
    if (instanceIds.length === 0) return { kind: "unknown", reason: "scheduled change without affected instances" };
    return { ...base, kind: "scheduledChange", eventTypeCode: str(detail["eventTypeCode"]), instanceIds };
  }
  return { kind: "unknown", reason: `unsupported event source "${source}" / detail-type "${detailType}"` };
}
