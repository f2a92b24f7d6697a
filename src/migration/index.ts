// v1alpha5 compatibility: pure conversion of Provisioner / AWSNodeTemplate to NodePool / EC2NodeClass, and the
// reconciler that keeps the converted objects applied.
export { provisionerToNodePool, kubeletToV1, ProvisionerNameLabel, type ProvisionerConversion } from "./provisioner";
export { awsNodeTemplateToEC2NodeClass, providerToNodeClassSpec, selectorTerms, amiTerms } from "./awsNodeTemplate";
export { ConvertedFromLabel, secondsToDuration, type ConversionContext, type ConversionOutcome } from "./common";
export {
  reconcileProvisioner,
  reconcileAWSNodeTemplate,
  V1alpha5Kinds,
  ConvertedHashAnnotation,
  type MigrationDeps,
  type ReconcileOutcome,
} from "./reconciler";
