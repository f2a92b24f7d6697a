// capsicum: a Karpenter-compatible node autoscaler for AWS, as a Pepr module.
// Admission (validation + pod defaulting) runs in the admission Deployment; the Watch bindings and the
// engine's loops run in the single watcher replica.
//
// The server starts deferred: in a deployed pod the webhook certificate and API path are not in the manifests
// (dist/ is committed), so src/webhook mints or reads them from the pod's Secret and patches the webhook
// configurations first. `pepr dev` provides its own (PEPR_MODE=dev), so nothing is minted there.
import "./capabilities/watchConfig"; // must stay first: sets Pepr's watch give-up before Pepr loads
import { Log, PeprModule } from "pepr";
import cfg from "./package.json";
import { Admission } from "./capabilities/admission";
import { Provisioning } from "./capabilities/provisioning";
import { Lifecycle } from "./capabilities/lifecycle";
import { Disruption } from "./capabilities/disruption";
import { Migration } from "./capabilities/migration";
import { bootPod } from "./capabilities/pod";

// Constructed once Pepr's store exists (capabilities/pod.ts: two pods creating it at once would race).
bootPod(
  cfg.pepr.uuid,
  () => new PeprModule(cfg, [Admission, Provisioning, Lifecycle, Disruption, Migration], { deferStart: true }),
).catch((err) => {
  Log.error({ err: String(err?.message ?? err) }, "capsicum could not start its webhook server");
  process.exit(1);
});
