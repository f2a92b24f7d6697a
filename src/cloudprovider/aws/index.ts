// Public surface of the AWS cloud provider.
export { AwsCloudProvider, kubernetesMinor, DEFAULT_KUBERNETES_VERSION } from "./awsCloudProvider";
export { driftReason, staticFieldsDrift } from "./drift";
export { TOKEN_REUSE_WINDOW_MS } from "./launcher";
export type { AwsCloudProviderSettings } from "./awsCloudProvider";
export type { EC2NodeClassLike, EC2NodeClassStatus, Condition } from "./nodeClass";
export { isReady } from "./nodeClass";
export type { NodeClassResolution } from "./nodeClassStatus";
export { UnavailableOfferings } from "./unavailableOfferings";
export { createAwsClients } from "./clients";
export type { AwsClients } from "./clients";
export { parseProviderID, providerID, TAG_NODECLAIM, TAG_NODEPOOL, TAG_NODECLASS } from "./instances";
