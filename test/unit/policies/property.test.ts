// Property: for any generated NodePool/EC2NodeClass document the validator never throws, and its schema layer
// accepts exactly what the generated CRD's openAPIV3Schema (read from crds/*.yaml, separate ajv) accepts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import YAML from "yaml";
import { applyDefaults, newKubeAjv, validateEC2NodeClass, validateNodePool, withSetUniqueness } from "../../../policies/validate";

const root = join(__dirname, "../../..");
const crdSchema = (file: string) =>
  YAML.parseAllDocuments(readFileSync(join(root, "crds", file), "utf8")).map(d => d.toJS()).find(Boolean).spec.versions[0].schema.openAPIV3Schema;
const ajv = newKubeAjv();
// As the apiserver applies them: set-type lists reject duplicates.
const nodePoolCrd = ajv.compile(withSetUniqueness(crdSchema("karpenter.sh_nodepools.yaml")) as object);
const ec2Crd = ajv.compile(withSetUniqueness(crdSchema("karpenter.k8s.aws_ec2nodeclasses.yaml")) as object);

const junk = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 200 }), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));
/** Mostly the first (valid) value, sometimes the other listed values (often invalid), rarely junk of any type. */
const pick = <T>(values: T[]) =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(values[0]!) }, { weight: 3, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: junk });

/** Map keys must be strings: mostly the first, sometimes the others. */
const pickKey = (values: string[]) => fc.oneof({ weight: 4, arbitrary: fc.constant(values[0]!) }, { weight: 1, arbitrary: fc.constantFrom(...values) });

const requirement = fc.record({
  key: pick(["kubernetes.io/arch", "karpenter.sh/capacity-type", "karpenter.k8s.aws/instance-cpu", "team", "karpenter.sh/x", "kubernetes.io/hostname", "Bad Key"]),
  operator: pick(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte", "Equals"]),
  values: fc.oneof({ weight: 10, arbitrary: fc.array(pick(["amd64", "spot", "4", "-1", "x y", ""]), { maxLength: 3 }) }, { weight: 1, arbitrary: junk }),
  minValues: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 0, max: 52 }) }, { weight: 1, arbitrary: junk }),
}, { requiredKeys: ["key", "operator"] });

const nodePoolDoc = fc.record({
  apiVersion: fc.constant("karpenter.sh/v1"),
  kind: fc.constant("NodePool"),
  metadata: fc.constant({ name: "p" }),
  spec: fc.record({
    template: fc.record({
      metadata: fc.record({ labels: fc.dictionary(pickKey(["team", "karpenter.sh/nodepool", "karpenter.k8s.aws/x", "a/b"]), pick(["x", "bad value", ""]), { maxKeys: 2 }) }, { requiredKeys: [] }),
      spec: fc.record({
        requirements: fc.oneof({ weight: 10, arbitrary: fc.array(requirement, { maxLength: 3 }) }, { weight: 1, arbitrary: junk }),
        nodeClassRef: fc.record({ group: pick(["karpenter.k8s.aws", "", "a/b"]), kind: pick(["EC2NodeClass", ""]), name: pick(["default", ""]) }),
        expireAfter: pick(["720h", "Never", "30d", "1h30m"]),
        terminationGracePeriod: pick(["48h", "Never", "5m"]),
        taints: fc.array(fc.record({ key: pick(["gpu", ""]), effect: pick(["NoSchedule", "NoRun"]) }, { requiredKeys: [] }), { maxLength: 2 }),
      }, { requiredKeys: ["requirements", "nodeClassRef"] }),
    }, { requiredKeys: ["spec"] }),
    disruption: fc.record({
      consolidateAfter: pick(["0s", "1m", "Never", "1hr"]),
      consolidationPolicy: pick(["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced", "WhenUnderutilized"]),
      budgets: fc.array(fc.record({
        nodes: pick(["10%", "5", "150%", "x"]),
        schedule: pick(["@daily", "0 9 * * *", "bad"]),
        duration: pick(["1h", "30m", "30s"]),
        reasons: fc.array(pick(["Empty", "Drifted", "Expired"]), { maxLength: 2 }),
      }, { requiredKeys: [] }), { maxLength: 3 }),
    }, { requiredKeys: [] }),
    limits: fc.dictionary(pickKey(["cpu", "memory", "nodes", "cpus"]), pick(["1000", "10Gi", "lots", "-1"]), { maxKeys: 2 }),
    weight: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 0, max: 101 }) }, { weight: 1, arbitrary: junk }),
    replicas: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: -1, max: 5 }) }, { weight: 1, arbitrary: junk }),
  }, { requiredKeys: ["template"] }),
}, { requiredKeys: ["apiVersion", "kind", "metadata"] });

const tags = fc.dictionary(pickKey(["karpenter.sh/discovery", "", "aws:x", "kubernetes.io/cluster/c"]), pick(["c", ""]), { maxKeys: 2 });
const ec2Doc = fc.record({
  apiVersion: fc.constant("karpenter.k8s.aws/v1"),
  kind: fc.constant("EC2NodeClass"),
  metadata: fc.constant({ name: "c" }),
  spec: fc.record({
    role: pick(["KarpenterNodeRole", ""]),
    instanceProfile: pick(["profile", ""]),
    amiFamily: pick(["AL2023", "Bottlerocket", "Custom", "Ubuntu"]),
    amiSelectorTerms: fc.oneof({ weight: 10, arbitrary: fc.array(fc.record({ alias: pick(["al2023@latest", "windows2022@v1", "bad"]), id: pick(["ami-123", "bad"]), tags }, { requiredKeys: [] }), { minLength: 1, maxLength: 2 }) }, { weight: 1, arbitrary: junk }),
    subnetSelectorTerms: fc.array(fc.record({ id: pick(["subnet-1", "x"]), tags }, { requiredKeys: [] }), { maxLength: 2 }),
    securityGroupSelectorTerms: fc.array(fc.record({ id: pick(["sg-1"]), name: pick(["n"]), tags }, { requiredKeys: [] }), { maxLength: 2 }),
    tags,
    metadataOptions: fc.record({ httpTokens: pick(["required", "optional", "maybe"]), httpPutResponseHopLimit: fc.integer({ min: 0, max: 70 }) }, { requiredKeys: [] }),
    blockDeviceMappings: fc.array(fc.record({ deviceName: pick(["/dev/xvda"]), rootVolume: fc.boolean(), ebs: fc.record({ volumeSize: pick(["20Gi", "100GB", "64T"]), volumeType: pick(["gp3", "gp2", "magnetic"]), throughput: fc.integer({ min: 0, max: 3000 }) }, { requiredKeys: [] }) }, { requiredKeys: [] }), { maxLength: 2 }),
    kubelet: fc.record({ maxPods: fc.integer({ min: -2, max: 300 }), imageGCHighThresholdPercent: fc.integer({ min: -1, max: 101 }), imageGCLowThresholdPercent: fc.integer({ min: -1, max: 101 }), systemReserved: fc.dictionary(pickKey(["cpu", "gpu"]), pick(["100m", "-1"]), { maxKeys: 2 }) }, { requiredKeys: [] }),
  }, { requiredKeys: ["amiSelectorTerms", "subnetSelectorTerms", "securityGroupSelectorTerms"] }),
}, { requiredKeys: ["apiVersion", "kind", "metadata"] });

describe("property: validator vs generated CRD schema", () => {
  it("NodePool: never throws; schema layer agrees with the CRD schema (3,000 documents)", () => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(fc.property(nodePoolDoc, doc => {
      const r = validateNodePool(doc);
      const schemaOk = r.errors.every(e => e.source !== "schema");
      expect(schemaOk).toBe(nodePoolCrd(applyDefaults("NodePool", doc)));
      seen[schemaOk ? "valid" : "invalid"]++;
    }), { numRuns: 3000, seed: 4242 });
    // both sides of the equivalence must actually be exercised
    expect(seen.valid).toBeGreaterThan(50);
    expect(seen.invalid).toBeGreaterThan(50);
  });

  it("EC2NodeClass: never throws; schema layer agrees with the CRD schema (2,000 documents)", () => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(fc.property(ec2Doc, doc => {
      const r = validateEC2NodeClass(doc);
      const schemaOk = r.errors.every(e => e.source !== "schema");
      expect(schemaOk).toBe(ec2Crd(applyDefaults("EC2NodeClass", doc)));
      seen[schemaOk ? "valid" : "invalid"]++;
    }), { numRuns: 2000, seed: 4243 });
    expect(seen.valid).toBeGreaterThan(20);
    expect(seen.invalid).toBeGreaterThan(20);
  });
});
