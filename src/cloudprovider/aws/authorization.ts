// Karpenter's EC2NodeClass validation reconciler: once the class's subnets, security groups, AMIs and instance
// profile resolve, dry-run the three calls a launch makes (ec2:CreateLaunchTemplate, ec2:CreateFleet,
// ec2:RunInstances) with the class's resources and tags, so a missing IAM permission or an SCP denying one shows
// as ValidationSucceeded=False (CreateFleetAuthCheckFailed, ...) on the class — Ready=False, Argo CD Degraded —
// instead of as a launch failure on every NodeClaim. Answers are cached per class and inputs for 30 minutes.
// DISABLE_DRY_RUN skips it (ValidationSucceeded=True, reason DryRunDisabled), as Karpenter's --disable-dry-run.
import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  RunInstancesCommand,
  type EC2Client,
  type Tag,
} from "@aws-sdk/client-ec2";
import { createHash } from "node:crypto";
import type { Logger } from "../../log";
import { nodeClassTags } from "./instances";
import type { EC2NodeClassLike, EC2NodeClassStatus } from "./nodeClass";

export const VALIDATION_TTL_MS = 30 * 60_000;
const MAX_CACHED = 1024;

export const AUTH_FAILURES = {
  CreateLaunchTemplateAuthCheckFailed: "Controller isn't authorized to call ec2:CreateLaunchTemplate",
  CreateFleetAuthCheckFailed: "Controller isn't authorized to call ec2:CreateFleet",
  RunInstancesAuthCheckFailed: "Controller isn't authorized to call ec2:RunInstances",
} as const;
type Failure = keyof typeof AUTH_FAILURES;

export interface AuthorizationVerdict {
  ok: boolean;
  reason: string;
  message: string;
}

/** What EC2 said to a dry run: allowed, denied, or nothing conclusive (throttled, another error). */
type DryRunAnswer = "allowed" | "denied" | "inconclusive";

function answerOf(err: unknown): DryRunAnswer {
  const name = (err as { name?: string })?.name;
  if (name === "DryRunOperation") return "allowed";
  if (name === "UnauthorizedOperation") return "denied";
  return "inconclusive";
}

export class AuthorizationCheck {
  private readonly cache = new Map<string, { at: number; verdict: AuthorizationVerdict }>();

  constructor(
    private readonly deps: {
      ec2: Pick<EC2Client, "send">;
      /** Karpenter's tags for a class's resources (the launch's, without a NodeClaim). */
      tags: (nc: EC2NodeClassLike) => Record<string, string>;
      disabled: boolean;
      log: Logger;
      now: () => number;
    },
  ) {}

  /** Dry runs with the tags Karpenter puts on a class's resources (a launch's, without a NodeClaim). */
  static forCluster(
    ec2: Pick<EC2Client, "send">,
    clusterName: string,
    disabled: boolean | undefined,
    log: Logger,
    now: () => number,
  ): AuthorizationCheck {
    const tags = (nc: EC2NodeClassLike) => nodeClassTags(clusterName, nc);
    return new AuthorizationCheck({ ec2, tags, disabled: disabled ?? false, log, now });
  }

  /** The ValidationSucceeded verdict for a class whose dependencies resolved into `status`; undefined: not known. */
  async check(nc: EC2NodeClassLike, status: EC2NodeClassStatus): Promise<AuthorizationVerdict | undefined> {
    if (this.deps.disabled) return { ok: true, reason: "DryRunDisabled", message: "Dry run is disabled" };
    const tags = this.deps.tags(nc);
    const key = this.cacheKey(nc, status, tags);
    const hit = this.cache.get(key);
    const now = this.deps.now();
    if (hit && now - hit.at < VALIDATION_TTL_MS) return hit.verdict;
    const failure = await this.dryRuns(nc, status, tags);
    if (failure === "inconclusive") return undefined;
    const verdict: AuthorizationVerdict = failure
      ? { ok: false, reason: failure, message: AUTH_FAILURES[failure] }
      : { ok: true, reason: "ValidationSucceeded", message: "" };
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { at: now, verdict });
    return verdict;
  }

  /** The first call EC2 denies, "" when all are allowed, "inconclusive" when an answer said neither. */
  private async dryRuns(
    nc: EC2NodeClassLike,
    status: EC2NodeClassStatus,
    tags: Record<string, string>,
  ): Promise<Failure | "" | "inconclusive"> {
    const tagList: Tag[] = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    const subnet = status.subnets?.[0]?.id;
    const image = status.amis?.[0]?.id;
    const groups = (status.securityGroups ?? []).map((g) => g.id);
    // A name for the dry run only: nothing is created.
    const templateName = `karpenter.k8s.aws/validation/${nc.metadata.name}`;
    // What a launch template and RunInstances both carry: the image, groups, profile and tagged resources.
    const instance = {
      ImageId: image,
      SecurityGroupIds: groups,
      IamInstanceProfile: status.instanceProfile ? { Name: status.instanceProfile } : undefined,
      TagSpecifications: (["instance", "volume"] as const).map((ResourceType) => ({ ResourceType, Tags: tagList })),
    };
    const calls: Array<[Failure, () => Promise<unknown>]> = [
      [
        "CreateLaunchTemplateAuthCheckFailed",
        () =>
          this.deps.ec2.send(
            new CreateLaunchTemplateCommand({
              DryRun: true,
              LaunchTemplateName: templateName,
              LaunchTemplateData: instance,
              TagSpecifications: [{ ResourceType: "launch-template", Tags: tagList }],
            }),
          ),
      ],
      [
        "CreateFleetAuthCheckFailed",
        () =>
          this.deps.ec2.send(
            new CreateFleetCommand({
              DryRun: true,
              Type: "instant",
              TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: "on-demand" },
              LaunchTemplateConfigs: [
                {
                  LaunchTemplateSpecification: { LaunchTemplateName: templateName, Version: "$Latest" },
                  Overrides: (status.subnets ?? []).map((s) => ({ InstanceType: "m5.large", SubnetId: s.id })),
                },
              ],
              TagSpecifications: [
                { ResourceType: "fleet", Tags: tagList },
                { ResourceType: "instance", Tags: tagList },
                { ResourceType: "volume", Tags: tagList },
              ],
            }),
          ),
      ],
      [
        "RunInstancesAuthCheckFailed",
        () =>
          this.deps.ec2.send(
            new RunInstancesCommand({
              DryRun: true,
              MinCount: 1,
              MaxCount: 1,
              InstanceType: "m5.large",
              SubnetId: subnet,
              ...instance,
            }),
          ),
      ],
    ];
    for (const [failure, call] of calls) {
      let answer: DryRunAnswer;
      try {
        await call();
        answer = "inconclusive"; // a dry run never succeeds
      } catch (e) {
        answer = answerOf(e);
        if (answer === "inconclusive")
          this.deps.log.warn(
            { EC2NodeClass: { name: nc.metadata.name }, check: failure, error: String((e as Error)?.message ?? e) },
            "authorization dry run inconclusive; validation left as it was, retried on the next reconcile",
          );
      }
      if (answer === "denied") return failure;
      if (answer === "inconclusive") return "inconclusive";
    }
    return "";
  }

  private cacheKey(nc: EC2NodeClassLike, status: EC2NodeClassStatus, tags: Record<string, string>): string {
    const ids = (xs: Array<{ id: string }> | undefined) => (xs ?? []).map((x) => x.id).sort();
    const inputs = JSON.stringify([
      ids(status.subnets),
      ids(status.securityGroups),
      ids(status.amis),
      status.instanceProfile ?? "",
      nc.spec.metadataOptions ?? null,
      nc.spec.blockDeviceMappings ?? null,
      Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ]);
    return `${nc.metadata.name}:${createHash("sha256").update(inputs).digest("hex").slice(0, 16)}`;
  }
}
