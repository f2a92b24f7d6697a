// EC2NodeClass karpenter.k8s.aws/v1 — aws pkg/apis/v1/ec2nodeclass.go (v1.14.1, typed kubelet struct).
import { QUANTITY_PATTERN, has, selectorTags } from "./common";
import { cel, type CelRule, type CrdDefinition, type Schema } from "./types";
import { ALIAS_FAMILIES as ALIAS_FAMILY_MAP } from "../../src/apis/amiFamilies";
import { kubelet } from "./ec2nodeclassKubelet";
import { status } from "./ec2nodeclassStatus";

export const AMI_FAMILIES = ["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025"];
export const ALIAS_FAMILIES = Object.keys(ALIAS_FAMILY_MAP);
export const VOLUME_SIZE_PATTERN =
  "^((?:[1-9][0-9]{0,3}|[1-4][0-9]{4}|[5][0-8][0-9]{3}|59000)Gi|(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|[6][0-3][0-9]{3}|64000)G|([1-9]||[1-5][0-7]|58)Ti|([1-9]||[1-5][0-9]|6[0-3]|64)T)$";
const keys = (o: any): string[] => (o && typeof o === "object" ? Object.keys(o) : []);
const aliasFamily = (alias: string): string => /^[^@]+/.exec(alias)?.[0] ?? "";

function exclusive(field: string, others: string[], message: string, quantifier: "all" | "exists"): CelRule {
  // Karpenter's subnet/security-group/capacity-reservation rules use `!self.all(...)` (fires only when every term
  // violates, and also on an empty list); the AMI rule uses `!self.exists(...)`. Keep each exactly as Karpenter has it;
  // the extra per-term check in policies/validate reports the mixed terms `all` misses.
  const alts = others.map((o) => `has(x.${o})`);
  // One alternative is written bare, as Karpenter does (`has(x.id) && has(x.tags)`).
  const inner = `has(x.${field}) && ${alts.length === 1 ? alts[0] : `(${alts.join(" || ")})`}`;
  const rule = quantifier === "all" ? `!self.all(x, ${inner})` : `!self.exists(x, ${inner})`;
  const bad = (x: any) => has(x, field) && others.some((o) => has(x, o));
  return cel(rule, message, (xs: any[]) => (quantifier === "all" ? !xs.every(bad) : !xs.some(bad)));
}
function atLeastOne(fields: string[]): CelRule {
  return cel(
    `self.all(x, ${fields.map((f) => `has(x.${f})`).join(" || ")})`,
    `expected at least one, got none, [${fields.map((f) => `'${f}'`).join(", ")}]`,
    (xs: any[]) => xs.every((x) => fields.some((f) => has(x, f))),
  );
}
const notEmptyList = (name: string): CelRule =>
  cel("self.size() != 0", `${name} cannot be empty`, (xs: any[]) => xs.length !== 0);

const amiSelectorTerms: Schema = {
  type: "array",
  minItems: 1,
  maxItems: 30,
  items: {
    type: "object",
    properties: {
      alias: {
        type: "string",
        maxLength: 30,
        "x-kubernetes-validations": [
          cel(
            "self.matches('^[a-zA-Z0-9]+@.+$')",
            "'alias' is improperly formatted, must match the format 'family@version'",
            (s: string) => /^[a-zA-Z0-9]+@.+$/.test(s),
          ),
          cel(
            "self.split('@')[0] in ['al2','al2023','bottlerocket','windows2019','windows2022','windows2025']",
            "family is not supported, must be one of the following: 'al2', 'al2023', 'bottlerocket', 'windows2019', 'windows2022', 'windows2025'",
            (s: string) => ALIAS_FAMILIES.includes(s.split("@")[0] ?? ""),
          ),
          cel(
            "self.split('@')[0] in ['windows2019','windows2022','windows2025'] ? self.split('@')[1] == 'latest' : true",
            "windows families may only specify version 'latest'",
            (s: string) =>
              ["windows2019", "windows2022", "windows2025"].includes(s.split("@")[0] ?? "")
                ? s.split("@")[1] === "latest"
                : true,
          ),
        ],
      },
      id: { type: "string", pattern: "ami-[0-9a-z]+" },
      name: { type: "string" },
      owner: { type: "string" },
      ssmParameter: { type: "string" },
      tags: selectorTags(),
    },
  },
  "x-kubernetes-validations": [
    atLeastOne(["tags", "id", "name", "alias", "ssmParameter"]),
    exclusive(
      "id",
      ["alias", "tags", "name", "owner"],
      "'id' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms",
      "exists",
    ),
    exclusive(
      "alias",
      ["id", "tags", "name", "owner"],
      "'alias' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms",
      "exists",
    ),
    cel(
      "!(self.exists(x, has(x.alias)) && self.size() != 1)",
      "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms",
      (xs: any[]) => !(xs.some((x) => has(x, "alias")) && xs.length !== 1),
    ),
  ],
};

const RESTRICTED_TAGS: Array<[string, string, (k: string) => boolean]> = [
  ["self.all(k, k !='eks:eks-cluster-name')", "eks:eks-cluster-name", (k) => k !== "eks:eks-cluster-name"],
  [
    "self.all(k, !k.startsWith('kubernetes.io/cluster') )",
    "kubernetes.io/cluster/",
    (k) => !k.startsWith("kubernetes.io/cluster"),
  ],
  ["self.all(k, k != 'karpenter.sh/nodepool')", "karpenter.sh/nodepool", (k) => k !== "karpenter.sh/nodepool"],
  ["self.all(k, k !='karpenter.sh/nodeclaim')", "karpenter.sh/nodeclaim", (k) => k !== "karpenter.sh/nodeclaim"],
  [
    "self.all(k, k !='karpenter.k8s.aws/ec2nodeclass')",
    "karpenter.k8s.aws/ec2nodeclass",
    (k) => k !== "karpenter.k8s.aws/ec2nodeclass",
  ],
];

const aliasFamilyRule = (family: string, article: string): CelRule => {
  const lower = family.toLowerCase();
  return cel(
    `!has(self.amiFamily) || (self.amiSelectorTerms.exists(x, has(x.alias) && x.alias.find('^[^@]+') == '${lower}') ? (self.amiFamily == 'Custom' || self.amiFamily == '${family}') : true)`,
    `if set, amiFamily must be '${family}' or 'Custom' when using ${article} ${family} alias`,
    (s) =>
      !has(s, "amiFamily") ||
      ((s.amiSelectorTerms ?? []).some((x: any) => has(x, "alias") && aliasFamily(String(x.alias)) === lower)
        ? s.amiFamily === "Custom" || s.amiFamily === family
        : true),
  );
};

const spec: Schema = {
  type: "object",
  required: ["amiSelectorTerms", "securityGroupSelectorTerms", "subnetSelectorTerms"],
  properties: {
    amiFamily: { type: "string", enum: AMI_FAMILIES },
    amiSelectorTerms,
    associatePublicIPAddress: { type: "boolean" },
    blockDeviceMappings: {
      type: "array",
      maxItems: 50,
      items: {
        type: "object",
        properties: {
          deviceName: { type: "string" },
          ebs: {
            type: "object",
            properties: {
              deleteOnTermination: { type: "boolean" },
              encrypted: { type: "boolean" },
              iops: { type: "integer", format: "int64" },
              kmsKeyID: { type: "string" },
              snapshotID: { type: "string" },
              throughput: { type: "integer", format: "int64" },
              volumeInitializationRate: { type: "integer", format: "int32", minimum: 100, maximum: 300 },
              volumeSize: { type: "string", pattern: VOLUME_SIZE_PATTERN },
              volumeType: { type: "string", enum: ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"] },
            },
            "x-kubernetes-validations": [
              cel(
                "has(self.snapshotID) || has(self.volumeSize)",
                "snapshotID or volumeSize must be defined",
                (s) => has(s, "snapshotID") || has(s, "volumeSize"),
              ),
              cel(
                "!has(self.volumeInitializationRate) || (has(self.snapshotID) && self.snapshotID != '')",
                "snapshotID must be set when volumeInitializationRate is set",
                (s) => !has(s, "volumeInitializationRate") || (has(s, "snapshotID") && s.snapshotID !== ""),
              ),
            ],
          },
          rootVolume: { type: "boolean" },
        },
      },
      "x-kubernetes-validations": [
        cel(
          "self.filter(x, has(x.rootVolume)?x.rootVolume==true:false).size() <= 1",
          "must have only one blockDeviceMappings with rootVolume",
          (xs: any[]) => xs.filter((x) => x?.rootVolume === true).length <= 1,
        ),
      ],
    },
    capacityReservationSelectorTerms: {
      type: "array",
      maxItems: 30,
      items: {
        type: "object",
        properties: {
          id: { type: "string", pattern: "^cr-[0-9a-z]+$" },
          instanceMatchCriteria: { type: "string", enum: ["open", "targeted"] },
          ownerID: { type: "string", pattern: "^[0-9]{12}$" },
          tags: selectorTags(),
        },
      },
      "x-kubernetes-validations": [
        atLeastOne(["tags", "id", "instanceMatchCriteria"]),
        exclusive(
          "id",
          ["tags", "ownerID", "instanceMatchCriteria"],
          "'id' is mutually exclusive, cannot be set along with other fields in a capacity reservation selector term",
          "all",
        ),
      ],
    },
    connectionTracking: {
      type: "object",
      properties: {
        tcpEstablishedTimeout: { type: "integer", format: "int32", minimum: 60, maximum: 432000 },
        udpStreamTimeout: { type: "integer", format: "int32", minimum: 60, maximum: 180 },
        udpTimeout: { type: "integer", format: "int32", minimum: 30, maximum: 60 },
      },
      "x-kubernetes-validations": [
        cel(
          "has(self.tcpEstablishedTimeout) || has(self.udpStreamTimeout) || has(self.udpTimeout)",
          "at least one of tcpEstablishedTimeout, udpStreamTimeout, or udpTimeout must be set",
          (s) => has(s, "tcpEstablishedTimeout") || has(s, "udpStreamTimeout") || has(s, "udpTimeout"),
        ),
      ],
    },
    context: { type: "string" },
    cpuOptions: {
      type: "object",
      properties: { nestedVirtualization: { type: "string", enum: ["enabled", "disabled"] } },
    },
    detailedMonitoring: { type: "boolean" },
    instanceProfile: {
      type: "string",
      "x-kubernetes-validations": [cel("self != ''", "instanceProfile cannot be empty", (s: string) => s !== "")],
    },
    instanceStorePolicy: { type: "string", enum: ["RAID0"] },
    ipPrefixCount: { type: "integer", format: "int32", minimum: 0 },
    kubelet,
    metadataOptions: {
      type: "object",
      default: {
        httpEndpoint: "enabled",
        httpProtocolIPv6: "disabled",
        httpPutResponseHopLimit: 1,
        httpTokens: "required",
      },
      properties: {
        httpEndpoint: { type: "string", enum: ["enabled", "disabled"], default: "enabled" },
        httpProtocolIPv6: { type: "string", enum: ["enabled", "disabled"], default: "disabled" },
        httpPutResponseHopLimit: { type: "integer", format: "int64", minimum: 1, maximum: 64, default: 1 },
        httpTokens: { type: "string", enum: ["required", "optional"], default: "required" },
      },
    },
    networkInterfaces: {
      type: "array",
      maxItems: 150,
      items: {
        type: "object",
        required: ["deviceIndex", "interfaceType", "networkCardIndex"],
        properties: {
          deviceIndex: { type: "integer", format: "int32", minimum: 0 },
          interfaceType: { type: "string", enum: ["interface", "efa-only"] },
          networkCardIndex: { type: "integer", format: "int32", minimum: 0 },
        },
      },
      "x-kubernetes-validations": [
        cel(
          "self.size() == 0 || self.exists(x, x.deviceIndex == 0 && x.networkCardIndex == 0 && x.interfaceType == 'interface')",
          "networkInterfaces must include a primary interface with interfaceType='interface'",
          (xs: any[]) =>
            xs.length === 0 ||
            xs.some((x) => x?.deviceIndex === 0 && x?.networkCardIndex === 0 && x?.interfaceType === "interface"),
        ),
        cel(
          "self.all(x, self.filter(y, x.networkCardIndex == y.networkCardIndex && x.deviceIndex == y.deviceIndex).size() == 1 && (x.interfaceType != 'efa-only' || self.filter(y, x.networkCardIndex == y.networkCardIndex && y.interfaceType == 'efa-only').size() == 1))",
          "networkInterfaces must not have duplicate networkCardIndex and deviceIndex pairs, and can have at most one efa device per network card",
          (xs: any[]) =>
            xs.every(
              (x) =>
                xs.filter((y) => x?.networkCardIndex === y?.networkCardIndex && x?.deviceIndex === y?.deviceIndex)
                  .length === 1 &&
                (x?.interfaceType !== "efa-only" ||
                  xs.filter((y) => x?.networkCardIndex === y?.networkCardIndex && y?.interfaceType === "efa-only")
                    .length === 1),
            ),
        ),
      ],
    },
    placementGroupSelector: {
      type: "object",
      properties: {
        id: { type: "string", pattern: "^pg-[0-9a-z]+$" },
        name: { type: "string", minLength: 1 },
      },
      "x-kubernetes-validations": [
        cel(
          "has(self.name) || has(self.id)",
          "expected at least one, got none, ['name', 'id']",
          (s) => has(s, "name") || has(s, "id"),
        ),
        cel(
          "!(has(self.name) && has(self.id))",
          "'name' and 'id' are mutually exclusive",
          (s) => !(has(s, "name") && has(s, "id")),
        ),
      ],
    },
    role: {
      type: "string",
      "x-kubernetes-validations": [cel("self != ''", "role cannot be empty", (s: string) => s !== "")],
    },
    securityGroupSelectorTerms: {
      type: "array",
      maxItems: 30,
      items: {
        type: "object",
        properties: { id: { type: "string", pattern: "sg-[0-9a-z]+" }, name: { type: "string" }, tags: selectorTags() },
      },
      "x-kubernetes-validations": [
        notEmptyList("securityGroupSelectorTerms"),
        atLeastOne(["tags", "id", "name"]),
        exclusive(
          "id",
          ["tags", "name"],
          "'id' is mutually exclusive, cannot be set with a combination of other fields in a security group selector term",
          "all",
        ),
        exclusive(
          "name",
          ["tags", "id"],
          "'name' is mutually exclusive, cannot be set with a combination of other fields in a security group selector term",
          "all",
        ),
      ],
    },
    subnetSelectorTerms: {
      type: "array",
      maxItems: 30,
      items: {
        type: "object",
        properties: { id: { type: "string", pattern: "subnet-[0-9a-z]+" }, tags: selectorTags() },
      },
      "x-kubernetes-validations": [
        notEmptyList("subnetSelectorTerms"),
        atLeastOne(["tags", "id"]),
        exclusive(
          "id",
          ["tags"],
          "'id' is mutually exclusive, cannot be set with a combination of other fields in a subnet selector term",
          "all",
        ),
      ],
    },
    tags: {
      type: "object",
      additionalProperties: { type: "string" },
      "x-kubernetes-validations": [
        cel("self.all(k, k != '')", "empty tag keys aren't supported", (m) => keys(m).every((k) => k !== "")),
        ...RESTRICTED_TAGS.map(([rule, tag, ok]) =>
          cel(rule, `tag contains a restricted tag matching ${tag}`, (m) => keys(m).every(ok)),
        ),
      ],
    },
    userData: { type: "string" },
  },
  "x-kubernetes-validations": [
    cel(
      "(has(self.role) && !has(self.instanceProfile)) || (!has(self.role) && has(self.instanceProfile))",
      "must specify exactly one of ['role', 'instanceProfile']",
      (s) => has(s, "role") !== has(s, "instanceProfile"),
    ),
    aliasFamilyRule("AL2", "an"),
    aliasFamilyRule("AL2023", "an"),
    aliasFamilyRule("Bottlerocket", "a"),
    aliasFamilyRule("Windows2019", "a"),
    aliasFamilyRule("Windows2022", "a"),
    aliasFamilyRule("Windows2025", "a"),
    cel(
      "self.amiSelectorTerms.exists(x, has(x.alias)) ? true : has(self.amiFamily)",
      "must specify amiFamily if amiSelectorTerms does not contain an alias",
      (s) => (s.amiSelectorTerms ?? []).some((x: any) => has(x, "alias")) || has(s, "amiFamily"),
    ),
  ],
};

export const EC2NodeClassDefinition: CrdDefinition = {
  group: "karpenter.k8s.aws",
  version: "v1",
  kind: "EC2NodeClass",
  plural: "ec2nodeclasses",
  singular: "ec2nodeclass",
  shortNames: ["ec2nc", "ec2ncs"],
  categories: ["karpenter"],
  scope: "Cluster",
  spec,
  status,
  printerColumns: [
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
    { name: "Role", type: "string", jsonPath: ".spec.role", priority: 1 },
  ],
  fileStem: "karpenter.k8s.aws_ec2nodeclasses",
  // Karpenter's EC2NodeClass CRD does not require spec (an object without one is accepted, and nothing launches).
  specOptional: true,
};

export { QUANTITY_PATTERN };
