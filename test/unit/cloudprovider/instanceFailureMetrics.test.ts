// The AWS provider's launch and termination failure counters, as Karpenter AWS v1.14 counts them: one per failed
// CreateFleet offering (zone, zone ID from the class's subnets, the launch's capacity type, Karpenter's reason
// name), and one per failed TerminateInstances (the instance's zone and zone ID).
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import { launchFailureReason } from "../../../src/cloudprovider/aws/launchFailureReason";
import type { NodeClaimLike } from "../../../src/cloudprovider/types";
import { type Input, LaunchingFakeEc2, readyNodeClass } from "./launchingFakeEc2";

const NOW = Date.parse("2026-12-01T12:00:00Z");

class FailingEc2 extends LaunchingFakeEc2 {
  /** CreateFleet's error for every override (code, message); undefined launches. */
  fleetError?: [string, string];
  terminateError?: Error;
  constructor() {
    super(NOW);
  }
  protected override handle(command: string): Promise<unknown> | undefined {
    if (command !== "TerminateInstancesCommand") return undefined;
    return this.terminateError ? Promise.reject(this.terminateError) : Promise.resolve({});
  }
  protected override refuse(input: Input): unknown {
    if (!this.fleetError) return undefined;
    const [ErrorCode, ErrorMessage] = this.fleetError;
    const Errors = input.LaunchTemplateConfigs.flatMap((c: Input) =>
      c.Overrides.map((o: Input) => ({ ErrorCode, ErrorMessage, Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: o } })),
    );
    return { Instances: [], Errors };
  }
}

const claim: NodeClaimLike = {
  metadata: { name: "default-abc", uid: "abc-uid", labels: { "karpenter.sh/nodepool": "default" } },
  spec: {
    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
    requirements: [
      { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
      { key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a"] },
    ],
    resources: { requests: { cpu: "500m" } },
  },
};

function setup() {
  const ec2 = new FailingEc2();
  const nc = readyNodeClass();
  nc.status!.subnets = [{ id: "subnet-a", zone: "us-east-1a", zoneID: "use1-az4" }];
  const launchFailures: unknown[] = [];
  const terminationFailures: unknown[] = [];
  const p = new AwsCloudProvider({
    clusterName: "c", clusterEndpoint: "https://k", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16", region: "us-east-1",
    nodeClassLookup: async () => nc, now: () => ec2.now,
    clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
    onLaunchFailure: (f) => launchFailures.push(f),
    onTerminationFailure: (i) => terminationFailures.push(i),
  });
  return { ec2, p, launchFailures, terminationFailures };
}

describe("karpenter_cloudprovider_instance_launch_failures_total", () => {
  it("counts each failed offering with its zone, zone ID, capacity type and Karpenter's reason", async () => {
    const { ec2, p, launchFailures } = setup();
    ec2.fleetError = ["VcpuLimitExceeded", "You have requested more vCPU capacity than your current vCPU limit allows"];
    await expect(p.create(claim)).rejects.toThrow(/VcpuLimitExceeded/);
    expect(launchFailures.length).toBeGreaterThan(0);
    expect(launchFailures[0]).toEqual({ zone: "us-east-1a", zoneID: "use1-az4", capacityType: "on-demand", reason: "VCPULimitExceeded" });
  });

  it("counts nothing when the launch succeeds", async () => {
    const { p, launchFailures } = setup();
    await p.create(claim);
    expect(launchFailures).toEqual([]);
  });

  it("names reasons as Karpenter's ToReasonMessage, in its order", () => {
    expect(launchFailureReason("InsufficientInstanceCapacity: We currently do not have sufficient capacity")).toBe("LaunchFailed");
    expect(launchFailureReason("AuthFailure.ServiceLinkedRoleCreationNotPermitted: no")).toBe("SpotSLRCreationFailed");
    expect(launchFailureReason("UnauthorizedOperation: Not authorized for images: [ami-1]")).toBe("AMIAuthorizationFailure");
    expect(launchFailureReason("UnauthorizedOperation: You are not authorized")).toBe("Unauthorized");
    expect(launchFailureReason("InvalidParameterValue: Value (x) for parameter iamInstanceProfile.name is invalid")).toBe("InstanceProfileNameInvalid");
    expect(launchFailureReason("InvalidAMIID.NotFound: The image id does not exist")).toBe("AMINotFound");
    expect(launchFailureReason("MaxSpotInstanceCountExceeded: Max spot instance count exceeded")).toBe("SpotQuotaExceeded");
    expect(launchFailureReason("InsufficientFreeAddressesInSubnet: no addresses")).toBe("InsufficientFreeAddressesInSubnet");
  });
});

describe("karpenter_cloudprovider_instance_termination_failures_total", () => {
  it("counts a failed TerminateInstances with the instance's zone and zone ID, and the error still surfaces", async () => {
    const { ec2, p, terminationFailures } = setup();
    const res = await p.create(claim);
    ec2.instances[0]!.Placement.AvailabilityZoneId = "use1-az4";
    ec2.terminateError = Object.assign(new Error("Request limit exceeded"), { name: "RequestLimitExceeded" });
    const launched: NodeClaimLike = { ...claim, status: { providerID: res.providerID } };
    await expect(p.delete(launched)).rejects.toThrow(/Request limit exceeded/);
    expect(terminationFailures).toEqual([{ zone: "us-east-1a", zoneID: "use1-az4" }]);
    ec2.terminateError = undefined;
    await p.delete(launched);
    expect(terminationFailures).toHaveLength(1);
  });
});
