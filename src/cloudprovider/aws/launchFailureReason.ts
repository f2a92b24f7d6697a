// The reason a CreateFleet error is counted under (karpenter_cloudprovider_instance_launch_failures_total), as
// Karpenter AWS v1.14 names it (pkg/errors ToReasonMessage): matched on the error code and message, the first rule
// that applies wins, "LaunchFailed" when none does.
const RULES: Array<[test: (s: string) => boolean, reason: string]> = [
  [(s) => s.includes("AuthFailure.ServiceLinkedRoleCreationNotPermitted"), "SpotSLRCreationFailed"],
  [
    (s) => /UnauthorizedOperation|AccessDenied|AuthFailure/.test(s) && s.includes("Not authorized for images"),
    "AMIAuthorizationFailure",
  ],
  [(s) => /UnauthorizedOperation|AccessDenied|AuthFailure/.test(s), "Unauthorized"],
  [
    (s) => s.includes("InvalidParameter") && s.includes("belong to different networks"),
    "SecurityGroupSubnetVPCMismatch",
  ],
  [(s) => s.includes("iamInstanceProfile.name is invalid"), "InstanceProfileNameInvalid"],
  [(s) => s.includes("InvalidLaunchTemplateId.NotFound"), "LaunchTemplateNotFound"],
  [(s) => s.includes("User data is limited to"), "UserDataSizeLimitExceeded"],
  [(s) => s.includes("InvalidAMIID.Malformed"), "InvalidAMIID"],
  [(s) => s.includes("InvalidAMIID.NotFound"), "AMINotFound"],
  [(s) => s.includes("RequestLimitExceeded"), "RequestLimitExceeded"],
  [(s) => s.includes("InternalError"), "InternalError"],
  [(s) => s.includes("not eligible for Free Tier"), "FreeTierIneligible"],
  [(s) => s.includes("MaxFleetCountExceeded"), "FleetQuotaExceeded"],
  [(s) => s.includes("PendingVerification"), "AccountPendingVerification"],
  [(s) => s.includes("MaxSpotInstanceCountExceeded"), "SpotQuotaExceeded"],
  [(s) => s.includes("VcpuLimitExceeded"), "VCPULimitExceeded"],
  [(s) => s.includes("InsufficientFreeAddressesInSubnet"), "InsufficientFreeAddressesInSubnet"],
];

/** `code: message` of a CreateFleet error → Karpenter's reason label. */
export function launchFailureReason(codeAndMessage: string): string {
  return RULES.find(([test]) => test(codeAndMessage))?.[1] ?? "LaunchFailed";
}
