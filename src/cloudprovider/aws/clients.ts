// AWS SDK clients from configuration only: region plus an optional endpoint (settings, or the SDK's standard
// AWS_ENDPOINT_URL variable). Credentials come from the SDK's default chain. Nothing here knows about tests.
import { EC2Client } from "@aws-sdk/client-ec2";
import { SSMClient } from "@aws-sdk/client-ssm";
import { IAMClient } from "@aws-sdk/client-iam";
import { SQSClient } from "@aws-sdk/client-sqs";
import { EKSClient } from "@aws-sdk/client-eks";
import { PricingClient } from "@aws-sdk/client-pricing";
import { pricingApiRegion } from "./onDemandPricing";

export interface AwsClients {
  ec2: EC2Client;
  ssm: SSMClient;
  iam: IAMClient;
  sqs: SQSClient;
  /** Cluster discovery (endpoint, CA, service CIDR, version); optional so tests may omit it. */
  eks?: EKSClient;
  /** On-demand prices (GetProducts) at the region's Pricing API endpoint; optional so tests may omit it. */
  pricing?: PricingClient;
}

export interface ClientConfig {
  region: string;
  endpoint?: string;
  maxAttempts?: number;
}

/** Attempts per AWS call (1 + 2 retries), as the SDK's and Karpenter AWS's standard retryer. */
export const AWS_MAX_ATTEMPTS = 3;

export function createAwsClients(cfg: ClientConfig): AwsClients {
  if (!cfg.region) throw new Error("AWS region is required (settings AWS_REGION, e.g. us-east-1)");
  const endpoint = cfg.endpoint ?? process.env.AWS_ENDPOINT_URL ?? undefined;
  // "standard" retry mode, pinned rather than left to AWS_RETRY_MODE: RequestLimitExceeded and other throttling
  // errors back off with full jitter (random × min(500 ms × 2^n, 20 s) before retry n), at most AWS_MAX_ATTEMPTS requests per
  // call, and a per-client retry-token bucket stops retries altogether when many calls are throttled at once (no
  // request storm). test/unit/cloudprovider/throttling.test.ts counts the requests.
  const common = {
    region: cfg.region,
    maxAttempts: cfg.maxAttempts ?? AWS_MAX_ATTEMPTS,
    retryMode: "standard",
    ...(endpoint ? { endpoint } : {}),
  };
  return {
    ec2: new EC2Client(common),
    ssm: new SSMClient(common),
    iam: new IAMClient(common),
    sqs: new SQSClient(common),
    eks: new EKSClient(common),
    // The Pricing API has endpoints in a few regions only: Karpenter's choice of one (us-east-1 for most).
    pricing: new PricingClient({ ...common, region: pricingApiRegion(cfg.region) }),
  };
}
