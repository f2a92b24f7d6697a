export { defaultPod, constrainedKeys, type PodLike, type DefaultPodResult } from "./defaultPod";
export {
  parsePodDefaultsConfigMap,
  appliesTo,
  PolicyError,
  POLICY_CONFIGMAP_NAME,
  DEFAULTED_ANNOTATION,
  ALWAYS_SKIPPED_NAMESPACES,
  type PodDefaultsPolicy,
  type NodeRequirementDefault,
} from "./policy";
