import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { SqsInterruptionQueue, runInterruptionLoop } from "../../../../src/cloudprovider/aws/interruption/sqsPoller";

describe("SqsInterruptionQueue", () => {
  it("resolves the URL once by name, long-polls 20 s for up to 10 messages and deletes by receipt handle", async () => {
    const sent: unknown[] = [];
    const client = {
      send: jest.fn(async (cmd: unknown) => {
        sent.push(cmd);
        if (cmd instanceof GetQueueUrlCommand) return { QueueUrl: "https://sqs.us-east-1.amazonaws.com/123/capsicum" };
        if (cmd instanceof ReceiveMessageCommand) return { Messages: [{ MessageId: "m1", Body: "{}", ReceiptHandle: "rh1" }] };
        return {};
      }),
    };
    const q = new SqsInterruptionQueue(client as never, "capsicum");
    const msgs = await q.receive();
    await q.receive();
    await q.deleteMessage(msgs[0]!);
    expect(msgs).toEqual([{ messageId: "m1", body: "{}", receiptHandle: "rh1" }]);
    expect(sent.filter(c => c instanceof GetQueueUrlCommand)).toHaveLength(1);
    const recv = sent.find(c => c instanceof ReceiveMessageCommand) as ReceiveMessageCommand;
    expect(recv.input).toMatchObject({ QueueUrl: "https://sqs.us-east-1.amazonaws.com/123/capsicum", WaitTimeSeconds: 20, MaxNumberOfMessages: 10 });
    const del = sent.find(c => c instanceof DeleteMessageCommand) as DeleteMessageCommand;
    expect(del.input).toEqual({ QueueUrl: "https://sqs.us-east-1.amazonaws.com/123/capsicum", ReceiptHandle: "rh1" });
  });
  it("rejects an empty queue name with the setting to fix", () => {
    expect(() => new SqsInterruptionQueue({ send: jest.fn() } as never, "")).toThrow(/set INTERRUPTION_QUEUE/);
  });
});

describe("runInterruptionLoop", () => {
  it("keeps polling after a failed batch and stops when aborted", async () => {
    const ac = new AbortController();
    let calls = 0;
    const errors: unknown[] = [];
    const handler = {
      processBatch: jest.fn(async () => {
        calls++;
        if (calls === 1) throw new Error("network");
        if (calls === 3) ac.abort();
        return { received: 0, deleted: 0, outcomes: [] };
      }),
    };
    const sleeps: number[] = [];
    await runInterruptionLoop(handler, { signal: ac.signal, onError: e => errors.push(e), sleep: async ms => { sleeps.push(ms); } });
    expect(calls).toBe(3);
    expect(errors).toHaveLength(1);
    expect(sleeps).toEqual([1000]);
  });
});
