// SSM parameter lookups (AMI aliases, ssmParameter terms), cached for 24h as Karpenter does: public EKS AMI
// parameters change at most a few times a month.
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { TtlCache, TTL, Now } from "./ttlCache";

export class SsmParameterProvider {
  private readonly cache: TtlCache<string | null>;
  constructor(
    private readonly ssm: SSMClient,
    now: Now = Date.now,
  ) {
    this.cache = new TtlCache(TTL.ssm, now);
  }

  /** The parameter's value, or undefined when it does not exist. */
  async get(name: string): Promise<string | undefined> {
    const v = await this.cache.getOrLoad(name, async () => {
      try {
        const out = await this.ssm.send(new GetParameterCommand({ Name: name }));
        return out.Parameter?.Value ?? null;
      } catch (e) {
        if ((e as { name?: string }).name === "ParameterNotFound") return null;
        throw e;
      }
    });
    return v ?? undefined;
  }

  invalidate(): void {
    this.cache.clear();
  }
}
