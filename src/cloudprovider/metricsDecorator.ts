// Karpenter's cloudprovider/metrics decorator: every CloudProvider call a controller makes is timed into
// karpenter_cloudprovider_duration_seconds and every failure counted in karpenter_cloudprovider_errors_total,
// labelled by the calling controller, the method (Karpenter's Go name) and the provider. Each controller gets its
// own decorated view (Karpenter reads the controller name from the call's context; capsicum has none).
import type { Metrics } from "../metrics";
import { InsufficientCapacityError, NodeClaimNotFoundError, NodeClassNotReadyError, type CloudProvider } from "./types";

/** Karpenter's error label: one of its three well-known error types, else "" (never a free-form name). */
export function cloudProviderErrorLabel(err: unknown): string {
  if (err instanceof InsufficientCapacityError) return "InsufficientCapacityError";
  if (err instanceof NodeClaimNotFoundError) return "NodeClaimNotFoundError";
  if (err instanceof NodeClassNotReadyError) return "NodeClassNotReadyError";
  return "";
}

/**
 * `cloud` as `controller` sees it: Create, Delete, Get, List, GetInstanceTypes and IsDrifted are measured (as
 * Karpenter's decorator does); everything else passes through to the provider unmeasured. Decorate once per
 * controller.
 */
export function withCloudProviderMetrics(cloud: CloudProvider, metrics: Metrics, controller: string): CloudProvider {
  const provider = cloud.name;
  const timed =
    <A extends unknown[], R>(method: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const done = metrics.cloudProviderDuration.startTimer({ controller, method, provider });
      try {
        return await call(...args);
      } catch (err) {
        metrics.cloudProviderErrors.inc({ controller, method, provider, error: cloudProviderErrorLabel(err) });
        throw err;
      } finally {
        done();
      }
    };
  const measured: Partial<CloudProvider> = {
    create: timed("Create", (nc, opts) => (opts ? cloud.create(nc, opts) : cloud.create(nc))),
    delete: timed("Delete", (nc) => cloud.delete(nc)),
    get: timed("Get", (id) => cloud.get(id)),
    list: timed("List", () => cloud.list()),
    getInstanceTypes: timed("GetInstanceTypes", (ncl) => cloud.getInstanceTypes(ncl)),
    isDrifted: timed("IsDrifted", (nc) => cloud.isDrifted(nc)),
  };
  // Everything else (name, the optional hooks, any hook added later) is the provider's own, bound to it: a
  // listed passthrough silently dropped each new hook (registrationHooks was lost once).
  return new Proxy(cloud, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(measured, prop)) return measured[prop as keyof CloudProvider];
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
