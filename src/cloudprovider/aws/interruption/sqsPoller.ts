// SQS access for the interruption handler: resolve the queue URL from its name once (GetQueueUrl), long-poll
// (20 s, up to 10 messages) and delete by receipt handle. `runInterruptionLoop` keeps polling until aborted and
// never lets one failed batch kill the loop.
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { InterruptionHandler, QueueMessage } from "./handler";

export const LONG_POLL_SECONDS = 20;
export const MAX_MESSAGES = 10;

export class SqsInterruptionQueue {
  private url?: string;

  /**
   * @param queue the queue name from settings (a full https:// URL is also accepted)
   * @param signal aborts an in-progress long poll (shutdown must not wait up to 20 s)
   */
  constructor(
    private readonly client: Pick<SQSClient, "send">,
    private readonly queue: string,
    private readonly signal?: AbortSignal,
  ) {
    if (!queue) throw new Error("interruption queue: empty name; set INTERRUPTION_QUEUE to the SQS queue name");
    if (/^https?:\/\//.test(queue)) this.url = queue;
  }

  async queueUrl(): Promise<string> {
    if (!this.url) {
      const out = await this.client.send(new GetQueueUrlCommand({ QueueName: this.queue }));
      if (!out.QueueUrl) throw new Error(`interruption queue "${this.queue}": GetQueueUrl returned no URL`);
      this.url = out.QueueUrl;
    }
    return this.url;
  }

  async receive(): Promise<QueueMessage[]> {
    const out = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: await this.queueUrl(),
        MaxNumberOfMessages: MAX_MESSAGES,
        WaitTimeSeconds: LONG_POLL_SECONDS,
      }),
      this.signal ? { abortSignal: this.signal } : undefined,
    );
    return (out.Messages ?? []).map((m) => ({
      messageId: m.MessageId,
      body: m.Body ?? "",
      receiptHandle: m.ReceiptHandle,
    }));
  }

  async deleteMessage(m: QueueMessage): Promise<void> {
    if (!m.receiptHandle) return;
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: await this.queueUrl(), ReceiptHandle: m.receiptHandle }),
    );
  }
}

/** Polls until `signal` aborts; errors back off (1 s doubling to 30 s) instead of crashing the loop. */
export async function runInterruptionLoop(
  handler: Pick<InterruptionHandler, "processBatch">,
  opts: { signal: AbortSignal; onError?: (err: unknown) => void; sleep?: (ms: number) => Promise<void> },
): Promise<void> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let backoff = 1000;
  while (!opts.signal.aborted) {
    try {
      await handler.processBatch();
      backoff = 1000;
    } catch (err) {
      if (opts.signal.aborted) return; // shutdown interrupted the long poll: not an error
      opts.onError?.(err);
      await sleep(backoff);
      backoff = Math.min(30_000, backoff * 2);
    }
  }
}
