// Instance profile for an EC2NodeClass. spec.instanceProfile is used as-is (it must exist); spec.role gets a
// capsicum-managed profile named "<cluster>_<hash(region, nodeclass)>" holding that role, created on demand —
// the same scheme Karpenter uses, so nodes launched by either carry an equivalent profile.
import { createHash } from "node:crypto";
import {
  IAMClient,
  GetInstanceProfileCommand,
  CreateInstanceProfileCommand,
  AddRoleToInstanceProfileCommand,
  RemoveRoleFromInstanceProfileCommand,
  DeleteInstanceProfileCommand,
} from "@aws-sdk/client-iam";
import { TtlCache, TTL, Now } from "./ttlCache";

export class InstanceProfileError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = "InstanceProfileError";
  }
}

export function managedProfileName(clusterName: string, region: string, nodeClassName: string): string {
  const h = createHash("sha256").update(`${region}${nodeClassName}`).digest("hex").slice(0, 16);
  return `${clusterName}_${h}`.slice(0, 128);
}

const isNoSuchEntity = (e: unknown) =>
  (e as { name?: string }).name === "NoSuchEntityException" || (e as { name?: string }).name === "NoSuchEntity";

export class InstanceProfileProvider {
  private readonly cache: TtlCache<string>;
  constructor(
    private readonly iam: IAMClient,
    private readonly clusterName: string,
    private readonly region: string,
    now: Now = Date.now,
  ) {
    this.cache = new TtlCache(TTL.instanceProfile, now);
  }

  /** Returns the profile name to launch with; throws InstanceProfileError with a reason when it cannot. */
  async resolve(nc: {
    metadata: { name: string };
    spec: { role?: string; instanceProfile?: string };
  }): Promise<string> {
    const { role, instanceProfile } = nc.spec;
    if (instanceProfile) {
      return this.cache.getOrLoad(`profile:${instanceProfile}`, async () => {
        try {
          await this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: instanceProfile }));
          return instanceProfile;
        } catch (e) {
          if (isNoSuchEntity(e))
            throw new InstanceProfileError(
              `instance profile ${instanceProfile} not found (spec.instanceProfile): create it or use spec.role`,
              "InstanceProfileNotFound",
            );
          throw e;
        }
      });
    }
    if (!role)
      throw new InstanceProfileError(
        "must specify exactly one of ['role', 'instanceProfile']",
        "InstanceProfileNotFound",
      );
    const name = managedProfileName(this.clusterName, this.region, nc.metadata.name);
    return this.cache.getOrLoad(`role:${role}:${name}`, () => this.ensure(name, role, nc.metadata.name));
  }

  private async ensure(name: string, role: string, nodeClassName: string): Promise<string> {
    let roles: string[] = [];
    try {
      const out = await this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
      roles = (out.InstanceProfile?.Roles ?? []).map((r) => r.RoleName ?? "");
    } catch (e) {
      if (!isNoSuchEntity(e)) throw e;
      await this.iam.send(
        new CreateInstanceProfileCommand({
          InstanceProfileName: name,
          Tags: [
            { Key: "karpenter.k8s.aws/ec2nodeclass", Value: nodeClassName },
            { Key: `kubernetes.io/cluster/${this.clusterName}`, Value: "owned" },
            { Key: "karpenter.sh/managed-by", Value: this.clusterName },
            { Key: "topology.kubernetes.io/region", Value: this.region },
          ],
        }),
      );
    }
    if (roles.includes(role)) return name;
    for (const r of roles)
      await this.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: r }));
    const roleName = role.includes("/") ? role.split("/").pop()! : role;
    try {
      await this.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: roleName }));
    } catch (e) {
      if (isNoSuchEntity(e))
        throw new InstanceProfileError(
          `role ${roleName} not found (spec.role): create the node role or fix its name`,
          "RoleNotFound",
        );
      throw e;
    }
    return name;
  }

  /** Deletes the managed profile of a removed EC2NodeClass (no-op for user-supplied profiles). */
  async deleteManaged(nodeClassName: string): Promise<void> {
    const name = managedProfileName(this.clusterName, this.region, nodeClassName);
    try {
      const out = await this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
      for (const r of out.InstanceProfile?.Roles ?? [])
        await this.iam.send(
          new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: r.RoleName }),
        );
      await this.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name }));
    } catch (e) {
      if (!isNoSuchEntity(e)) throw e;
    }
    this.cache.clear();
  }
}
