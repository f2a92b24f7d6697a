import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { generatedFiles } from "../../../policies/generate";

const root = join(__dirname, "../../..");

describe("generated CRDs and types", () => {
  it.each(generatedFiles().map((f) => [f.path, f.content] as const))(
    "%s is up to date (run `npm run gen`)",
    (path, content) => {
      expect(readFileSync(join(root, path), "utf8")).toBe(content);
    },
  );

  it("emits structural CRDs with status subresource, printer columns and Karpenter's names", () => {
    const np = YAML.parseAllDocuments(readFileSync(join(root, "crds/karpenter.sh_nodepools.yaml"), "utf8"))
      .map((d) => d.toJS())
      .find(Boolean);
    expect(np.metadata.name).toBe("nodepools.karpenter.sh");
    const v = np.spec.versions[0];
    expect(v.subresources).toEqual({
      status: {},
      scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.nodes" },
    });
    expect(v.additionalPrinterColumns.filter((c: any) => !c.priority).map((c: any) => c.name)).toEqual([
      "NodeClass",
      "Nodes",
      "Ready",
      "Age",
    ]);
    const rules =
      v.schema.openAPIV3Schema.properties.spec.properties.template.properties.spec.properties.requirements[
        "x-kubernetes-validations"
      ];
    // Karpenter's rule; Karpenter's message with the fix appended
    expect(rules[0]).toMatchObject({ rule: "self.all(x, x.operator == 'In' ? x.values.size() != 0 : true)" });
    expect(rules[0].message).toBe(
      "requirements with operator 'In' must have a value defined; add at least one value, or use operator Exists",
    );
    // List rules keep the static message (a messageExpression over the list exceeds the apiserver's CEL cost budget);
    // the per-key domain rule names the key and the nearest well-known one (the message is its fallback).
    expect(rules[0].messageExpression).toBeUndefined();
    const keyRules =
      v.schema.openAPIV3Schema.properties.spec.properties.template.properties.spec.properties.requirements.items
        .properties.key["x-kubernetes-validations"];
    expect(
      keyRules.find((r: any) => r.message.startsWith('label domain "karpenter.k8s.aws"')).messageExpression,
    ).toContain("did you mean");
    const ec2 = YAML.parseAllDocuments(readFileSync(join(root, "crds/karpenter.k8s.aws_ec2nodeclasses.yaml"), "utf8"))
      .map((d) => d.toJS())
      .find(Boolean);
    expect(ec2.spec.names.shortNames).toEqual(["ec2nc", "ec2ncs"]);
    expect(
      ec2.spec.versions[0].additionalPrinterColumns.filter((c: any) => !c.priority).map((c: any) => c.name),
    ).toEqual(["Ready", "Age"]);
  });
});
