// The AWS CloudProvider: composes the per-concern providers (subnets, security groups, AMIs, instance profiles,
// launch templates, instances, spot prices, ICE cache) into Karpenter's create/delete/get/list/isDrifted.
import type { Logger } from "pino";
import type { CreateFleetCommandInput, CreateFleetCommandOutput } from "@aws-sdk/client-ec2";
import { CreateFleetCommand } from "@aws-sdk/client-ec2";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  CloudInstance,
  CloudProvider,
  InsufficientCapacityError,
  LaunchResult,
  NodeClaimLike,
  NodeClaimNotFoundError,
  NodeClassNotReadyError,
  InvalidNodeClassError,
} from "../types";
import { QuantityError } from "../../apis/quantity";
import { forAmiFamily, loadCatalog, restrictToZones, InstanceType, RawInstanceType } from "./catalog";
import { InstanceTypesProvider } from "./instanceTypes";
import { pricesCondition, pricingState, PricingState } from "./pricing";
import { amiFamilyOf } from "./userData";
import { OfferingsProvider } from "./offerings";
import * as L from "../../apis/labels";
import { formatResources } from "../../apis/quantity";
import { silentLogger } from "../../log";
import { createAwsClients, AwsClients } from "./clients";
import type { EC2NodeClassLike } from "./nodeClass";
import { isReady } from "./nodeClass";
import { SubnetProvider, subnetPerZone } from "./subnets";
import { SecurityGroupProvider } from "./securityGroups";
import { SsmParameterProvider } from "./ssmParameters";
import { AmiProvider, amiFor } from "./amis";
import { InstanceProfileProvider } from "./instanceProfiles";
import { NodeClassResolver, NodeClassResolution } from "./nodeClassStatus";
import { LaunchTemplateProvider } from "./launchTemplates";
import { InstanceProvider, parseProviderID, TAG_NODECLAIM, TAG_NODECLASS, TAG_NODEPOOL, clusterTag } from "./instances";
import { SpotPriceProvider } from "./spotPrices";
import { UnavailableOfferings } from "./unavailableOfferings";
import { planLaunch, NoLaunchOptionError, LaunchOption } from "./launchOptions";
import { buildCreateFleetInput, clientToken, parseFleetErrors, TemplateGroup } from "./fleetRequest";
import { TtlCache, TTL } from "./ttlCache";
import { ClusterInfo, ClusterInfoProvider } from "./cluster";
import {
  EC2NODECLASS_HASH_ANNOTATION,
  EC2NODECLASS_HASH_VERSION_ANNOTATION,
  ec2NodeClassHashAnnotations,
} from "../../apis/karpenterHash";
import { readFileSync } from "node:fs";

const SERVICE_ACCOUNT_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

/** base64 of the service account's CA (Karpenter reads the CA data of its REST config); "" outside a pod. */
function inClusterCABundle(): string {
  try {
    return readFileSync(SERVICE_ACCOUNT_CA).toString("base64");
  } catch {
    return "";
  }
}

export interface AwsCloudProviderSettings {
  clusterName: string;
  clusterEndpoint: string;
  clusterCABundle?: string;
  region: string;
  endpoint?: string;
  interruptionQueue?: string;
  nodeClassLookup: (name: string) => Promise<EC2NodeClassLike | undefined>;
  /** Kubernetes minor the AMI aliases resolve for, e.g. "1.34" (Karpenter asks the API server; so should the caller). */
  kubernetesVersion?: string;
  /** Service CIDR written into node user data. */
  serviceCIDR?: string;
  logger?: Logger;
  now?: () => number;
  clients?: AwsClients;
}

interface LaunchAttemptState {
  attempt: number;
  unresolved?: { plan: ReturnType<typeof planLaunch>; groups: TemplateGroup[]; input: CreateFleetCommandInput };
  mismatchSince?: number;
}

/** How long a reused token's instance may stay invisible to DescribeInstances before we stop waiting for it. */
export const TOKEN_REUSE_WINDOW_MS = 60_000;

export const DEFAULT_KUBERNETES_VERSION = "1.34";

/** "v1.34.4" / "1.34" -> "1.34". */
export function kubernetesMinor(v: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(v.trim());
  if (!m) throw new Error(`kubernetesVersion "${v}" must look like 1.34 or v1.34.4`);
  return `${m[1]}.${m[2]}`;
}

/** How long drift checks share one DescribeInstances of every owned instance. */
export const DRIFT_SNAPSHOT_MS = 30_000;

export class AwsCloudProvider implements CloudProvider {
  readonly name = "aws";
  readonly clients: AwsClients;
  readonly unavailableOfferings: UnavailableOfferings;
  readonly subnets: SubnetProvider;
  readonly securityGroups: SecurityGroupProvider;
  readonly amis: AmiProvider;
  readonly instanceProfiles: InstanceProfileProvider;
  readonly launchTemplates: LaunchTemplateProvider;
  readonly instances: InstanceProvider;
  readonly spotPrices: SpotPriceProvider;
  private readonly resolver: NodeClassResolver;
  readonly cluster: ClusterInfoProvider;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly catalogs: TtlCache<InstanceType[]>;
  readonly offerings: OfferingsProvider;
  private lastOfferings?: Map<string, string[]>;
  /** Instance-type shapes from DescribeInstanceTypes (undefined: EC2 could not be asked, the snapshot stands in). */
  readonly shapes: InstanceTypesProvider;
  private lastShapes?: RawInstanceType[];
  private offeringsVersion = 0;
  private pricingWarned = false;
  private k8sMinor: string;

  constructor(private readonly settings: AwsCloudProviderSettings) {
    if (!settings.clusterName) throw new Error("AwsCloudProvider: clusterName is required (settings CLUSTER_NAME)");
    this.now = settings.now ?? Date.now;
    this.log = settings.logger ?? silentLogger();
    this.k8sMinor = kubernetesMinor(settings.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
    this.clients = settings.clients ?? createAwsClients({ region: settings.region, endpoint: settings.endpoint });
    const { ec2, ssm, iam } = this.clients;
    this.unavailableOfferings = new UnavailableOfferings(this.now);
    this.subnets = new SubnetProvider(ec2, this.now);
    this.securityGroups = new SecurityGroupProvider(ec2, this.now);
    this.amis = new AmiProvider(ec2, new SsmParameterProvider(ssm, this.now), this.now);
    this.instanceProfiles = new InstanceProfileProvider(iam, settings.clusterName, settings.region, this.now);
    this.launchTemplates = new LaunchTemplateProvider(ec2, settings.clusterName, this.now);
    this.instances = new InstanceProvider(ec2, settings.clusterName);
    this.spotPrices = new SpotPriceProvider(ec2, this.log, this.now);
    this.cluster = new ClusterInfoProvider(
      this.clients.eks,
      {
        clusterName: settings.clusterName,
        endpoint: settings.clusterEndpoint || undefined,
        caBundle: settings.clusterCABundle || undefined,
        serviceCIDR: settings.serviceCIDR || undefined,
      },
      this.now,
    );
    this.resolver = new NodeClassResolver(
      {
        subnets: this.subnets,
        securityGroups: this.securityGroups,
        amis: this.amis,
        instanceProfiles: this.instanceProfiles,
        cluster: () => this.clusterInfo(),
        pricing: () => pricesCondition(this.pricing()),
      },
      () => this.k8sMinor,
      this.now,
    );
    this.catalogs = new TtlCache(TTL.instanceTypes, this.now);
    this.offerings = new OfferingsProvider(ec2, this.log, this.now);
    this.shapes = new InstanceTypesProvider(ec2, this.log, this.now);
  }

  /** Where this region's on-demand prices come from (its own embedded table, or another region's as a fallback). */
  pricing(): PricingState {
    return pricingState(this.settings.region);
  }

  /** Set when the region has no embedded on-demand price table and us-east-1's prices stand in for it. */
  pricingFallback(): string | undefined {
    return this.pricing().message;
  }

  private warnPricingFallbackOnce(): void {
    if (this.pricingWarned) return;
    this.pricingWarned = true;
    const msg = this.pricingFallback();
    if (msg) this.log.warn({ region: this.settings.region }, msg);
  }

  /** Endpoint, CA, service CIDR (settings, else DescribeCluster); adopts the cluster's Kubernetes version. */
  async clusterInfo(): Promise<ClusterInfo> {
    const info = await this.cluster.get();
    if (info.kubernetesVersion && !this.settings.kubernetesVersion) {
      const minor = kubernetesMinor(info.kubernetesVersion);
      if (minor !== this.k8sMinor) {
        this.k8sMinor = minor;
        this.amis.invalidate();
      }
    }
    return info;
  }

  /** Updates the Kubernetes version AMI aliases resolve for (after discovering the API server version). */
  setKubernetesVersion(v: string): void {
    this.k8sMinor = kubernetesMinor(v);
    this.amis.invalidate();
  }

  /** URL of the interruption queue (settings INTERRUPTION_QUEUE), or undefined when interruption handling is off. */
  async interruptionQueueUrl(): Promise<string | undefined> {
    const name = this.settings.interruptionQueue;
    if (!name) return undefined;
    if (/^https?:\/\//.test(name)) return name;
    const out = await this.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!out.QueueUrl)
      throw new Error(`SQS queue "${name}" (INTERRUPTION_QUEUE) not found: create it or unset INTERRUPTION_QUEUE`);
    return out.QueueUrl;
  }

  /** EC2NodeClass status + Ready condition from its selectors (the EC2NodeClass controller writes it). */
  resolveNodeClass(nc: EC2NodeClassLike): Promise<NodeClassResolution> {
    return this.resolver.resolve(nc);
  }

  /**
   * Instance types with offerings for a NodeClass (kubelet settings change allocatable); ICE'd offerings are
   * marked unavailable. Spot prices are real when EC2 reports a believable market, estimates otherwise.
   */
  async getInstanceTypes(nodeClass?: EC2NodeClassLike): Promise<InstanceType[]> {
    const kubelet = nodeClass?.spec.kubelet;
    const [prices, live, shapes] = await Promise.all([
      this.spotPrices.prices(),
      this.offerings.get(),
      this.shapes.get(),
    ]);
    if (live !== this.lastOfferings || shapes !== this.lastShapes) {
      this.lastOfferings = live;
      this.lastShapes = shapes;
      this.offeringsVersion++;
    }
    this.warnPricingFallbackOnce();
    const key = JSON.stringify([kubelet ?? null, prices.size, this.offeringsVersion]);
    const base = await this.catalogs.getOrLoad(key, async () =>
      this.catalogFor(nodeClass, {
        region: this.settings.region,
        kubelet: kubelet && {
          maxPods: kubelet.maxPods,
          podsPerCore: kubelet.podsPerCore,
          kubeReserved: kubelet.kubeReserved,
          systemReserved: kubelet.systemReserved,
          evictionHard: kubelet.evictionHard,
        },
        spotPrices: prices.size ? prices : undefined,
        offerings: live,
        shapes,
      }),
    );
    // Only the zones of the NodeClass's resolved subnets: a NodeClass with none resolved yet can launch nothing.
    const zones = nodeClass ? (nodeClass.status?.subnets ?? []).map((s) => s.zone) : undefined;
    const zoned = zones ? restrictToZones(base, zones) : base;
    const launchable = nodeClass ? forAmiFamily(zoned, amiFamilyOf(nodeClass.spec as never)) : zoned;
    if (this.unavailableOfferings.list().length === 0) return launchable;
    return launchable.map((it) => ({
      ...it,
      offerings: it.offerings.map((o) =>
        this.unavailableOfferings.isUnavailable(it.name, o.zone, o.capacityType) ? { ...o, available: false } : o,
      ),
    }));
  }

  /** loadCatalog, with a bad kubelet value of this NodeClass turned into its own typed error (others unaffected). */
  private catalogFor(nodeClass: EC2NodeClassLike | undefined, opts: Parameters<typeof loadCatalog>[0]): InstanceType[] {
    try {
      return loadCatalog(opts);
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const field = /\b(kubelet\.[A-Za-z]+(?:\.[A-Za-z0-9./-]+)?)/.exec(msg)?.[1];
      if (nodeClass && (field || e instanceof QuantityError))
        throw new InvalidNodeClassError(nodeClass.metadata.name, field && `spec.${field}`, msg);
      throw e;
    }
  }

  private async readyNodeClass(nodeClaim: NodeClaimLike): Promise<EC2NodeClassLike> {
    const ref = nodeClaim.spec.nodeClassRef;
    const nc = await this.settings.nodeClassLookup(ref.name);
    if (!nc)
      throw new NodeClassNotReadyError(
        `EC2NodeClass "${ref.name}" not found (nodeClassRef of NodeClaim ${nodeClaim.metadata.name})`,
      );
    if (!isReady(nc)) {
      const ready = nc.status?.conditions?.find((c) => c.type === "Ready");
      throw new NodeClassNotReadyError(
        `EC2NodeClass "${ref.name}" is not ready${ready?.message ? `: ${ready.message}` : " (status not resolved yet)"}`,
      );
    }
    return nc;
  }

  async create(nodeClaim: NodeClaimLike): Promise<LaunchResult> {
    const nc = await this.readyNodeClass(nodeClaim);
    const cluster = await this.clusterInfo();
    if (cluster.problem)
      throw new NodeClassNotReadyError(`EC2NodeClass "${nc.metadata.name}" is not ready: ${cluster.problem}`);
    const catalog = await this.getInstanceTypes(nc);
    const existing = await this.instances.findByNodeClaim(nodeClaim.metadata.name);
    if (existing) {
      this.log.info(
        { NodeClaim: { name: nodeClaim.metadata.name }, "provider-id": existing.providerID },
        "found existing instance for nodeclaim",
      );
      return this.launchResult(
        existing.instanceID,
        existing.zone,
        existing.instanceType,
        existing.capacityType as LaunchResult["capacityType"],
        existing.imageID ?? "",
        catalog,
        nc,
      );
    }
    const status = nc.status!;
    const uid = nodeClaim.metadata.uid ?? nodeClaim.metadata.name;
    const state = this.launchAttempts.get(uid) ?? { attempt: 0 };
    this.launchAttempts.set(uid, state);
    // A request whose outcome we never saw (timeout, connection reset) is re-sent verbatim: same token, same
    // options, even if the ICE cache pruned some since, so EC2 answers with the instance it may have launched.
    let sent = state.unresolved;
    if (!sent) {
      let plan;
      try {
        plan = planLaunch({
          requirements: nodeClaim.spec.requirements,
          requests: nodeClaim.spec.resources?.requests,
          catalog,
          subnets: subnetPerZone(status.subnets ?? []),
          isUnavailable: this.unavailableOfferings.predicate,
        });
      } catch (e) {
        if (e instanceof NoLaunchOptionError)
          throw new InsufficientCapacityError(
            `creating instance for NodeClaim ${nodeClaim.metadata.name}: ${e.message}`,
          );
        throw e;
      }
      if (plan.instanceTypes.length < 5) {
        this.log.warn(
          { NodeClaim: { name: nodeClaim.metadata.name }, "instance-types": plan.instanceTypes.map((t) => t.name) },
          "NodeClaim has less than 5 instance types: launches may fail more often",
        );
      }
      const groups = await this.templateGroups(nodeClaim, nc, plan.capacityType, plan.options, cluster);
      const tags = this.tagsFor(nodeClaim, nc);
      const token = clientToken(uid, state.attempt);
      const input = buildCreateFleetInput({ capacityType: plan.capacityType, groups, tags, clientToken: token });
      sent = { plan, groups, input };
    }
    const { plan, groups, input } = sent;
    let out: CreateFleetCommandOutput;
    try {
      out = await this.clients.ec2.send(new CreateFleetCommand(input));
    } catch (e) {
      const name = (e as { name?: string }).name ?? "";
      const answered = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined;
      if (/LaunchTemplateName\.NotFound|InvalidLaunchTemplate/.test(name))
        for (const g of groups) this.launchTemplates.forget(g.launchTemplateName);
      if (name === "IdempotentParameterMismatch") {
        // The token was used with other options before (by a process that crashed): its instance, if any,
        // carries our NodeClaim tag. Adopt it. Only when it stays invisible past EC2's eventual consistency
        // window does the next attempt get a fresh token (the GC terminates a duplicate should one appear).
        state.unresolved = undefined;
        const adopted = await this.instances.findByNodeClaim(nodeClaim.metadata.name);
        if (adopted) {
          this.launchAttempts.delete(uid);
          return this.launchResult(
            adopted.instanceID,
            adopted.zone,
            adopted.instanceType,
            adopted.capacityType as LaunchResult["capacityType"],
            adopted.imageID ?? "",
            catalog,
            nc,
          );
        }
        state.mismatchSince ??= this.now();
        if (this.now() - state.mismatchSince >= TOKEN_REUSE_WINDOW_MS) {
          state.attempt++;
          state.mismatchSince = undefined;
        }
      } else if (!answered || (e as { $retryable?: unknown }).$retryable) {
        state.unresolved = sent; // outcome unknown: the next try re-sends exactly this request
      } else {
        state.unresolved = undefined; // EC2 rejected the request: nothing was launched under this token
        state.attempt++;
      }
      throw e;
    }
    state.unresolved = undefined;
    const zoneOf = (id: string) => (status.subnets ?? []).find((s) => s.id === id)?.zone;
    for (const f of parseFleetErrors(out.Errors, plan.capacityType, zoneOf)) {
      if (f.unfulfillable && f.instanceType && f.zone) {
        this.unavailableOfferings.markUnavailable(f.instanceType, f.zone, f.capacityType, f.code);
        this.log.info(
          {
            "instance-type": f.instanceType,
            zone: f.zone,
            "capacity-type": f.capacityType,
            reason: f.code,
            ttl: "3m0s",
          },
          "removing offering from offerings",
        );
      }
    }
    const launched = out.Instances?.find((i) => i.InstanceIds?.length);
    if (!launched) {
      // EC2 answered: nothing launched under this token, so the next attempt may safely use a new one.
      state.attempt++;
      const reasons = [...new Set((out.Errors ?? []).map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`))].join("; ");
      throw new InsufficientCapacityError(
        `creating instance for NodeClaim ${nodeClaim.metadata.name}, ${reasons || "CreateFleet launched no instance"}`,
      );
    }
    this.launchAttempts.delete(uid);
    const instanceId = launched.InstanceIds![0]!;
    const ov = launched.LaunchTemplateAndOverrides?.Overrides;
    const typeName = String(launched.InstanceType ?? ov?.InstanceType ?? "");
    const zone =
      ov?.AvailabilityZone ??
      (ov?.SubnetId ? zoneOf(ov.SubnetId) : undefined) ??
      plan.options.find((o) => o.instanceType.name === typeName)?.zone ??
      "";
    const group =
      groups.find((g) => g.options.some((o) => o.instanceType.name === typeName && o.zone === zone)) ?? groups[0]!;
    const imageId = this.imageOf.get(group.launchTemplateName) ?? "";
    return this.launchResult(
      instanceId,
      zone,
      typeName,
      (launched.Lifecycle ?? plan.capacityType) as LaunchResult["capacityType"],
      imageId,
      catalog,
      nc,
    );
  }

  private readonly imageOf = new Map<string, string>();
  /** Per NodeClaim UID: the client-token attempt (advanced only once EC2 confirmed nothing launched under it). */
  private readonly launchAttempts = new Map<string, LaunchAttemptState>();

  /** One launch template per (AMI, max pods): the AMI follows the type's architecture, max pods its ENI limits. */
  private async templateGroups(
    nodeClaim: NodeClaimLike,
    nc: EC2NodeClassLike,
    capacityType: string,
    options: LaunchOption[],
    cluster: ClusterInfo,
  ): Promise<TemplateGroup[]> {
    const status = nc.status!;
    const byKey = new Map<string, { ami: string; maxPods?: number; options: LaunchOption[] }>();
    for (const o of options) {
      const ami = amiFor(status.amis ?? [], o.instanceType.labels);
      if (!ami) continue;
      const maxPods = nc.spec.kubelet?.maxPods ?? o.instanceType.capacity.pods;
      const key = `${ami}/${maxPods}`;
      const g = byKey.get(key) ?? { ami, maxPods, options: [] };
      g.options.push(o);
      byKey.set(key, g);
    }
    if (byKey.size === 0)
      throw new InsufficientCapacityError(
        `no AMI in EC2NodeClass "${nc.metadata.name}" status matches the architectures of the NodeClaim's instance types`,
      );
    const labels: Record<string, string> = {
      ...(nodeClaim.metadata.labels ?? {}),
      [L.LabelCapacityType]: capacityType,
    };
    delete labels[L.LabelHostname];
    const taints = [...(nodeClaim.spec.taints ?? []), ...(nodeClaim.spec.startupTaints ?? [])];
    const tags = this.tagsFor(nodeClaim, nc);
    delete tags[TAG_NODECLAIM];
    delete tags.Name;
    const groups: TemplateGroup[] = [];
    for (const g of [...byKey.values()]) {
      const name = await this.launchTemplates.ensure({
        nodeClass: nc,
        clusterName: this.settings.clusterName,
        clusterEndpoint: cluster.endpoint ?? "",
        caBundle: cluster.caBundle,
        serviceCIDR: cluster.serviceCIDR,
        imageId: g.ami,
        capacityType,
        instanceProfile: status.instanceProfile ?? "",
        securityGroupIds: (status.securityGroups ?? []).map((s) => s.id),
        labels,
        taints,
        maxPods: g.maxPods,
        tags,
      });
      this.imageOf.set(name, g.ami);
      groups.push({ launchTemplateName: name, options: g.options });
    }
    return groups;
  }

  private tagsFor(nodeClaim: NodeClaimLike, nc: EC2NodeClassLike): Record<string, string> {
    return {
      Name: nodeClaim.metadata.name,
      ...(nc.spec.tags ?? {}),
      [clusterTag(this.settings.clusterName)]: "owned",
      "eks:eks-cluster-name": this.settings.clusterName,
      [TAG_NODEPOOL]: nodeClaim.metadata.labels?.[L.LabelNodePool] ?? "",
      [TAG_NODECLAIM]: nodeClaim.metadata.name,
      [TAG_NODECLASS]: nc.metadata.name,
    };
  }

  private launchResult(
    instanceId: string,
    zone: string,
    typeName: string,
    capacityType: LaunchResult["capacityType"],
    imageId: string,
    catalog: InstanceType[],
    nc: EC2NodeClassLike,
  ): LaunchResult {
    const it = catalog.find((t) => t.name === typeName);
    const zoneID = nc.status?.subnets?.find((s) => s.zone === zone)?.zoneID;
    const labels: Record<string, string> = {
      ...(it?.labels ?? { [L.LabelInstanceType]: typeName }),
      [L.LabelTopologyZone]: zone,
      [L.LabelTopologyRegion]: this.settings.region,
      [L.LabelCapacityType]: capacityType,
      ...(zoneID ? { [L.LabelZoneID]: zoneID } : {}),
    };
    return {
      providerID: `aws:///${zone}/${instanceId}`,
      instanceID: instanceId,
      imageID: imageId,
      instanceType: typeName,
      zone,
      capacityType,
      capacity: it ? formatResources(it.capacity) : {},
      allocatable: it ? formatResources(it.allocatable) : {},
      labels,
      // As Karpenter's Create: the NodeClass hash the instance was launched from (static drift).
      annotations: ec2NodeClassHashAnnotations(nc as never, this.caBundle()),
    };
  }

  /**
   * The CA bundle Karpenter folds into the EC2NodeClass hash: --cluster-ca-bundle (CLUSTER_CA_BUNDLE), else the
   * in-cluster CA the client trusts, base64 — so a takeover computes the hash Karpenter wrote.
   */
  caBundle(): string {
    if (this.cachedCABundle === undefined) {
      this.cachedCABundle = this.settings.clusterCABundle || inClusterCABundle();
    }
    return this.cachedCABundle;
  }
  private cachedCABundle?: string;

  /**
   * Cleanup when an EC2NodeClass is deleted (after its NodeClaims are gone), as Karpenter's finalize: the instance
   * profile capsicum created from spec.role (a user-supplied spec.instanceProfile is left alone) and its launch
   * templates.
   */
  async finalizeNodeClass(nc: EC2NodeClassLike): Promise<{ launchTemplates: string[] }> {
    if (!nc.spec.instanceProfile) await this.instanceProfiles.deleteManaged(nc.metadata.name);
    return { launchTemplates: await this.launchTemplates.deleteForNodeClass(nc.metadata.name) };
  }

  /** Karpenter's EC2NodeClass hash annotations for this class (the nodeclass.hash controller writes them). */
  nodeClassHashAnnotations(nc: EC2NodeClassLike): Record<string, string> {
    return ec2NodeClassHashAnnotations(nc as never, this.caBundle());
  }

  async delete(nodeClaim: NodeClaimLike): Promise<void> {
    this.launchAttempts.delete(nodeClaim.metadata.uid ?? nodeClaim.metadata.name);
    const pid = nodeClaim.status?.providerID;
    const inst = pid
      ? await this.instances.get(parseProviderID(pid))
      : await this.instances.findByNodeClaim(nodeClaim.metadata.name);
    if (!inst)
      throw new NodeClaimNotFoundError(
        `instance of NodeClaim ${nodeClaim.metadata.name} not found${pid ? ` (${pid})` : ""}`,
      );
    if (inst.state === "shutting-down") return;
    await this.instances.terminate(inst);
  }

  async get(providerID: string): Promise<CloudInstance> {
    const inst = await this.instances.get(parseProviderID(providerID));
    if (!inst) throw new NodeClaimNotFoundError(`instance ${providerID} not found`);
    return inst;
  }

  list(): Promise<CloudInstance[]> {
    return this.instances.list();
  }

  async isDrifted(nodeClaim: NodeClaimLike): Promise<string> {
    const pid = nodeClaim.status?.providerID;
    if (!pid) return "";
    const nc = await this.settings.nodeClassLookup(nodeClaim.spec.nodeClassRef.name);
    if (!nc?.status) return "";
    const staticDrift = staticFieldsDrift(nodeClaim.metadata.annotations ?? {}, nc.metadata.annotations ?? {});
    if (staticDrift) return staticDrift;
    // One shared DescribeInstances per drift pass (30 s), not one per NodeClaim; an instance too new for the
    // snapshot is simply checked next pass.
    const inst = (await this.instances.snapshot(this.now(), DRIFT_SNAPSHOT_MS)).get(parseProviderID(pid));
    if (!inst) return "";
    // As Karpenter: AMI drift maps the node's instance type (all its labels: arch, GPU, ...) to the AMI a launch
    // would pick now; an instance type the catalog no longer has is an error there, so no drift here.
    const it = (await this.getInstanceTypes(nc)).find((t) => t.name === inst.instanceType);
    if (!it) return "";
    return driftReason(inst, nc, it.labels);
  }
}

/**
 * Karpenter AWS's areStaticFieldsDrifted: NodeClassDrift when the NodeClaim's ec2nodeclass-hash differs from the
 * EC2NodeClass's at the same hash version; any of the four annotations missing, or versions differing, is no drift.
 */
export function staticFieldsDrift(nodeClaimAnn: Record<string, string>, nodeClassAnn: Record<string, string>): string {
  const [h, v] = [EC2NODECLASS_HASH_ANNOTATION, EC2NODECLASS_HASH_VERSION_ANNOTATION];
  if (nodeClaimAnn[h] === undefined || nodeClaimAnn[v] === undefined) return "";
  if (nodeClassAnn[h] === undefined || nodeClassAnn[v] === undefined) return "";
  if (nodeClaimAnn[v] !== nodeClassAnn[v]) return "";
  return nodeClaimAnn[h] !== nodeClassAnn[h] ? "NodeClassDrift" : "";
}

/**
 * Karpenter's dynamic drift checks, in its order: AMI (the instance does not run the AMI a launch of its
 * architecture would get now), security groups (set differs), subnet (no longer selected).
 */
export function driftReason(
  inst: CloudInstance,
  nc: EC2NodeClassLike,
  instanceType?: string | Record<string, string>,
): string {
  const status = nc.status ?? {};
  const labels = typeof instanceType === "string" ? { [L.LabelArch]: instanceType } : instanceType;
  if (status.amis?.length && inst.imageID) {
    const expected = labels ? amiFor(status.amis, labels) : undefined;
    if (expected ? expected !== inst.imageID : !status.amis.some((a) => a.id === inst.imageID)) return "AMIDrift";
  }
  if (status.securityGroups?.length && inst.securityGroupIDs) {
    // Set equality, as Karpenter's sets.Equal (order and duplicates do not matter).
    const want = [...new Set(status.securityGroups.map((g) => g.id))].sort().join(",");
    if (want !== [...new Set(inst.securityGroupIDs)].sort().join(",")) return "SecurityGroupDrift";
  }
  if (status.subnets?.length && inst.subnetID && !status.subnets.some((s) => s.id === inst.subnetID))
    return "SubnetDrift";
  return "";
}
