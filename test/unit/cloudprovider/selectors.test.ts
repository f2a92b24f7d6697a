import { aliasParameters, describeTerms, imageQuery, securityGroupFilters, subnetFilters } from "../../../src/cloudprovider/aws/selectors";

describe("selector terms to EC2 filters", () => {
  test("tag values filter by tag, the * wildcard filters by tag key", () => {
    expect(subnetFilters({ tags: { "karpenter.sh/discovery": "demo", Name: "*" } })).toEqual([
      { Name: "tag-key", Values: ["Name"] },
      { Name: "tag:karpenter.sh/discovery", Values: ["demo"] },
    ]);
  });

  test("ids and names use their own filters", () => {
    expect(subnetFilters({ id: "subnet-123" })).toEqual([{ Name: "subnet-id", Values: ["subnet-123"] }]);
    expect(securityGroupFilters({ id: "sg-1" })).toEqual([{ Name: "group-id", Values: ["sg-1"] }]);
    expect(securityGroupFilters({ name: "eks-cluster-sg-demo" })).toEqual([{ Name: "group-name", Values: ["eks-cluster-sg-demo"] }]);
  });

  test("AMI name terms without an owner search self and amazon; an explicit owner replaces that", () => {
    expect(imageQuery({ name: "my-ami-*" })).toEqual({ filters: [{ Name: "name", Values: ["my-ami-*"] }], owners: ["self", "amazon"] });
    expect(imageQuery({ name: "x", owner: "123456789012" }).owners).toEqual(["123456789012"]);
    expect(imageQuery({ tags: { team: "a" } })).toEqual({ filters: [{ Name: "tag:team", Values: ["a"] }] });
    expect(imageQuery({ id: "ami-1" })).toEqual({ filters: [{ Name: "image-id", Values: ["ami-1"] }] });
  });

  test("al2023@latest reads the recommended parameter per architecture", () => {
    expect(aliasParameters("al2023@latest", "1.34")).toEqual([
      { name: "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id", arch: "amd64" },
      { name: "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/arm64/standard/recommended/image_id", arch: "arm64" },
    ]);
  });

  test("a pinned al2023 version reads the versioned parameter", () => {
    expect(aliasParameters("al2023@v20250101", "1.33")[0]!.name)
      .toBe("/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.33-v20250101/image_id");
  });

  test("unsupported or malformed aliases are errors that say what to use", () => {
    expect(() => aliasParameters("ubuntu@latest", "1.34")).toThrow(/unknown family "ubuntu" \(one of al2, al2023, bottlerocket/);
    expect(() => aliasParameters("al2023", "1.34")).toThrow(/family@version/);
  });

  test("terms are described for condition messages", () => {
    expect(describeTerms([{ tags: { "karpenter.sh/discovery": "demo" } }, { id: "subnet-1" }])).toBe("tag karpenter.sh/discovery=demo or id subnet-1");
  });
});
