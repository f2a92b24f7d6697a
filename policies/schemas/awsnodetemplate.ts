// AWSNodeTemplate karpenter.k8s.aws/v1alpha1 — field for field as the AWS provider v0.31/v0.32 (pkg/apis/v1alpha1).
// Selectors are string maps (`aws-ids`/`aws::ids`, `aws::name`, `aws::owners` are special keys). Karpenter validated
// it in its webhook; the per-field rules live in policies/validate/awsnodetemplate.ts.
import { QUANTITY_PATTERN, has } from "./common";
import { v1alpha5Conditions } from "./provisioner";
import { requirementItemsSchema, securityGroupsStatusSchema, subnetsStatusSchema } from "./statusFragments";
import { cel, type CrdDefinition, type Schema } from "./types";

const stringMap = (): Schema => ({ type: "object", additionalProperties: { type: "string" } });

/** The AWS provider fields, shared by AWSNodeTemplate.spec and a Provisioner's inline `provider` block. */
export function awsProviderProperties(): Record<string, Schema> {
  return {
    amiFamily: { type: "string" },
    amiSelector: stringMap(),
    apiVersion: { type: "string" },
    associatePublicIPAddress: { type: "boolean" },
    blockDeviceMappings: {
      type: "array",
      items: {
        type: "object",
        properties: {
          deviceName: { type: "string" },
          ebs: {
            type: "object",
            properties: {
              deleteOnTermination: { type: "boolean" },
              encrypted: { type: "boolean" },
              iops: { type: "integer", format: "int64" },
              kmsKeyID: { type: "string" },
              snapshotID: { type: "string" },
              throughput: { type: "integer", format: "int64" },
              volumeSize: {
                anyOf: [{ type: "integer" }, { type: "string" }],
                pattern: QUANTITY_PATTERN,
                "x-kubernetes-int-or-string": true,
              },
              volumeType: { type: "string" },
            },
          },
          rootVolume: { type: "boolean" },
        },
      },
    },
    context: { type: "string" },
    detailedMonitoring: { type: "boolean" },
    instanceProfile: { type: "string" },
    kind: { type: "string" },
    launchTemplate: { type: "string" },
    metadataOptions: {
      type: "object",
      properties: {
        httpEndpoint: { type: "string" },
        httpProtocolIPv6: { type: "string" },
        httpPutResponseHopLimit: { type: "integer", format: "int64" },
        httpTokens: { type: "string" },
      },
    },
    securityGroupSelector: stringMap(),
    subnetSelector: stringMap(),
    tags: stringMap(),
    userData: { type: "string" },
  };
}

const spec: Schema = {
  type: "object",
  properties: awsProviderProperties(),
  "x-kubernetes-validations": [
    cel(
      "!(has(self.launchTemplate) && has(self.securityGroupSelector))",
      "expected exactly one, got both: launchTemplate, securityGroupSelector",
      (s) => !(has(s, "launchTemplate") && has(s, "securityGroupSelector")),
    ),
    cel(
      "!(has(self.launchTemplate) && has(self.userData))",
      "expected exactly one, got both: launchTemplate, userData",
      (s) => !(has(s, "launchTemplate") && has(s, "userData")),
    ),
  ],
};

const status: Schema = {
  type: "object",
  properties: {
    amis: {
      type: "array",
      items: {
        type: "object",
        required: ["id"],
        properties: {
          id: { type: "string" },
          name: { type: "string" },
          requirements: requirementItemsSchema(),
        },
      },
    },
    conditions: v1alpha5Conditions(),
    securityGroups: securityGroupsStatusSchema(),
    subnets: subnetsStatusSchema(),
  },
};

export const AWSNodeTemplateDefinition: CrdDefinition = {
  group: "karpenter.k8s.aws",
  version: "v1alpha1",
  kind: "AWSNodeTemplate",
  plural: "awsnodetemplates",
  singular: "awsnodetemplate",
  categories: ["karpenter"],
  scope: "Cluster",
  spec,
  status,
  printerColumns: [
    { name: "AMIFamily", type: "string", jsonPath: ".spec.amiFamily" },
    { name: "Converted", type: "string", jsonPath: '.status.conditions[?(@.type=="Converted")].status' },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
  fileStem: "karpenter.k8s.aws_awsnodetemplates",
};
