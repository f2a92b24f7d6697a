// Shapes as EventBridge delivers them to SQS (AWS docs examples).
export const spotWarning = {
  version: "0", id: "12345678-1234-1234-1234-123456789012", "detail-type": "EC2 Spot Instance Interruption Warning",
  source: "aws.ec2", account: "123456789012", time: "2026-03-02T10:00:00Z", region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1a:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", "instance-action": "terminate" },
};
export const rebalance = {
  version: "0", id: "5a2d1f2e-0000-4a5b-9c3d-000000000001", "detail-type": "EC2 Instance Rebalance Recommendation",
  source: "aws.ec2", account: "123456789012", time: "2026-03-02T10:00:00Z", region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1a:instance/i-0aaaabbbbccccdddd"], detail: { "instance-id": "i-0aaaabbbbccccdddd" },
};
export const stateChange = (state: string, instanceId = "i-abcd1111") => ({
  version: "0", id: "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2", account: "123456789012", time: "2026-03-02T10:00:00Z", region: "us-east-1",
  resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`], detail: { "instance-id": instanceId, state },
});
export const scheduledChange = {
  version: "0", id: "121345678-1234-1234-1234-123456789012", "detail-type": "AWS Health Event", source: "aws.health",
  account: "123456789012", time: "2026-03-02T10:00:00Z", region: "us-east-1", resources: ["i-abcd1111"],
  detail: {
    eventArn: "arn:aws:health:us-east-1::event/EC2/EC2_INSTANCE_RETIREMENT_SCHEDULED/EC2_INSTANCE_RETIREMENT_SCHEDULED_ABC123",
    service: "EC2", eventTypeCode: "EC2_INSTANCE_RETIREMENT_SCHEDULED", eventTypeCategory: "scheduledChange",
    startTime: "Mon, 2 Mar 2026 10:00:00 GMT",
    affectedEntities: [{ entityValue: "i-abcd1111" }, { entityValue: "i-abcd2222" }],
  },
};

