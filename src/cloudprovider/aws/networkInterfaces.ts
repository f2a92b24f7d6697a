// The launch template's network interfaces, as Karpenter v1.14's generateNetworkInterfaces builds them: the
// EC2NodeClass's `networkInterfaces` when set (EFA-only interfaces get no public IP, prefixes, IPv6 addresses or
// connection tracking), else one EFA interface per requested `vpc.amazonaws.com/efa` (one per network card,
// device 0 on the first card, 1 on the others), else one primary interface. Security groups always ride on the
// interfaces (never SecurityGroupIds), with `associatePublicIPAddress`, `ipPrefixCount` and `connectionTracking`.
// In an IPv6 cluster (the kube-dns service has an IPv6 address) pods get IPv6 addresses: `ipPrefixCount` becomes
// IPv6 prefixes, and each interface gets a primary IPv6 address (PrimaryIpv6, Ipv6AddressCount 1).
import type { ClusterIPFamily } from "./cluster";
import type { LaunchTemplateInstanceNetworkInterfaceSpecificationRequest as NetworkInterface } from "@aws-sdk/client-ec2";

export interface NetworkInterfaceSpec {
  associatePublicIPAddress?: boolean;
  ipPrefixCount?: number;
  connectionTracking?: { tcpEstablishedTimeout?: number; udpStreamTimeout?: number; udpTimeout?: number };
  networkInterfaces?: Array<{ networkCardIndex: number; deviceIndex: number; interfaceType: string }>;
}

function connectionTracking(
  ct: NetworkInterfaceSpec["connectionTracking"],
): NetworkInterface["ConnectionTrackingSpecification"] {
  if (
    !ct ||
    (ct.tcpEstablishedTimeout === undefined && ct.udpStreamTimeout === undefined && ct.udpTimeout === undefined)
  )
    return undefined;
  return {
    TcpEstablishedTimeout: ct.tcpEstablishedTimeout,
    UdpStreamTimeout: ct.udpStreamTimeout,
    UdpTimeout: ct.udpTimeout,
  };
}

/** The interface's address fields for the cluster's IP family (Karpenter's ipCounts with no per-interface counts). */
function ipFields(spec: NetworkInterfaceSpec, family: ClusterIPFamily): NetworkInterface {
  return family === "IPv6"
    ? { Ipv6PrefixCount: spec.ipPrefixCount, PrimaryIpv6: true, Ipv6AddressCount: 1 }
    : { Ipv4PrefixCount: spec.ipPrefixCount };
}

/** Drops undefined fields, so the launch template (and its content-hash name) only says what is set. */
function compact(ni: NetworkInterface): NetworkInterface {
  return Object.fromEntries(Object.entries(ni).filter(([, v]) => v !== undefined)) as NetworkInterface;
}

export function networkInterfaces(
  spec: NetworkInterfaceSpec,
  securityGroupIds: string[],
  efaCount = 0,
  family: ClusterIPFamily = "IPv4",
): NetworkInterface[] {
  const groups = [...securityGroupIds].sort();
  const ct = connectionTracking(spec.connectionTracking);
  if (spec.networkInterfaces?.length)
    return spec.networkInterfaces.map((ni) => {
      const full = ni.interfaceType !== "efa-only";
      return compact({
        NetworkCardIndex: ni.networkCardIndex,
        DeviceIndex: ni.deviceIndex,
        InterfaceType: ni.interfaceType,
        Groups: groups,
        ...(full ? ipFields(spec, family) : {}),
        AssociatePublicIpAddress: full ? spec.associatePublicIPAddress : undefined,
        ConnectionTrackingSpecification: full ? ct : undefined,
      });
    });
  if (efaCount > 0)
    return Array.from({ length: efaCount }, (_, i) =>
      compact({
        NetworkCardIndex: i,
        DeviceIndex: i === 0 ? 0 : 1,
        InterfaceType: "efa",
        ...ipFields(spec, family),
        Groups: groups,
        AssociatePublicIpAddress: spec.associatePublicIPAddress,
        ConnectionTrackingSpecification: ct,
      }),
    );
  return [
    compact({
      AssociatePublicIpAddress: spec.associatePublicIPAddress,
      DeviceIndex: 0,
      ...ipFields(spec, family),
      Groups: groups,
      ConnectionTrackingSpecification: ct,
    }),
  ];
}

/** The NodeClaim's requested EFA devices (Karpenter's EFACount). */
export function requestedEfa(requests: Record<string, string | number> | undefined): number {
  const v = Number(requests?.["vpc.amazonaws.com/efa"] ?? 0);
  return Number.isInteger(v) && v > 0 ? v : 0;
}
