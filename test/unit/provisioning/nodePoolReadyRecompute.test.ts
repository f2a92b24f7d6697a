// A NodePool that can launch nothing is Ready=False with the reason (Argo CD: Degraded), and the running watcher
// recomputes that when what the pool can launch changes: the region's catalog (offerings come and go) or its node
// class. Admission only warns about these: the condition is where a GitOps user sees them after the sync.
import { loadCatalog, type InstanceType } from "../../../src/cloudprovider/aws/catalog";
import { Kinds, KubeObject } from "../../../src/kube/client";
import { FakeClock } from "../../../src/kube/clock";
import { FakeCloud, miniCluster, nodeClass, nodePool } from "../lifecycle/fakes";

const FAMILY = "karpenter.k8s.aws/instance-family";
const full = loadCatalog({ region: "us-east-1" });

/** The region's catalog, with instance families that are not offered (yet) left out. */
class ChangingCatalogCloud extends FakeCloud {
  missingFamilies = new Set<string>(["c7i"]);
  override async getInstanceTypes(): Promise<InstanceType[]> {
    return full.filter((it) => !this.missingFamilies.has(it.labels[FAMILY]!));
  }
}

const readyOf = (np: KubeObject | undefined) =>
  (np?.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready") as
    | { status: string; message: string }
    | undefined;

async function start(seedClass: boolean) {
  const clock = new FakeClock();
  const cloud = new ChangingCatalogCloud(clock);
  const mc = await miniCluster({
    clock,
    cloud,
    seed: async (c) => {
      if (seedClass) await c.create(Kinds.EC2NodeClass, nodeClass("default"));
      await c.create(
        Kinds.NodePool,
        nodePool("c7i", {}, { requirements: [{ key: FAMILY, operator: "In", values: ["c7i"] }] }),
      );
    },
  });
  await mc.tick(1_000);
  return { mc, cloud };
}

test("a pool no instance type of the catalog satisfies is Ready=False with why, and Ready once the catalog offers it", async () => {
  const { mc, cloud } = await start(true);
  let np = await mc.client.get(Kinds.NodePool, "c7i");
  expect(readyOf(np)).toMatchObject({ status: "False" });
  expect(readyOf(np)!.message).toMatch(/^ValidationSucceeded=False: no instance type satisfies the requirements/);
  expect(readyOf(np)!.message).toContain("c7i");

  cloud.missingFamilies.clear(); // the offerings change; no node class or NodePool event happens
  await mc.tick(61_000); // NODECLASS_REFRESH_INTERVAL (1m)
  np = await mc.client.get(Kinds.NodePool, "c7i");
  expect(readyOf(np)).toMatchObject({ status: "True" });

  cloud.missingFamilies.add("c7i"); // and back: the condition follows the catalog both ways
  await mc.tick(61_000);
  np = await mc.client.get(Kinds.NodePool, "c7i");
  expect(readyOf(np)).toMatchObject({ status: "False" });
  await mc.controllers.stop();
});

test("the condition follows the node class: missing, then created", async () => {
  const { mc, cloud } = await start(false);
  cloud.missingFamilies.clear();
  let np = await mc.client.get(Kinds.NodePool, "c7i");
  expect(readyOf(np)).toMatchObject({
    status: "False",
    message: "NodeClassReady=False: EC2NodeClass default not found",
  });
  await mc.client.create(Kinds.EC2NodeClass, nodeClass("default"));
  await mc.tick(1_000);
  np = await mc.client.get(Kinds.NodePool, "c7i");
  expect(readyOf(np)).toMatchObject({ status: "True" });
  await mc.controllers.stop();
});
