// The EC2NodeClass finalizer (karpenter.k8s.aws/termination) end to end on the sandbox: deleting a class whose
// NodeClaims still run waits for them (Event WaitingOnNodeClaimTermination, nothing removed in AWS); once its
// NodePool's NodeClaims are gone, the instance profile capsicum made from spec.role and the class's launch
// templates are deleted in the emulator, the finalizer goes and the class with it. Another class's launch
// templates and profile are left alone. A class whose launch calls IAM denies is not Ready, with Karpenter's reason.
import { EC2Client } from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, IAMClient } from "@aws-sdk/client-iam";
import { join } from "node:path";
import { launchTemplatesOf as listTemplates } from "../launchTemplatesOf";
import { clearFaults, injectFaults } from "./chaosSupport";
import { deployment, manifests, nodePool, sandboxNodeClass } from "./manifests";
import { startE2E, cleanup, E2EEnv, kubectl, kubectlResult, getJSON, waitFor, root } from "./support";

const NS = "ncfinalizer-e2e";
const CLASS = "cleanup";
let e2e: E2EEnv;
const ec2 = new EC2Client({});
const iam = new IAMClient({});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const pods = (app: string): Obj[] => getJSON(["get", "pods", "-n", NS, "-l", `app=${app}`]).items;
const claimsOf = (pool: string): Obj[] => getJSON(["get", "nodeclaims", "-l", `karpenter.sh/nodepool=${pool}`]).items;

const launchTemplatesOf = (nodeClass: string) => listTemplates(ec2, nodeClass);

async function profileExists(name: string): Promise<boolean> {
  try {
    await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
    return true;
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchEntity" || (e as { name?: string }).name === "NoSuchEntityException")
      return false;
    throw e;
  }
}

const pool = (name: string, nodeClass: string) =>
  manifests(nodePool(name, { nodeClass }), deployment(name, NS, { pool: name }));

const CLEANUP_CLASS = manifests(sandboxNodeClass(CLASS));

beforeAll(async () => {
  e2e = await startE2E();
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
  kubectl(["apply", "-f", "-"], CLEANUP_CLASS);
  kubectl(["apply", "-f", "-"], pool(CLASS, CLASS) + "\n---\n" + pool("keep", "default"));
}, 300000);

afterAll(async () => {
  try {
    await cleanup(NS, [CLASS, "keep"]);
  } finally {
    await e2e?.stop();
  }
}, 300000);

test("deleting an EC2NodeClass waits for its NodeClaims, then removes its instance profile and launch templates", async () => {
  await waitFor(
    "a pod Running on each pool",
    async () => [CLASS, "keep"].every((app) => pods(app).some((p) => p.status?.phase === "Running")) || undefined,
    300000,
  );
  const cls = getJSON(["get", "ec2nodeclass", CLASS]);
  expect(cls.metadata.finalizers).toContain("karpenter.k8s.aws/termination");
  const profile: string = cls.status.instanceProfile;
  const keptProfile: string = getJSON(["get", "ec2nodeclass", "default"]).status.instanceProfile;
  expect(profile).toBeTruthy();
  expect(profile).not.toBe(keptProfile);
  expect(await profileExists(profile)).toBe(true);
  expect((await launchTemplatesOf(CLASS)).length).toBeGreaterThan(0);
  const kept = (await launchTemplatesOf("default")).map((t) => t.LaunchTemplateName).sort();
  expect(kept.length).toBeGreaterThan(0);

  kubectl(["delete", "ec2nodeclass", CLASS, "--wait=false"]);
  await waitFor(
    "WaitingOnNodeClaimTermination on the EC2NodeClass",
    async () => {
      const events = getJSON([
        "get",
        "events",
        "-A",
        "--field-selector",
        `involvedObject.kind=EC2NodeClass,involvedObject.name=${CLASS}`,
      ]).items;
      return events.find((e: Obj) => e.reason === "WaitingOnNodeClaimTermination") ?? undefined;
    },
    60000,
  ).then((e: Obj) =>
    expect(e.message).toBe(
      `Waiting on NodeClaim termination for ${claimsOf(CLASS)
        .map((c) => c.metadata.name)
        .join(", ")}`,
    ),
  );
  // Still there, and so is everything it uses, while its NodeClaim runs.
  expect(getJSON(["get", "ec2nodeclass", CLASS]).metadata.deletionTimestamp).toBeTruthy();
  expect(await profileExists(profile)).toBe(true);
  expect((await launchTemplatesOf(CLASS)).length).toBeGreaterThan(0);

  kubectl(["delete", "nodepool", CLASS, "--wait=false"]);
  await waitFor(
    "the EC2NodeClass gone",
    async () => !kubectlResult(["get", "ec2nodeclass", CLASS]).ok || undefined,
    240000,
  );
  expect(claimsOf(CLASS)).toEqual([]);
  expect(await profileExists(profile)).toBe(false);
  expect(await launchTemplatesOf(CLASS)).toEqual([]);
  // The other class keeps its launch templates and profile.
  // (it may have made more meanwhile: its pool keeps launching)
  expect((await launchTemplatesOf("default")).map((t) => t.LaunchTemplateName)).toEqual(expect.arrayContaining(kept));
  expect(await profileExists(keptProfile)).toBe(true);
  expect(e2e.logs()).toMatch(/"message":"deleted ec2nodeclass resources, removed finalizer"/);
}, 600000);

test("an EC2NodeClass whose launch calls IAM denies is Ready=False with Karpenter's CreateFleetAuthCheckFailed", async () => {
  // As an SCP denying ec2:CreateFleet would: the module's dry run is refused (the check's own calls are not).
  await injectFaults({ deny: [{ action: "CreateFleet" }] });
  try {
    kubectl(["apply", "-f", "-"], manifests(sandboxNodeClass("denied")));
    const cls = await waitFor(
      "ValidationSucceeded=False on the denied class",
      async () => {
        const o = getJSON(["get", "ec2nodeclass", "denied"]);
        return o.status?.conditions?.some((c: Obj) => c.type === "ValidationSucceeded" && c.status === "False") ? o : undefined;
      },
      120000,
    );
    expect(cls.status.conditions.find((c: Obj) => c.type === "ValidationSucceeded")).toMatchObject({
      reason: "CreateFleetAuthCheckFailed",
      message: "Controller isn't authorized to call ec2:CreateFleet",
    });
    expect(cls.status.conditions.find((c: Obj) => c.type === "Ready")).toMatchObject({ status: "False", reason: "CreateFleetAuthCheckFailed" });
    // The classes validated before the denial keep their verdict.
    expect(getJSON(["get", "ec2nodeclass", "default"]).status.conditions.find((c: Obj) => c.type === "Ready").status).toBe("True");
  } finally {
    await clearFaults();
    kubectl(["delete", "ec2nodeclass", "denied", "--wait=false"]);
  }
}, 300000);
