// EC2NodeClass spec.kubelet (aws pkg/apis/v1 KubeletConfiguration, v1.14.1): reserved resources, eviction
// thresholds and their CEL rules, as Karpenter's CRD has them.
import { QUANTITY_PATTERN, has } from "./common";
import { cel, type Schema } from "./types";

export const EVICTION_SIGNALS = [
  "memory.available",
  "nodefs.available",
  "nodefs.inodesFree",
  "imagefs.available",
  "imagefs.inodesFree",
  "pid.available",
];
export const RESERVED_RESOURCES = ["cpu", "memory", "ephemeral-storage", "pid"];
const EVICTION_VALUE_PATTERN =
  "^((\\d{1,2}(\\.\\d{1,2})?|100(\\.0{1,2})?)%||(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?)$";

const keys = (o: any): string[] => (o && typeof o === "object" ? Object.keys(o) : []);

const reservedMap = (name: string): Schema => ({
  type: "object",
  additionalProperties: { type: "string", pattern: QUANTITY_PATTERN },
  "x-kubernetes-validations": [
    cel(
      "self.all(x, x=='cpu' || x=='memory' || x=='ephemeral-storage' || x=='pid')",
      `valid keys for ${name} are ['cpu','memory','ephemeral-storage','pid']`,
      (m) => keys(m).every((k) => RESERVED_RESOURCES.includes(k)),
    ),
    cel("self.all(x, !self[x].startsWith('-'))", `${name} value cannot be a negative resource quantity`, (m) =>
      keys(m).every((k) => !String(m[k]).startsWith("-")),
    ),
  ],
});
const evictionMap = (name: string, valuePattern?: string): Schema => ({
  type: "object",
  additionalProperties: valuePattern ? { type: "string", pattern: valuePattern } : { type: "string" },
  "x-kubernetes-validations": [
    cel(
      `self.all(x, x in ['memory.available','nodefs.available','nodefs.inodesFree','imagefs.available','imagefs.inodesFree','pid.available'])`,
      `valid keys for ${name} are ['memory.available','nodefs.available','nodefs.inodesFree','imagefs.available','imagefs.inodesFree','pid.available']`,
      (m) => keys(m).every((k) => EVICTION_SIGNALS.includes(k)),
    ),
  ],
});

export const kubelet: Schema = {
  type: "object",
  properties: {
    clusterDNS: { type: "array", items: { type: "string" } },
    cpuCFSQuota: { type: "boolean" },
    evictionHard: evictionMap("evictionHard", EVICTION_VALUE_PATTERN),
    evictionMaxPodGracePeriod: { type: "integer", format: "int32" },
    evictionSoft: evictionMap("evictionSoft", EVICTION_VALUE_PATTERN),
    evictionSoftGracePeriod: evictionMap("evictionSoftGracePeriod"),
    imageGCHighThresholdPercent: { type: "integer", format: "int32", minimum: 0, maximum: 100 },
    imageGCLowThresholdPercent: { type: "integer", format: "int32", minimum: 0, maximum: 100 },
    kubeReserved: reservedMap("kubeReserved"),
    maxPods: { type: "integer", format: "int32", minimum: 0 },
    podsPerCore: { type: "integer", format: "int32", minimum: 0 },
    systemReserved: reservedMap("systemReserved"),
  },
  "x-kubernetes-validations": [
    cel(
      "has(self.imageGCHighThresholdPercent) && has(self.imageGCLowThresholdPercent) ?  self.imageGCHighThresholdPercent > self.imageGCLowThresholdPercent  : true",
      "imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent",
      (s) =>
        has(s, "imageGCHighThresholdPercent") && has(s, "imageGCLowThresholdPercent")
          ? s.imageGCHighThresholdPercent > s.imageGCLowThresholdPercent
          : true,
    ),
    cel(
      "has(self.evictionSoft) ? self.evictionSoft.all(e, (e in self.evictionSoftGracePeriod)):true",
      "evictionSoft OwnerKey does not have a matching evictionSoftGracePeriod",
      (s) =>
        has(s, "evictionSoft") ? keys(s.evictionSoft).every((e) => keys(s.evictionSoftGracePeriod).includes(e)) : true,
    ),
    cel(
      "has(self.evictionSoftGracePeriod) ? self.evictionSoftGracePeriod.all(e, (e in self.evictionSoft)):true",
      "evictionSoftGracePeriod OwnerKey does not have a matching evictionSoft",
      (s) =>
        has(s, "evictionSoftGracePeriod")
          ? keys(s.evictionSoftGracePeriod).every((e) => keys(s.evictionSoft).includes(e))
          : true,
    ),
  ],
};
