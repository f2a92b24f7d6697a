// A NodeClass whose settings the engine cannot use (e.g. kubelet.kubeReserved.cpu: "10%", which passes the CRD)
// is marked not Ready on its own status, so only its NodePools stop; the others keep provisioning and
// consolidating. The check is building its instance types: that is where kubelet settings are parsed.
import { transitionTime } from "../apis/conditions";
import type { NodeClassResolution } from "../cloudprovider/types";

type Cond = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string };
type Resolution = NodeClassResolution;

export const ValidationReason = "InvalidConfiguration";

/** `res` with ValidationSucceeded=False and Ready=False when `build` throws; unchanged (plus ValidationSucceeded=True) otherwise. */
export async function validateNodeClass(
  res: Resolution,
  previous: { status?: { conditions?: Cond[] }; metadata: { generation?: number } },
  build: () => Promise<unknown>,
  now: number,
): Promise<Resolution> {
  let error: string | undefined;
  try {
    await build();
  } catch (e) {
    error = (e as Error).message;
  }
  const status = { ...(res.status as { conditions?: Cond[] }) };
  // The cloud provider's own validation (e.g. no cluster service CIDR) already failed: keep its reason.
  if (!error && status.conditions?.some((c) => c.type === "ValidationSucceeded" && c.status === "False")) return res;
  const prev = (t: string) => previous.status?.conditions?.find((c) => c.type === t);
  const gen = previous.metadata.generation !== undefined ? { observedGeneration: previous.metadata.generation } : {};
  const validation: Cond = error
    ? { type: "ValidationSucceeded", status: "False", reason: ValidationReason, message: error }
    : { type: "ValidationSucceeded", status: "True", reason: "ValidationSucceeded", message: "" };
  validation.lastTransitionTime = transitionTime(prev("ValidationSucceeded"), validation.status, now);
  let conds = (status.conditions ?? []).filter((c) => c.type !== "ValidationSucceeded");
  conds.push({ ...validation, ...gen });
  if (!error) return { ...res, status: { ...status, conditions: conds } };
  const message = res.ready ? error : `${res.message}; ${error}`;
  conds = conds.map((c) =>
    c.type === "Ready"
      ? {
          ...c,
          status: "False",
          reason: res.ready ? ValidationReason : c.reason,
          message,
          lastTransitionTime: transitionTime(prev("Ready"), "False", now),
        }
      : c,
  );
  return { status: { ...status, conditions: conds }, ready: false, message };
}
