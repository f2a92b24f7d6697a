// The AWS CloudProvider: composes the per-concern providers (subnets, security groups, AMIs, instance profiles,
// launch templates, instances, spot prices, ICE cache) into Karpenter's create/delete/get/list/isDrifted.
import type { Logger } from "pino";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  CloudInstance,
  CloudProvider,
  CreateOptions,
  LaunchResult,
  NodeClaimLike,
  NodeClaimNotFoundError,
  NodeClassNotReadyError,
  NodeClassObject,
  InvalidNodeClassError,
  RegistrationHook,
  RepairPolicy,
} from "../types";
import { AWS_REPAIR_POLICIES } from "./repairPolicies";
import { PlacementGroupRegistrationHook } from "./registrationHooks";
import { QuantityError } from "../../apis/quantity";
import {
  ephemeralStorageBytes,
  forAmiFamily,
  loadCatalog,
  restrictToZones,
  InstanceType,
  RawInstanceType,
} from "./catalog";
import { InstanceTypesProvider } from "./instanceTypes";
import { PRICES_PENDING, pricesCondition, PricingState } from "./pricing";
import { OnDemandPricingProvider } from "./onDemandPricing";
import { amiFamilyOf } from "./userData";
import { OfferingsProvider } from "./offerings";
import { silentLogger } from "../../log";
import { createAwsClients, AwsClients } from "./clients";
import type { EC2NodeClassLike } from "./nodeClass";
import { isReady } from "./nodeClass";
import { SubnetProvider } from "./subnets";
import { SecurityGroupProvider } from "./securityGroups";
import { SsmParameterProvider } from "./ssmParameters";
import { AmiProvider } from "./amis";
import { InstanceProfileProvider } from "./instanceProfiles";
import { NodeClassResolver, NodeClassResolution } from "./nodeClassStatus";
import { LaunchTemplateProvider } from "./launchTemplates";
import { InstanceProvider, parseProviderID } from "./instances";
import { AuthorizationCheck } from "./authorization";
import { SpotPriceProvider } from "./spotPrices";
import { UnavailableOfferings } from "./unavailableOfferings";
import { TtlCache, TTL } from "./ttlCache";
import { ClusterInfo, ClusterInfoProvider, inClusterCABundle } from "./cluster";
import { ec2NodeClassHashAnnotations } from "../../apis/karpenterHash";
import { FleetLauncher, type LaunchFailureRecorder } from "./launcher";
import { priceOverlaid } from "./fleetRequest";
import { driftReason, instanceTypeNotFound, placementGroupDrift, staticFieldsDrift } from "./drift";
import { CapacityReservationProvider } from "./capacityReservations";
import { withReservedOfferings } from "./reservedOfferings";
import { LabelCapacityReservationID } from "../../apis/labels";
import { PlacementGroup, PlacementGroupProvider } from "./placementGroups";
import { compatibleInstanceTypes } from "./compatibility";
import { embeddedShapes } from "./catalog";

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
  /** The kube-dns service's cluster IP (src/kube/kubeDNS.ts): default clusterDNS and the cluster's IP family. */
  kubeDNSIP?: string;
  logger?: Logger;
  now?: () => number;
  /** The rendered user data's size (raw bytes) per EC2NodeClass as a launch template is created; undefined: forget it. */
  onUserDataBytes?: (nodeClass: string, bytes: number | undefined) => void;
  /** Each failed CreateFleet offering (karpenter_cloudprovider_instance_launch_failures_total). */
  onLaunchFailure?: LaunchFailureRecorder;
  /** Each failed TerminateInstances (karpenter_cloudprovider_instance_termination_failures_total). */
  onTerminationFailure?: (instance: { zone: string; zoneID: string }) => void;
  clients?: AwsClients;
  /** Karpenter's ReservedCapacity feature gate (default on): capacity reservations, reserved offerings/launches. */
  reservedCapacity?: boolean;
  /**
   * Karpenter's ISOLATED_VPC: AWS endpoints without a VPC endpoint are unreachable, so the Pricing API is never
   * asked (the embedded table prices, as chosen, not as a failure) and managed instance profiles are not deleted.
   */
  isolatedVpc?: boolean;
  /** Karpenter's DISABLE_DRY_RUN: no authorization dry runs validating a node class. */
  disableDryRun?: boolean;
}

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
  readonly capacityReservations: CapacityReservationProvider;
  readonly placementGroups: PlacementGroupProvider;
  readonly reservedCapacity: boolean;
  /** On-demand prices: the embedded table, refreshed from the Pricing API every 12 h. */
  readonly onDemandPrices: OnDemandPricingProvider;
  private readonly resolver: NodeClassResolver;
  private readonly authorization: AuthorizationCheck;
  readonly cluster: ClusterInfoProvider;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly catalogs: TtlCache<InstanceType[]>;
  private readonly launcher: FleetLauncher;
  readonly offerings: OfferingsProvider;
  private lastOfferings?: Map<string, string[]>;
  /** Instance-type shapes from DescribeInstanceTypes (undefined: EC2 could not be asked, the snapshot stands in). */
  readonly shapes: InstanceTypesProvider;
  private lastShapes?: RawInstanceType[];
  private offeringsVersion = 0;
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
    this.launchTemplates = new LaunchTemplateProvider(ec2, settings.clusterName, this.now, settings.onUserDataBytes);
    this.reservedCapacity = settings.reservedCapacity ?? true;
    this.instances = new InstanceProvider(ec2, settings.clusterName, this.reservedCapacity);
    this.capacityReservations = new CapacityReservationProvider(ec2, this.now);
    this.placementGroups = new PlacementGroupProvider(ec2, this.now);
    this.spotPrices = new SpotPriceProvider(ec2, this.log, this.now);
    this.onDemandPrices = new OnDemandPricingProvider(
      this.clients.pricing,
      settings.region,
      this.log,
      this.now,
      settings.isolatedVpc ?? false,
    );
    this.cluster = new ClusterInfoProvider(
      this.clients.eks,
      {
        clusterName: settings.clusterName,
        endpoint: settings.clusterEndpoint || undefined,
        caBundle: settings.clusterCABundle || undefined,
        serviceCIDR: settings.serviceCIDR || undefined,
        kubeDNSIP: settings.kubeDNSIP || undefined,
      },
      this.now,
    );
    this.authorization = AuthorizationCheck.forCluster(
      ec2,
      settings.clusterName,
      settings.disableDryRun,
      this.log,
      this.now,
    );
    this.resolver = new NodeClassResolver(
      {
        subnets: this.subnets,
        securityGroups: this.securityGroups,
        amis: this.amis,
        instanceProfiles: this.instanceProfiles,
        cluster: () => this.clusterInfo(),
        // Not awaited: Ready and launches never wait on the Pricing API (the embedded table prices meanwhile).
        pricing: async () =>
          this.onDemandPrices.awaitingFirstAnswer() ? PRICES_PENDING : pricesCondition(this.pricing()),
        capacityReservations: this.reservedCapacity ? this.capacityReservations : undefined,
        placementGroups: this.placementGroups,
        authorization: (nc, status) => this.authorization.check(nc, status),
        onInvalidReservation: (msg) => this.log.error({}, `failed to parse discovered capacity reservation: ${msg}`),
      },
      () => this.k8sMinor,
      this.now,
    );
    this.catalogs = new TtlCache(TTL.instanceTypes, this.now);
    this.offerings = new OfferingsProvider(ec2, this.log, this.now);
    this.shapes = new InstanceTypesProvider(ec2, this.log, this.now);
    this.launcher = new FleetLauncher({
      ec2,
      instances: this.instances,
      launchTemplates: this.launchTemplates,
      unavailableOfferings: this.unavailableOfferings,
      capacityReservations: this.capacityReservations,
      reservedCapacity: this.reservedCapacity,
      log: this.log,
      now: this.now,
      clusterName: settings.clusterName,
      region: settings.region,
      caBundle: () => this.caBundle(),
      onLaunchFailure: settings.onLaunchFailure,
    });
    this.onTerminationFailure = settings.onTerminationFailure;
  }
  private readonly onTerminationFailure?: (instance: { zone: string; zoneID: string }) => void;

  /** Where this region's on-demand prices come from (the Pricing API, or an embedded table standing in). */
  pricing(): PricingState {
    return this.onDemandPrices.state();
  }

  /** Set while the prices are not the Pricing API's: why (the provider logs each failed refresh as a warning). */
  pricingFallback(): string | undefined {
    return this.pricing().message;
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
  resolveNodeClass(nc: EC2NodeClassLike | NodeClassObject): Promise<NodeClassResolution> {
    return this.resolver.resolve(nc as EC2NodeClassLike);
  }

  /**
   * Instance types with offerings for a NodeClass (kubelet settings change allocatable); ICE'd offerings are
   * marked unavailable. Spot prices are real when EC2 reports a believable market, estimates otherwise.
   */
  async getInstanceTypes(nodeClassObject?: EC2NodeClassLike | NodeClassObject): Promise<InstanceType[]> {
    const nodeClass = nodeClassObject as EC2NodeClassLike | undefined;
    const kubelet = nodeClass?.spec.kubelet;
    const [prices, live, shapes] = await Promise.all([
      this.spotPrices.prices(),
      this.offerings.get(),
      this.shapes.get(),
    ]);
    const onDemand = this.onDemandPrices.prices();
    if (live !== this.lastOfferings || shapes !== this.lastShapes) {
      this.lastOfferings = live;
      this.lastShapes = shapes;
      this.offeringsVersion++;
    }
    // What the AMI family boots decides pod density and where pods' ephemeral storage lives.
    const family = nodeClass ? amiFamilyOf(nodeClass.spec as never) : undefined;
    const boot = nodeClass && {
      amiFamily: family,
      instanceStorePolicy: nodeClass.spec.instanceStorePolicy,
      bdms: nodeClass.spec.blockDeviceMappings,
    };
    const key = JSON.stringify([
      kubelet ?? null,
      boot ?? null,
      prices.size,
      this.offeringsVersion,
      this.onDemandPrices.version,
    ]);
    const base = await this.catalogs.getOrLoad(key, async () =>
      this.catalogFor(nodeClass, {
        region: this.settings.region,
        amiFamily: family,
        instanceStorePolicy: boot?.instanceStorePolicy,
        ephemeralStorage: boot && ephemeralStorageBytes(family, boot.bdms),
        kubelet: kubelet && {
          maxPods: kubelet.maxPods,
          podsPerCore: kubelet.podsPerCore,
          kubeReserved: kubelet.kubeReserved,
          systemReserved: kubelet.systemReserved,
          evictionHard: kubelet.evictionHard,
        },
        onDemandPrices: onDemand,
        spotPrices: prices.size ? prices : undefined,
        offerings: live,
        shapes,
      }),
    );
    // Only the zones of the NodeClass's resolved subnets: a NodeClass with none resolved yet can launch nothing.
    const zones = nodeClass ? (nodeClass.status?.subnets ?? []).map((s) => s.zone) : undefined;
    const zoned = zones ? restrictToZones(base, zones) : base;
    const forFamily = family ? forAmiFamily(zoned, family) : zoned;
    // Karpenter's compatibility checks: nested virtualization support, the placement group's strategy.
    const pg = await this.placementGroupOf(nodeClass);
    const launchable = compatibleInstanceTypes(forFamily, shapes ?? embeddedShapes(), {
      nestedVirtualization: nodeClass?.spec.cpuOptions?.nestedVirtualization,
      placementGroup: pg,
    });
    const scopes = pg ? [pg.id] : [];
    const iced =
      this.unavailableOfferings.list().length === 0
        ? launchable
        : launchable.map((it) => ({
            ...it,
            offerings: it.offerings.map((o) =>
              this.unavailableOfferings.isUnavailable(it.name, o.zone, o.capacityType, scopes)
                ? { ...o, available: false }
                : o,
            ),
          }));
    const reservations = this.reservedCapacity ? (nodeClass?.status?.capacityReservations ?? []) : [];
    return withReservedOfferings(iced, reservations, (id) => this.capacityReservations.availableCount(id));
  }

  /** The group the class's placementGroupSelector resolves to (cached a minute; the last known one on an error). */
  async placementGroupOf(nodeClass: EC2NodeClassLike | undefined): Promise<PlacementGroup | undefined> {
    const sel = nodeClass?.spec.placementGroupSelector;
    return sel ? (await this.placementGroups.resolve(sel)).group : undefined;
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
    // As Karpenter: a deleting class launches nothing more (its finalizer is waiting for its NodeClaims to go).
    if (nc.metadata.deletionTimestamp)
      throw new NodeClassNotReadyError(
        `ec2nodeclasses.karpenter.k8s.aws "${ref.name}" is terminating, treating as not found`,
      );
    if (!isReady(nc)) {
      const ready = nc.status?.conditions?.find((c) => c.type === "Ready");
      throw new NodeClassNotReadyError(
        `EC2NodeClass "${ref.name}" is not ready${ready?.message ? `: ${ready.message}` : " (status not resolved yet)"}`,
      );
    }
    return nc;
  }

  async create(nodeClaim: NodeClaimLike, opts?: CreateOptions): Promise<LaunchResult> {
    const nc = await this.readyNodeClass(nodeClaim);
    const cluster = await this.clusterInfo();
    if (cluster.problem)
      throw new NodeClassNotReadyError(`EC2NodeClass "${nc.metadata.name}" is not ready: ${cluster.problem}`);
    // As Karpenter AWS: the NodeClaim's pool's NodeOverlays apply to the types the launch chooses from.
    const base = await this.getInstanceTypes(nc);
    const types = opts?.instanceTypes?.(base) ?? base;
    const pg = await this.placementGroupOf(nc);
    return this.launcher.launch(nodeClaim, nc, cluster, types, pg, priceOverlaid(nodeClaim, base, types));
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
  async finalizeNodeClass(nodeClass: EC2NodeClassLike | NodeClassObject): Promise<{ launchTemplates: string[] }> {
    const nc = nodeClass as EC2NodeClassLike;
    // As Karpenter: no IAM calls in an isolated VPC (the profile is left for the user to remove).
    if (!nc.spec.instanceProfile && !this.settings.isolatedVpc)
      await this.instanceProfiles.deleteManaged(nc.metadata.name);
    return { launchTemplates: await this.launchTemplates.deleteForNodeClass(nc.metadata.name) };
  }

  /** Karpenter's EC2NodeClass hash annotations for this class (the nodeclass.hash controller writes them). */
  nodeClassHashAnnotations(nc: EC2NodeClassLike | NodeClassObject): Record<string, string> {
    return ec2NodeClassHashAnnotations(nc as never, this.caBundle());
  }

  async delete(nodeClaim: NodeClaimLike): Promise<void> {
    this.launcher.forget(nodeClaim.metadata.uid ?? nodeClaim.metadata.name);
    const pid = nodeClaim.status?.providerID;
    const inst = pid
      ? await this.instances.get(parseProviderID(pid))
      : await this.instances.findByNodeClaim(nodeClaim.metadata.name);
    // As Karpenter: the instance is gone, so its reservation has a slot again (before EC2's next count says so).
    const reservationID = nodeClaim.metadata.labels?.[LabelCapacityReservationID];
    if (!inst && reservationID) this.capacityReservations.markTerminated(reservationID);
    if (!inst)
      throw new NodeClaimNotFoundError(
        `instance of NodeClaim ${nodeClaim.metadata.name} not found${pid ? ` (${pid})` : ""}`,
      );
    if (inst.state === "shutting-down") return;
    try {
      await this.instances.terminate(inst);
    } catch (e) {
      this.onTerminationFailure?.({ zone: inst.zone, zoneID: inst.zoneID ?? "" });
      throw e;
    }
  }

  async get(providerID: string): Promise<CloudInstance> {
    const inst = await this.instances.get(parseProviderID(providerID));
    if (!inst) throw new NodeClaimNotFoundError(`instance ${providerID} not found`);
    return inst;
  }

  list(): Promise<CloudInstance[]> {
    return this.instances.list();
  }

  repairPolicies(): RepairPolicy[] {
    return [...AWS_REPAIR_POLICIES];
  }

  /** As Karpenter AWS's controller: the placement-group hook, reading the instance fresh from EC2. */
  registrationHooks(): RegistrationHook[] {
    return (this.hooks ??= [new PlacementGroupRegistrationHook((id) => this.instances.get(id))]);
  }
  private hooks?: RegistrationHook[];

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
    const types = await this.getInstanceTypes(nc);
    // Core Karpenter's InstanceTypeNotFound: only for NodeClaims older than an hour, a passed check cached 30m.
    const uid = nodeClaim.metadata.uid ?? nodeClaim.metadata.name;
    const created = Date.parse(nodeClaim.metadata.creationTimestamp ?? "");
    if (!this.instanceTypeChecked.get(uid) && Number.isFinite(created) && this.now() - created > 60 * 60_000) {
      const reason = instanceTypeNotFound(nodeClaim.metadata.labels ?? {}, types);
      if (reason) return reason;
      this.instanceTypeChecked.set(uid, true);
    }
    // As Karpenter: AMI drift maps the node's instance type (all its labels: arch, GPU, ...) to the AMI a launch
    // would pick now; an instance type the catalog no longer has is an error there, so no drift here.
    const it = types.find((t) => t.name === inst.instanceType);
    if (!it) return "";
    const reason = driftReason(inst, nc, it.labels);
    if (reason === "CapacityReservationDrift") {
      // As Karpenter: confirm with a fresh DescribeInstances before rolling (the snapshot may be stale).
      const fresh = await this.instances.get(inst.instanceID);
      if (!fresh || driftReason(fresh, nc, it.labels) !== reason) return "";
    }
    if (reason) return reason;
    const pg = await this.placementGroups.resolve(nc.spec.placementGroupSelector);
    // A failed lookup with no group known is not evidence the group changed: no drift until it answers.
    if (pg.error && !pg.group) return "";
    return placementGroupDrift(nodeClaim.metadata.labels ?? {}, pg.group?.id ?? "");
  }
  private readonly instanceTypeChecked = new TtlCache<boolean>(30 * 60_000, () => this.now());
}
