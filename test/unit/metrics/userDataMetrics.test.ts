// Modelled on Karpenter AWS v1.14's launchtemplate provider: karpenter_ec2nodeclasses_userdata_bytes is the size of
// the rendered user data (decoded, as EC2 limits it) per EC2NodeClass, recorded as a launch template is created
// (even when EC2 then rejects it), and dropped when the class's launch templates are deleted.
import { launchTemplateData, LaunchTemplateProvider, type LaunchTemplateInput } from "../../../src/cloudprovider/aws/launchTemplates";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { userDataBytesRecorder } from "../../../src/controllers/index";
import { Metrics } from "../../../src/metrics";

const input = (userData?: string): LaunchTemplateInput => ({
  nodeClass: { metadata: { name: "default" }, spec: { amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [], securityGroupSelectorTerms: [], userData } } as EC2NodeClassLike,
  clusterName: "demo", clusterEndpoint: "https://k", caBundle: "Q0E=", serviceCIDR: "10.100.0.0/16",
  imageId: "ami-1", capacityType: "on-demand", instanceProfile: "p", securityGroupIds: ["sg-a"],
  labels: {}, taints: [], tags: {},
});

function fakeEc2(o: { rejectCreate?: boolean } = {}) {
  const created: string[] = [];
  return {
    created,
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      switch (cmd.constructor.name) {
        case "DescribeLaunchTemplatesCommand":
          if (cmd.input.LaunchTemplateNames) throw Object.assign(new Error("not found"), { name: "InvalidLaunchTemplateName.NotFoundException" });
          return { LaunchTemplates: created.map((n) => ({ LaunchTemplateName: n })) };
        case "CreateLaunchTemplateCommand":
          if (o.rejectCreate) throw Object.assign(new Error("User data is limited to 16384 bytes"), { name: "InvalidUserData.Malformed" });
          created.push(cmd.input.LaunchTemplateName as string);
          return {};
        case "DeleteLaunchTemplateCommand":
          return {};
      }
      throw new Error(`unexpected ${cmd.constructor.name}`);
    },
  };
}
const value = async (m: Metrics) => (await m.ec2NodeClassUserDataBytes.get()).values.find((v) => v.labels.nodeclass === "default")?.value;

describe("karpenter_ec2nodeclasses_userdata_bytes", () => {
  it("is the decoded size of the user data of the template created, and goes with the class's templates", async () => {
    const m = new Metrics();
    const ec2 = fakeEc2();
    const lt = new LaunchTemplateProvider(ec2 as never, "demo", Date.now, userDataBytesRecorder(m));
    const i = input("#!/bin/bash\necho custom\n");
    await lt.ensure(i);
    const expected = Buffer.from(launchTemplateData(i).UserData!, "base64").length;
    expect(expected).toBeGreaterThan(0);
    expect(await value(m)).toBe(expected);
    await lt.deleteForNodeClass("default");
    expect(await value(m)).toBeUndefined();
  });

  it("is recorded even when EC2 rejects the template (an oversized rendering is visible)", async () => {
    const m = new Metrics();
    const lt = new LaunchTemplateProvider(fakeEc2({ rejectCreate: true }) as never, "demo", Date.now, userDataBytesRecorder(m));
    const i = input("x".repeat(20_000));
    await expect(lt.ensure(i)).rejects.toThrow("16384");
    expect(await value(m)).toBeGreaterThan(20_000);
  });
});
