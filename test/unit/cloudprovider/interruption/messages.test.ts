import { parseInterruptionMessage } from "../../../../src/cloudprovider/aws/interruption/messages";
import { rebalance, scheduledChange, spotWarning, stateChange } from "./events";

describe("parseInterruptionMessage", () => {
  it("parses a spot interruption warning", () => {
    expect(parseInterruptionMessage(JSON.stringify(spotWarning))).toEqual({
      kind: "spotInterruption", instanceIds: ["i-1234567890abcdef0"], id: spotWarning.id, time: spotWarning.time, region: "us-east-1",
    });
  });
  it("parses a rebalance recommendation", () => {
    expect(parseInterruptionMessage(JSON.stringify(rebalance))).toMatchObject({ kind: "rebalanceRecommendation", instanceIds: ["i-0aaaabbbbccccdddd"] });
  });
  it("parses actionable state changes and treats others as no-ops", () => {
    for (const s of ["stopping", "stopped", "shutting-down", "terminated"]) {
      expect(parseInterruptionMessage(JSON.stringify(stateChange(s)))).toMatchObject({ kind: "stateChange", state: s, instanceIds: ["i-abcd1111"] });
    }
    expect(parseInterruptionMessage(JSON.stringify(stateChange("running")))).toMatchObject({ kind: "noop" });
  });
  it("parses an AWS Health scheduled change with every affected instance", () => {
    expect(parseInterruptionMessage(JSON.stringify(scheduledChange))).toMatchObject({
      kind: "scheduledChange", eventTypeCode: "EC2_INSTANCE_RETIREMENT_SCHEDULED", instanceIds: ["i-abcd1111", "i-abcd2222"],
    });
    const other = { ...scheduledChange, detail: { ...scheduledChange.detail, eventTypeCategory: "issue" } };
    expect(parseInterruptionMessage(JSON.stringify(other))).toMatchObject({ kind: "noop" });
  });
  it("falls back to the instance ARN in resources", () => {
    const noDetailId = { ...spotWarning, detail: { "instance-action": "terminate" } };
    expect(parseInterruptionMessage(JSON.stringify(noDetailId))).toMatchObject({ kind: "spotInterruption", instanceIds: ["i-1234567890abcdef0"] });
  });
  it("unwraps an SNS envelope", () => {
    const sns = { Type: "Notification", MessageId: "m", Message: JSON.stringify(spotWarning) };
    expect(parseInterruptionMessage(JSON.stringify(sns))).toMatchObject({ kind: "spotInterruption" });
  });
  it("returns unknown, never throws, for malformed or unsupported input", () => {
    for (const body of ["", "not json", "[]", "null", "42", JSON.stringify({ hello: "world" }),
      JSON.stringify({ ...spotWarning, detail: "x" }), JSON.stringify({ ...spotWarning, "detail-type": "EC2 Fleet Error" }),
      JSON.stringify({ ...spotWarning, resources: [], detail: {} }), JSON.stringify({ ...spotWarning, source: "aws.s3" })]) {
      expect(parseInterruptionMessage(body).kind).toBe("unknown");
    }
  });
});
