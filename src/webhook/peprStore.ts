// Creates Pepr's PeprStore before Pepr looks for it. Pepr 1.1.4's store controller (one per pod, built in the
// PeprModule constructor) GETs `pepr-<uuid>-store` and, on 404, server-side-applies it with a label value of
// its own (`pepr.dev-cacheID`). When two of the module's pods start together (the two admission replicas and
// the watcher on a fresh install), the later apply conflicts on that label: Pepr logs "Failed to create Pepr
// store" and that pod never binds its routes — every admission request gets 404 and /healthz fails until the
// kubelet's probes restart the pod minutes later. A plain create that treats "already exists" as success has
// no such race, and Pepr's GET then finds the store.
import { isConflict, isNotFound, KubeClient, ResourceKind } from "../kube/client";

export const PeprStoreKind: ResourceKind = {
  group: "pepr.dev",
  version: "v1",
  kind: "PeprStore",
  plural: "peprstores",
  namespaced: true,
};

export interface EnsureStoreOptions {
  client: KubeClient;
  namespace: string;
  /** `pepr-<uuid>-store`, the name Pepr's controller uses. */
  name: string;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** 404s are retried this many times: Pepr's entrypoint applies the PeprStore CRD just before the module runs. */
  attempts?: number;
  delayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Returns true when the store exists (created here or by another pod); false when Pepr must create it itself. */
export async function ensurePeprStore(o: EnsureStoreOptions): Promise<boolean> {
  const attempts = o.attempts ?? 10;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      if (await o.client.get(PeprStoreKind, o.name, o.namespace)) return true;
      await o.client.create(PeprStoreKind, {
        apiVersion: "pepr.dev/v1",
        kind: "PeprStore",
        // The same object Pepr creates: the label Pepr's watch keys its cache on, and a placeholder key (Pepr's
        // JSON patches fail on an empty data map).
        metadata: {
          name: o.name,
          namespace: o.namespace,
          labels: { "pepr.dev-cacheID": String((o.now ?? Date.now)()) },
        },
        data: { __pepr_do_not_delete__: "k-thx-bye" },
      });
      o.log.info({ store: `${o.namespace}/${o.name}` }, "created the Pepr store");
      return true;
    } catch (e) {
      if (isConflict(e)) return true; // another pod created it first
      if (isNotFound(e) && attempt < attempts) {
        await sleep(o.delayMs ?? 1000); // the PeprStore CRD is not served yet
        continue;
      }
      // Visible fallback: Pepr then tries itself (and may hit the race above).
      o.log.warn(
        { store: `${o.namespace}/${o.name}`, err: String((e as Error)?.message ?? e) },
        "could not create the Pepr store before Pepr starts; Pepr will try itself",
      );
      return false;
    }
  }
}
