// v1alpha5 compatibility glue: every Provisioner / AWSNodeTemplate event re-applies its converted NodePool /
// EC2NodeClass (src/migration/reconciler.ts). Glue only; the KubeClient is the same kfc adapter the controllers use.
import { Capability, Log } from "pepr";
import { ApiKubeClient } from "../src/kube/apiClient";
import {
  reconcileAWSNodeTemplate,
  reconcileProvisioner,
  type MigrationDeps,
  type ReconcileOutcome,
} from "../src/migration";
import { AWSNodeTemplate, Provisioner } from "./kinds";

export const Migration = new Capability({
  name: "migration",
  description:
    "Converts karpenter.sh/v1alpha5 Provisioners and karpenter.k8s.aws/v1alpha1 AWSNodeTemplates into v1 NodePools and EC2NodeClasses",
});
const { When } = Migration;

let deps: MigrationDeps | undefined;
const migrationDeps = (): MigrationDeps =>
  (deps ??= {
    client: new ApiKubeClient(),
    ctx: { defaultInstanceProfile: process.env.DEFAULT_INSTANCE_PROFILE || undefined },
  });

function logged(kind: string, name: string | undefined) {
  return (r: ReconcileOutcome) => {
    if (r.errors.length) Log.warn({ kind, name, errors: r.errors }, "v1alpha5 object not converted");
    else if (r.written.length)
      Log.info({ kind, name, written: r.written, warnings: r.warnings }, "applied converted v1 objects");
  };
}
const failed = (kind: string, name: string | undefined) => (e: unknown) =>
  Log.error(
    { kind, name, err: String((e as Error)?.message ?? e) },
    "v1alpha5 conversion failed; retried on the next event",
  );

When(Provisioner)
  .IsCreatedOrUpdated()
  .Watch((p) =>
    reconcileProvisioner(migrationDeps(), p as never).then(
      logged("Provisioner", p.metadata?.name),
      failed("Provisioner", p.metadata?.name),
    ),
  );
When(AWSNodeTemplate)
  .IsCreatedOrUpdated()
  .Watch((t) =>
    reconcileAWSNodeTemplate(migrationDeps(), t as never).then(
      logged("AWSNodeTemplate", t.metadata?.name),
      failed("AWSNodeTemplate", t.metadata?.name),
    ),
  );
