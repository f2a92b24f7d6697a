// The EC2 that capacity-reservation and placement-group launch tests share: launch templates are stored, CreateFleet
// launches the first override as a running instance tagged with its NodeClaim, DescribeInstances finds it. A suite
// extends it with the commands it is about and with what its launches add to an instance or refuse.
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Input = Record<string, any>;

export class LaunchingFakeEc2 {
  templates = new Map<string, Input>();
  instances: Input[] = [];
  fleetCalls: Input[] = [];
  private seq = 0;

  constructor(public now: number) {}

  /** A suite's own commands; undefined = not handled here. */
  protected handle(_command: string, _input: Input): Promise<unknown> | undefined {
    return undefined;
  }

  /** CreateFleet's answer when this launch is refused (ICE, a full reservation), else undefined. */
  protected refuse(_input: Input, _template: Input, _override: Input): unknown {
    return undefined;
  }

  /** Fields the launched instance gets beyond the common ones; its Placement is merged with the zone. */
  protected launched(_template: Input, _override: Input): Input {
    return {};
  }

  async send(cmd: { constructor: { name: string }; input: Input }): Promise<unknown> {
    const input = cmd.input;
    const own = this.handle(cmd.constructor.name, input);
    if (own !== undefined) return own;
    switch (cmd.constructor.name) {
      case "DescribeSpotPriceHistoryCommand":
        return { SpotPriceHistory: [] };
      case "DescribeLaunchTemplatesCommand":
        if (this.templates.has(input.LaunchTemplateNames?.[0])) return { LaunchTemplates: [{ LaunchTemplateName: input.LaunchTemplateNames[0] }] };
        throw Object.assign(new Error("nf"), { name: "InvalidLaunchTemplateName.NotFoundException" });
      case "CreateLaunchTemplateCommand":
        this.templates.set(input.LaunchTemplateName, input.LaunchTemplateData);
        return {};
      case "DescribeInstancesCommand": {
        const tag = input.Filters?.find((f: { Name: string }) => f.Name === "tag:karpenter.sh/nodeclaim")?.Values?.[0];
        const ids = input.InstanceIds as string[] | undefined;
        return { Reservations: [{ Instances: this.instances.filter((i) => (ids ? ids.includes(i.InstanceId) : !tag || i.nodeClaim === tag)) }] };
      }
      case "CreateFleetCommand": {
        this.fleetCalls.push(input);
        const cfg = input.LaunchTemplateConfigs[0];
        const ov = cfg.Overrides[0];
        const lt = this.templates.get(cfg.LaunchTemplateSpecification.LaunchTemplateName)!;
        const refused = this.refuse(input, lt, ov);
        if (refused !== undefined) return refused;
        const id = `i-${(++this.seq).toString().padStart(8, "0")}`;
        const nodeClaim = input.TagSpecifications[0].Tags.find((t: { Key: string }) => t.Key === "karpenter.sh/nodeclaim").Value;
        const { Placement, ...extra } = this.launched(lt, ov);
        this.instances.push({
          InstanceId: id, InstanceType: ov.InstanceType, State: { Name: "running" }, LaunchTime: new Date(this.now),
          Placement: { AvailabilityZone: ov.AvailabilityZone, ...Placement },
          SubnetId: ov.SubnetId, ImageId: "ami-1", SecurityGroups: [{ GroupId: "sg-1" }], nodeClaim,
          Tags: input.TagSpecifications[0].Tags.concat([{ Key: "kubernetes.io/cluster/c", Value: "owned" }]),
          ...extra,
        });
        return { Instances: [{ InstanceIds: [id], InstanceType: ov.InstanceType, Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: ov } }], Errors: [] };
      }
      default:
        throw new Error(`unexpected ${cmd.constructor.name}`);
    }
  }
}

/** A Ready EC2NodeClass whose status already holds two subnets (us-east-1a/b), sg-1, ami-1 and profile "p". */
export function readyNodeClass(spec: Partial<EC2NodeClassLike["spec"]> = {}): EC2NodeClassLike {
  return {
    metadata: { name: "default", generation: 1 },
    spec: { role: "r", amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [{ id: "subnet-a" }], securityGroupSelectorTerms: [{ id: "sg-1" }], ...spec },
    status: {
      subnets: [{ id: "subnet-a", zone: "us-east-1a" }, { id: "subnet-b", zone: "us-east-1b" }],
      securityGroups: [{ id: "sg-1" }],
      amis: [{ id: "ami-1", name: "al2023", requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] }],
      instanceProfile: "p",
      conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "" }],
    },
  } as EC2NodeClassLike;
}
