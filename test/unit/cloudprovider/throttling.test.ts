// EC2 RequestLimitExceeded through capsicum's own AWS clients (createAwsClients) against a local endpoint that
// throttles: every request is counted and timed. A throttled call makes at most AWS_MAX_ATTEMPTS requests, the
// waits between them are full-jitter exponential (random × 500 ms × 2^n before retry n), and many callers throttled at once
// stop retrying when the client's retry-token bucket is empty instead of multiplying the load.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { AWS_MAX_ATTEMPTS, createAwsClients } from "../../../src/cloudprovider/aws/clients";

const THROTTLED =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>' +
  "<Message>Request limit exceeded.</Message></Error></Errors><RequestID>req-1</RequestID></Response>";
const OK =
  '<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' +
  "<requestId>req-2</requestId><reservationSet/></DescribeInstancesResponse>";

let server: Server;
let endpoint: string;
let arrivals: number[] = [];
/** How many of the next requests are throttled (Infinity: all). */
let throttleNext = Infinity;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = "testing";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      arrivals.push(Date.now());
      const throttle = throttleNext > 0;
      throttleNext--;
      res.writeHead(throttle ? 503 : 200, { "content-type": "text/xml" });
      res.end(throttle ? THROTTLED : OK);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  arrivals = [];
  throttleNext = Infinity;
});
afterEach(() => jest.restoreAllMocks());

const ec2 = () => createAwsClients({ region: "us-east-1", endpoint }).ec2;

describe("EC2 RequestLimitExceeded", () => {
  it("a call throttled throughout makes exactly AWS_MAX_ATTEMPTS requests, then fails with the AWS error", async () => {
    await expect(ec2().send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: "RequestLimitExceeded" });
    expect(arrivals).toHaveLength(AWS_MAX_ATTEMPTS);
  });

  it("waits full-jitter exponential delays between attempts (random × 500 ms × 2^n before retry n)", async () => {
    jest.spyOn(Math, "random").mockReturnValue(0.5);
    await expect(ec2().send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: "RequestLimitExceeded" });
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    expect(gaps).toHaveLength(2);
    // Retry n waits random × min(500 ms × 2^n, 20 s): 0.5 × 1 s, then 0.5 × 2 s (plus request latency).
    expect(gaps[0]).toBeGreaterThanOrEqual(490);
    expect(gaps[0]).toBeLessThan(990); // not the next window yet
    expect(gaps[1]).toBeGreaterThanOrEqual(990);
    expect(gaps[1]).toBeLessThan(1990);
  });

  it("the jitter is full: a random draw of 0 retries at once, a draw near 1 waits the whole window", async () => {
    jest.spyOn(Math, "random").mockReturnValue(0);
    await expect(ec2().send(new DescribeInstancesCommand({}))).rejects.toBeDefined();
    const fast = arrivals[arrivals.length - 1]! - arrivals[0]!;
    arrivals = [];
    jest.spyOn(Math, "random").mockReturnValue(0.99);
    await expect(ec2().send(new DescribeInstancesCommand({}))).rejects.toBeDefined();
    const slow = arrivals[arrivals.length - 1]! - arrivals[0]!;
    expect(fast).toBeLessThan(200);
    expect(slow).toBeGreaterThanOrEqual(Math.floor(0.99 * 1000) + Math.floor(0.99 * 2000) - 10);
  });

  it("a brief throttle is ridden out: the call succeeds on a retry", async () => {
    jest.spyOn(Math, "random").mockReturnValue(0.1);
    throttleNext = 1;
    await expect(ec2().send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
    expect(arrivals).toHaveLength(2);
  });

  it("many callers throttled at once: retries stop when the client's retry budget is spent (no request storm)", async () => {
    jest.spyOn(Math, "random").mockReturnValue(0);
    const client = ec2();
    const callers = 150;
    const results = await Promise.allSettled(
      Array.from({ length: callers }, () => client.send(new DescribeInstancesCommand({}))),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    // Without a budget this would be callers × AWS_MAX_ATTEMPTS = 450 requests; the bucket (500 tokens, 5 per
    // throttling retry) allows at most 100 retries in total.
    expect(arrivals.length).toBeLessThanOrEqual(callers + 100);
    expect(arrivals.length).toBeGreaterThan(callers);
    // And once spent, a further call is not retried at all.
    arrivals = [];
    await expect(client.send(new DescribeInstancesCommand({}))).rejects.toBeDefined();
    expect(arrivals).toHaveLength(1);
  });
});
