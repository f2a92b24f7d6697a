// Public API of the scheduling engine (pure, synchronous, no Pepr / API server).
export { schedule, podRequirements, DEFAULT_MAX_INSTANCE_TYPES } from "./scheduler";
export { Requirement, Requirements, RequirementError } from "./requirements";
export type { NodeSelectorRequirement, Operator } from "./requirements";
export { podKey, podRequests, podHostPorts, tolerates, untoleratedTaint, matchesSelector } from "./pods";
export { typeIncompatibility, cheapestOffering, sortByPrice, minValuesViolation } from "./instancetypes";
export { applyOverlays } from "./overlay";
export type * from "./types";
