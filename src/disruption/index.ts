// Public surface of the disruption engine (what controllers call).
export {
  computeCommand,
  METHODS,
  POLLING_PERIOD_MS,
  COMMAND_VALIDATION_DELAY_MS,
  type DisruptionPass,
  type ComputeOptions,
} from "./disruptionController";
export { validateCommand, type ValidationResult } from "./validation";
export {
  advanceCommand,
  startExecution,
  REPLACEMENT_INITIALIZE_TIMEOUT_MS,
  type CommandDeps,
  type CommandExecution,
  type ReplacementState,
} from "./orchestrator";
export { buildSnapshot, toPodInfo, type SnapshotInput, type KubeObjectLike } from "./snapshot";
export { schedulerSimulator, replacementOptions, type ScheduleFn } from "./schedulerSimulator";
export {
  allowedDisruptions,
  allowedDisruptionsForCluster,
  budgetNodeCount,
  isBudgetActive,
  DEFAULT_BUDGETS,
} from "./budgets";
export {
  selectCandidates,
  evictionCost,
  disruptionCost,
  podDoNotDisruptActive,
  isConsolidatable,
  DO_NOT_DISRUPT_ANNOTATION,
} from "./candidates";
export { driftReason, isMarkedDrifted } from "./driftDetection";
export {
  nodePoolHash,
  nodePoolHashAnnotations,
  NODEPOOL_HASH_ANNOTATION,
  NODEPOOL_HASH_VERSION,
  NODEPOOL_HASH_VERSION_ANNOTATION,
} from "./hash";
export * from "./types";
