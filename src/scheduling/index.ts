// Public API of the scheduling engine (pure, synchronous, no Pepr / API server).
export { schedule, DEFAULT_MAX_INSTANCE_TYPES } from "./scheduler";
export { podRequirements } from "./podContext";
export { Requirement, Requirements, RequirementError } from "../apis/requirements";
export type { NodeSelectorRequirement, Operator } from "../apis/requirements";
export { podKey, podRequests, podHostPorts, tolerates, untoleratedTaint } from "./pods";
export { matchesLabelSelector } from "../apis/labelSelector";
export { typeIncompatibility, cheapestOffering, sortByPrice, minValuesViolation } from "./instancetypes";
export { applyOverlays } from "./overlay";
export type * from "./types";
