// Provisioner (karpenter.sh/v1alpha5) admission: schema + CRD rules, Karpenter v0.32's webhook checks, and the
// v1 conversion's warnings (so `kubectl apply` shows what the Provisioner became). v1alpha5 YAML that Karpenter
// accepted is never denied for a v1-only reason: conversion problems are warnings and a Converted=False status.

import { provisionerToNodePool, type ConversionContext } from "../../src/migration";
import { awsNodeTemplateToEC2NodeClass } from "../../src/migration";
import { validateEC2NodeClass } from "./ec2nodeclass";
import { baseLayers, result } from "./engine";
import { validateNodePool } from "./nodepool";
import type { ValidationResult } from "./types";
import {
  awsProviderErrors,
  kubeletErrors,
  labelErrors,
  requirementErrorsV1alpha5,
  taintErrors,
} from "./v1alpha5Checks";

export interface V1alpha5Context extends ConversionContext {
  oldObject?: unknown;
  /** The AWSNodeTemplate a Provisioner's providerRef names, when it exists (kubelet settings merge into it). */
  awsNodeTemplate?: unknown;
}

/** Warnings describing the conversion, or why it cannot happen yet; also what v1 would reject in the result. */
export function conversionWarnings(kind: "Provisioner" | "AWSNodeTemplate", obj: any, ctx: V1alpha5Context): string[] {
  const out: string[] = [];
  const rejected = (what: string, r: ValidationResult) =>
    r.errors.forEach((e) =>
      out.push(`converted ${what} would be rejected: ${e.path ? `${e.path}: ` : ""}${e.message}`),
    );
  if (kind === "Provisioner") {
    const c = provisionerToNodePool(obj, ctx.awsNodeTemplate, ctx);
    if (c.errors.length) return [`not converted to a NodePool: ${c.errors.join("; ")}`, ...c.warnings];
    out.push(...c.warnings);
    if (c.nodePool) rejected(`NodePool ${c.nodePool.metadata.name}`, validateNodePool(c.nodePool));
    if (c.nodeClass) rejected(`EC2NodeClass ${c.nodeClass.metadata.name}`, validateEC2NodeClass(c.nodeClass));
  } else {
    const c = awsNodeTemplateToEC2NodeClass(obj, ctx);
    if (c.errors.length) return [`not converted to an EC2NodeClass: ${c.errors.join("; ")}`, ...c.warnings];
    out.push(...c.warnings);
    if (c.object) rejected(`EC2NodeClass ${c.object.metadata.name}`, validateEC2NodeClass(c.object));
  }
  return out;
}

export function validateProvisioner(obj: unknown, ctx: V1alpha5Context = {}): ValidationResult {
  const { defaulted, errors } = baseLayers("Provisioner", obj, ctx.oldObject);
  const spec = defaulted.spec ?? {};
  errors.push(
    ...labelErrors(spec.labels, "spec.labels"),
    ...taintErrors(spec),
    ...requirementErrorsV1alpha5(spec.requirements),
    ...kubeletErrors(spec.kubeletConfiguration),
    ...awsProviderErrors(spec.provider, "spec.provider"),
  );
  const warnings = errors.length === 0 ? conversionWarnings("Provisioner", defaulted, ctx) : [];
  return result(errors, warnings, { checksDeny: true });
}

export function validateAWSNodeTemplate(obj: unknown, ctx: V1alpha5Context = {}): ValidationResult {
  const { defaulted, errors } = baseLayers("AWSNodeTemplate", obj, ctx.oldObject);
  errors.push(...awsProviderErrors(defaulted.spec ?? {}, "spec"));
  const warnings = errors.length === 0 ? conversionWarnings("AWSNodeTemplate", defaulted, ctx) : [];
  return result(errors, warnings, { checksDeny: true });
}
