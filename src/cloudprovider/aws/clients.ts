// AWS SDK clients from configuration only: region plus an optional endpoint (settings, or the SDK's standard
// AWS_ENDPOINT_URL variable). Credentials come from the SDK's default chain. Nothing here knows about tests.
import { EC2Client } from "@aws-sdk/client-ec2";
import { SSMClient } from "@aws-sdk/client-ssm";
import { IAMClient } from "@aws-sdk/client-iam";
import { SQSClient } from "@aws-sdk/client-sqs";
import { EKSClient } from "@aws-sdk/client-eks";

export interface AwsClients {
  ec2: EC2Client;
  ssm: SSMClient;
  iam: IAMClient;
  sqs: SQSClient;
  /** Cluster discovery (endpoint, CA, service CIDR, version); optional so tests may omit it. */
  eks?: EKSClient;
}

export interface ClientConfig {
  region: string;
  endpoint?: string;
  maxAttempts?: number;
}

export function createAwsClients(cfg: ClientConfig): AwsClients {
  if (!cfg.region) throw new Error("AWS region is required (settings AWS_REGION, e.g. us-east-1)");
  const endpoint = cfg.endpoint ?? process.env.AWS_ENDPOINT_URL ?? undefined;
  const common = { region: cfg.region, maxAttempts: cfg.maxAttempts ?? 3, ...(endpoint ? { endpoint } : {}) };
  return {
    ec2: new EC2Client(common),
    ssm: new SSMClient(common),
    iam: new IAMClient(common),
    sqs: new SQSClient(common),
    eks: new EKSClient(common),
  };
}
