// Result and context types of the admission validators.

export interface FieldError {
  /** kubectl-style field path, e.g. `spec.template.spec.requirements[1].values`. */
  path: string;
  message: string;
  /** Which layer found it: the structural schema (ajv), a CEL rule twin, or a capsicum-only check. */
  source?: "schema" | "cel" | "check";
}

export interface ValidationResult {
  allowed: boolean;
  /** What denies: schema + CEL errors (Karpenter's verdict); in strict mode also every finding. */
  errors: FieldError[];
  /** Admission warnings (kubectl shows them): the findings, in the default mode. */
  warnings: string[];
  /** What only capsicum knows (never a denial by default), structured for status conditions and `capsicum validate`. */
  findings?: FieldError[];
}

/** Documented catalog shape (src/cloudprovider/aws/catalog): only what satisfiability needs. */
export interface CatalogOffering {
  zone: string;
  capacityType: string;
  price: number;
  available: boolean;
}
export interface CatalogInstanceType {
  name: string;
  labels: Record<string, string>;
  offerings: CatalogOffering[];
  capacity?: Record<string, unknown>;
  allocatable?: Record<string, unknown>;
}

export interface NodeClassRef {
  group: string;
  kind: string;
  name: string;
}

export interface ValidationContext {
  /** Strict mode: findings deny too (ADMISSION_MODE=strict). */
  strict?: boolean;
  /** The stored object on UPDATE; enables transition (immutability) rules. */
  oldObject?: unknown;
  /** true/false when known; undefined when the lookup could not be made. */
  nodeClassExists?: (ref: NodeClassRef) => boolean | undefined;
  /** Instance types to check NodePool satisfiability against; skipped when absent. */
  catalog?: readonly CatalogInstanceType[];
  /** The referenced EC2NodeClass when it exists (its AMI family narrows os/arch). */
  nodeClass?: unknown;
}
