// Writers of a NodeClaim's conditions never undo each other: each one's changes (from the copy it read to the
// list it wants) are merged onto the latest copy, so a writer that read the NodeClaim before an await (launch,
// termination, drift check) cannot drop a condition another writer set in between, e.g. DisruptionReason.
import { markDisruptionReason } from "../../../src/disruption/disruptionReasonCondition";
import { ClusterState } from "../../../src/kube/clusterState";
import { Kinds, type KubeObject } from "../../../src/kube/client";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { type Condition, initialConditions, rebaseConditions, setCondition } from "../../../src/lifecycle/conditions";
import { writeNodeClaimConditions } from "../../../src/lifecycle/nodeClaimConditions";

const T0 = Date.parse("2026-12-01T00:00:00Z");
const types = (cs: Condition[]) => cs.map((c) => `${c.type}=${c.status}`);

describe("rebaseConditions", () => {
  const base = initialConditions(T0);

  it("applies the writer's change and keeps a condition another writer added meanwhile", () => {
    const desired = setCondition(base, "Launched", "True", "Launched", "", T0 + 1000);
    const latest = [
      ...base,
      {
        type: "DisruptionReason",
        status: "True" as const,
        reason: "Drifted",
        message: "Drifted",
        lastTransitionTime: "x",
      },
    ];
    const out = rebaseConditions(base, desired, latest, T0 + 1000);
    expect(types(out)).toEqual([
      "DisruptionReason=True",
      "Initialized=Unknown",
      "Launched=True",
      "Ready=Unknown",
      "Registered=Unknown",
    ]);
  });

  it("keeps another writer's change to a type this writer left alone, and removes what this writer removed", () => {
    const read = setCondition(base, "Drifted", "True", "AMIDrift", "", T0);
    const desired = read.filter((c) => c.type !== "Drifted");
    const latest = setCondition(
      setCondition(read, "Launched", "True", "Launched", "", T0),
      "Registered",
      "True",
      "Registered",
      "",
      T0,
    );
    const out = rebaseConditions(read, desired, latest, T0 + 5);
    expect(types(out)).toEqual(["Initialized=Unknown", "Launched=True", "Ready=Unknown", "Registered=True"]);
  });

  it("recomputes Ready from the merged dependents", () => {
    const read = setCondition(setCondition(base, "Launched", "True", "", "", T0), "Registered", "True", "", "", T0);
    const desired = setCondition(read, "Initialized", "True", "Initialized", "", T0 + 1);
    // Meanwhile another writer found the launch failed.
    const latest = setCondition(read, "Launched", "False", "LaunchFailed", "ICE", T0 + 1);
    const out = rebaseConditions(read, desired, latest, T0 + 2);
    expect(out.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "LaunchedFalse" });
    expect(out.find((c) => c.type === "Initialized")?.status).toBe("True");
  });

  it("is the plain update when nothing changed meanwhile", () => {
    const desired = setCondition(base, "Launched", "True", "Launched", "", T0 + 1000);
    expect(rebaseConditions(base, desired, base, T0 + 1000)).toEqual(desired);
  });
});

describe("writeNodeClaimConditions", () => {
  it("a stale writer's patch keeps the DisruptionReason set after it read the NodeClaim", async () => {
    const client = new MemoryKubeClient();
    const state = new ClusterState();
    const created = await client.create<KubeObject>(Kinds.NodeClaim, {
      apiVersion: "karpenter.sh/v1",
      kind: "NodeClaim",
      metadata: { name: "default-abcde" },
      spec: {},
    });
    const withStatus = await client.patchStatus<KubeObject>(Kinds.NodeClaim, "default-abcde", {
      conditions: initialConditions(T0),
    });
    state.apply("NodeClaim", withStatus, "MODIFIED");
    expect(created.metadata.name).toBe("default-abcde");

    const stale = structuredClone(withStatus); // e.g. the drift marker's copy, read before its cloud call
    await markDisruptionReason({ client, state }, "default-abcde", "Underutilized", T0 + 10);

    const desired = setCondition(stale.status.conditions, "Drifted", "True", "AMIDrift", "AMIDrift", T0 + 20);
    await writeNodeClaimConditions({ client, state }, stale, desired, T0 + 20);

    const stored = await client.get<KubeObject>(Kinds.NodeClaim, "default-abcde");
    const conds = stored!.status.conditions as Condition[];
    expect(conds.find((c) => c.type === "DisruptionReason")).toMatchObject({ status: "True", reason: "Underutilized" });
    expect(conds.find((c) => c.type === "Drifted")).toMatchObject({ status: "True", reason: "AMIDrift" });
    expect(state.nodeClaims.get("default-abcde")!.metadata.resourceVersion).toBe(stored!.metadata.resourceVersion);
  });

  it("writes nothing when the merged result is what is stored", async () => {
    const client = new MemoryKubeClient();
    const state = new ClusterState();
    await client.create<KubeObject>(Kinds.NodeClaim, {
      apiVersion: "karpenter.sh/v1",
      kind: "NodeClaim",
      metadata: { name: "nc" },
      spec: {},
    });
    const cur = await client.patchStatus<KubeObject>(Kinds.NodeClaim, "nc", { conditions: initialConditions(T0) });
    state.apply("NodeClaim", cur, "MODIFIED");
    const rv = cur.metadata.resourceVersion;
    await writeNodeClaimConditions({ client, state }, cur, cur.status.conditions, T0);
    expect((await client.get<KubeObject>(Kinds.NodeClaim, "nc"))!.metadata.resourceVersion).toBe(rv);
  });
});
