// Public API of the admission validators.
export { validateNodePool, KNOWN_NODE_CLASSES, KNOWN_LIMIT_RESOURCES } from "./nodepool";
export { validateEC2NodeClass } from "./ec2nodeclass";
export { validateNodeClaim } from "./nodeclaim";
export { validateNodeOverlay } from "./nodeoverlay";
export { validateProvisioner, validateAWSNodeTemplate, conversionWarnings, type V1alpha5Context } from "./v1alpha5";
export { formatDenial } from "./engine";
export { applyDefaults } from "./defaults";
export { schemaErrors, newKubeAjv, withSetUniqueness } from "./schemaCheck";
export { checkSatisfiable } from "./satisfiability";
export { cronError } from "./cron";
export type {
  FieldError,
  ValidationResult,
  ValidationContext,
  CatalogInstanceType,
  CatalogOffering,
  NodeClassRef,
} from "./types";
