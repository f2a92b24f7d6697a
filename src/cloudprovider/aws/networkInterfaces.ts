// The launch template's network interfaces, as Karpenter v1.14's generateNetworkInterfaces builds them (IPv4
// clusters): the EC2NodeClass's `networkInterfaces` when set (EFA-only interfaces get no public IP, prefixes or
// connection tracking), else one EFA interface per requested `vpc.amazonaws.com/efa` (one per network card,
// device 0 on the first card, 1 on the others), else one primary interface. Security groups always ride on the
// interfaces (never SecurityGroupIds), with `associatePublicIPAddress`, `ipPrefixCount` and `connectionTracking`.
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

/** Drops undefined fields, so the launch template (and its content-hash name) only says what is set. */
function compact(ni: NetworkInterface): NetworkInterface {
  return Object.fromEntries(Object.entries(ni).filter(([, v]) => v !== undefined)) as NetworkInterface;
}

export function networkInterfaces(
  spec: NetworkInterfaceSpec,
  securityGroupIds: string[],
  efaCount = 0,
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
        Ipv4PrefixCount: full ? spec.ipPrefixCount : undefined,
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
        Ipv4PrefixCount: spec.ipPrefixCount,
        Groups: groups,
        AssociatePublicIpAddress: spec.associatePublicIPAddress,
        ConnectionTrackingSpecification: ct,
      }),
    );
  return [
    compact({
      AssociatePublicIpAddress: spec.associatePublicIPAddress,
      DeviceIndex: 0,
      Ipv4PrefixCount: spec.ipPrefixCount,
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
