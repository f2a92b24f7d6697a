// capsicum: a Karpenter-compatible node autoscaler for AWS, as a Pepr module.
// Admission (validation + pod defaulting) runs in the admission Deployment; the Watch bindings and the
// engine's loops run in the single watcher replica.
import { PeprModule } from "pepr";
import cfg from "./package.json";
import { Admission } from "./capabilities/admission";
import { Provisioning } from "./capabilities/provisioning";
import { Lifecycle } from "./capabilities/lifecycle";
import { Disruption } from "./capabilities/disruption";
import { Migration } from "./capabilities/migration";

new PeprModule(cfg, [Admission, Provisioning, Lifecycle, Disruption, Migration]);
