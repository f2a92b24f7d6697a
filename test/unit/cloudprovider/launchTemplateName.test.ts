// Launch templates are named after their content, per cluster and per EC2NodeClass: the same class with the same
// inputs finds its template again, and two classes with identical launch data never share one (each template
// carries its class's tag, which that class's finalizer deletes by).
import { launchTemplateName } from "../../../src/cloudprovider/aws/launchTemplates";

const data = { ImageId: "ami-1", InstanceType: undefined, UserData: "dXNlcmRhdGE=", MetadataOptions: { HttpTokens: "required" } };

describe("launchTemplateName", () => {
  it("is stable for the same cluster, class and content", () => {
    const n = launchTemplateName(data as never, "demo", "default");
    expect(n).toMatch(/^karpenter\.k8s\.aws\/[0-9a-f]{40}$/);
    expect(launchTemplateName(JSON.parse(JSON.stringify(data)), "demo", "default")).toBe(n);
  });

  it("differs between two EC2NodeClasses with identical launch data, between clusters, and with the content", () => {
    const n = launchTemplateName(data as never, "demo", "default");
    expect(launchTemplateName(data as never, "demo", "finalizer-e2e")).not.toBe(n);
    expect(launchTemplateName(data as never, "other", "default")).not.toBe(n);
    expect(launchTemplateName({ ...data, ImageId: "ami-2" } as never, "demo", "default")).not.toBe(n);
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(launchTemplateName(data as never, "ab", "c")).not.toBe(launchTemplateName(data as never, "a", "bc"));
  });
});
