"""Seeds moto like the EKS cluster of the Karpenter getting-started guide (VPC, subnets, security group, node role,
EKS-optimized AMIs and their SSM parameters, the interruption queue), and the EKS cluster describing the sandbox
apiserver (POST /_capsicum/eks). Imported by moto_server.py, which runs moto in-process."""
import datetime
import json

ACCOUNT = "123456789012"  # moto's default account
EKS_AMI_OWNER = "602401143452"  # the account Amazon publishes EKS-optimized AMIs from
BOTTLEROCKET_OWNER = "092701018921"  # the account Bottlerocket AMIs are published from
WINDOWS_OWNER = "801119661308"  # amazon's Windows AMI account
# Two dated AL2023 releases per arch, so `al2023@latest` and `al2023@v20250101` resolve to different images.
AMI_RELEASES = [("v20250101", datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)),
                ("v20250301", datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc))]
ARCHES = {"x86_64": "x86_64", "arm64": "arm64"}  # SSM path segment -> EC2 Architecture


def seed(endpoint, region, cluster, k8s_versions, zone_count):
    """The getting-started EKS cluster's AWS side: VPC, subnets per zone, the cluster security group, the node
    role and instance profile, EKS-optimized AMIs with their SSM parameters, a placement group of each strategy,
    and the interruption queue."""
    import boto3
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.amis import Ami
    from moto.ec2.utils import random_ami_id
    from moto.ssm.models import ssm_backends, Parameter

    def client(svc):
        return boto3.client(svc, endpoint_url=endpoint, region_name=region)

    discovery = [{"Key": "karpenter.sh/discovery", "Value": cluster}]
    ec2 = client("ec2")
    available = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]
                       if z.get("ZoneType", "availability-zone") == "availability-zone" and z.get("State") == "available")
    if zone_count > len(available):
        raise SystemExit(f"capsicum: SANDBOX_ZONES={zone_count} but {region} has {len(available)} zones "
                         f"({', '.join(available)}); pick at most {len(available)}")
    zones = available[:zone_count]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": discovery + [
        {"Key": "Name", "Value": f"eksctl-{cluster}-cluster/VPC"}]}])["Vpc"]
    vpc_id = vpc["VpcId"]
    subnets = []
    for i, zone in enumerate(zones):
        s = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i * 32}.0/19", AvailabilityZone=zone, TagSpecifications=[
            {"ResourceType": "subnet", "Tags": discovery + [
                {"Key": "Name", "Value": f"eksctl-{cluster}-cluster/SubnetPrivate{zone[-1].upper()}"},
                {"Key": "kubernetes.io/role/internal-elb", "Value": "1"}]}])["Subnet"]
        subnets.append({"id": s["SubnetId"], "zone": s["AvailabilityZone"], "zoneID": s.get("AvailabilityZoneId", "")})
    sg_name = f"eks-cluster-sg-{cluster}"
    sg = ec2.create_security_group(GroupName=sg_name, Description=f"EKS cluster security group for {cluster}",
                                   VpcId=vpc_id, TagSpecifications=[{"ResourceType": "security-group", "Tags": discovery + [
                                       {"Key": "Name", "Value": sg_name}]}])
    security_groups = [{"id": sg["GroupId"], "name": sg_name}]

    iam = client("iam")
    role_name = f"KarpenterNodeRole-{cluster}"
    iam.create_role(RoleName=role_name, Path="/", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    for policy in ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly",
                   "AmazonSSMManagedInstanceCore"]:
        try:
            iam.attach_role_policy(RoleName=role_name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
        except Exception:  # noqa: BLE001 - moto may not ship every managed policy; the role is what matters
            pass
    iam.create_instance_profile(InstanceProfileName=role_name)
    iam.add_role_to_instance_profile(InstanceProfileName=role_name, RoleName=role_name)

    # EKS-optimized AMIs (AL2023, Bottlerocket, Windows): created in the EC2 backend (RegisterImage cannot set
    # owner/arch/date), then published through the SSM parameters each Karpenter alias resolves through.
    # No AL2 images: Amazon publishes none for Kubernetes 1.33 and later.
    backend = ec2_backends[ACCOUNT][region]
    ssm_params = ssm_backends[ACCOUNT][region]._parameters
    amis = []

    def image(name, family, owner, arch, created, k8s, version, platform=None, description=""):
        ami = Ami(backend, random_ami_id(), name=name, description=description, owner_id=owner, owner_alias="amazon",
                  public=True, virtualization_type="hvm", architecture=arch, creation_date=created, hypervisor="xen",
                  root_device_type="ebs", root_device_name="/dev/sda1" if platform == "windows" else "/dev/xvda",
                  boot_mode="uefi-preferred", platform=platform)
        backend.amis[ami.id] = ami
        amis.append({"id": ami.id, "name": name, "family": family, "arch": arch, "k8s": k8s, "version": version,
                     "creationDate": created.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
        return ami

    for k8s in k8s_versions:
        for arch, ec2_arch in ARCHES.items():
            newest = None
            for version, created in AMI_RELEASES:
                name = f"amazon-eks-node-al2023-{arch}-standard-{k8s}-{version}"
                ami = image(name, "al2023", EKS_AMI_OWNER, ec2_arch, created, k8s, version, description=
                            f"EKS-optimized Kubernetes node based on Amazon Linux 2023, (k8s: {k8s}, containerd: 1.7.*)")
                path = f"/aws/service/eks/optimized-ami/{k8s}/amazon-linux-2023/{arch}/standard/{name}/image_id"
                _put_param(ssm_params, Parameter, path, ami.id, created)
                newest = (ami, created)
            recommended = f"/aws/service/eks/optimized-ami/{k8s}/amazon-linux-2023/{arch}/standard/recommended/image_id"
            _put_param(ssm_params, Parameter, recommended, newest[0].id, newest[1])
            # Bottlerocket: /aws/service/bottlerocket/aws-k8s-<k8s>/<arch>/{latest,<version>}/image_id
            br_newest = None
            for version, created in AMI_RELEASES:
                br_version = "1.30.0" if version == AMI_RELEASES[0][0] else "1.32.0"
                name = f"bottlerocket-aws-k8s-{k8s}-{arch}-v{br_version}-deadbeef"
                ami = image(name, "bottlerocket", BOTTLEROCKET_OWNER, ec2_arch, created, k8s, br_version,
                            description=f"bottlerocket-aws-k8s-{k8s}-{arch}-v{br_version}")
                _put_param(ssm_params, Parameter, f"/aws/service/bottlerocket/aws-k8s-{k8s}/{arch}/{br_version}/image_id",
                           ami.id, created)
                br_newest = (ami, created)
            _put_param(ssm_params, Parameter, f"/aws/service/bottlerocket/aws-k8s-{k8s}/{arch}/latest/image_id",
                       br_newest[0].id, br_newest[1])
        # Windows (x86_64 only): /aws/service/ami-windows-latest/Windows_Server-<v>-English-Core-EKS_Optimized-<k8s>/image_id
        for win in ("2019", "2022", "2025"):
            created = AMI_RELEASES[-1][1]
            name = f"Windows_Server-{win}-English-Core-EKS_Optimized-{k8s}-2025.03.12"
            ami = image(name, f"windows{win}", WINDOWS_OWNER, "x86_64", created, k8s, "2025.03.12", platform="windows",
                        description=f"Microsoft Windows Server {win} Core optimized for EKS and Kubernetes {k8s}")
            _put_param(ssm_params, Parameter,
                       f"/aws/service/ami-windows-latest/Windows_Server-{win}-English-Core-EKS_Optimized-{k8s}/image_id",
                       ami.id, created)

    # Two images a user built from the EKS AL2 recipe (owned by this account, so no EKS-optimized name): Karpenter's
    # examples/v1 al2-custom-ami.yaml and custom-family.yaml select exactly these ids. The node agent tells their
    # bootstrap from the user data, as such an image runs whatever its user data says.
    for custom_id, arch in (("ami-123", "x86_64"), ("ami-456", "arm64")):
        ami = Ami(backend, custom_id, name=f"my-team-eks-node-{arch}-2025.03", description="custom EKS node image",
                  owner_id=ACCOUNT, public=False, virtualization_type="hvm", architecture=arch,
                  creation_date=AMI_RELEASES[-1][1], hypervisor="xen", root_device_type="ebs",
                  root_device_name="/dev/xvda", boot_mode="uefi-preferred")
        backend.amis[ami.id] = ami
        amis.append({"id": ami.id, "name": ami.name, "family": "custom", "arch": arch, "k8s": "", "version": "",
                     "creationDate": AMI_RELEASES[-1][1].strftime("%Y-%m-%dT%H:%M:%S.000Z")})

    # One placement group of each strategy, named after the cluster (placementGroupSelector by name or id).
    placement_groups = []
    for strategy, extra in (("cluster", {}), ("partition", {"PartitionCount": 3}), ("spread", {"SpreadLevel": "rack"})):
        g = ec2.create_placement_group(GroupName=f"{cluster}-{strategy}", Strategy=strategy, **extra)["PlacementGroup"]
        placement_groups.append({"name": g["GroupName"], "id": g["GroupId"], "strategy": strategy,
                                 **({"partitionCount": g["PartitionCount"]} if strategy == "partition" else {})})

    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=cluster)["QueueUrl"]
    return {
        "clusterName": cluster, "region": region, "zones": zones, "accountId": ACCOUNT, "vpcId": vpc_id,
        "subnets": subnets,
        "securityGroups": security_groups, "roleName": role_name, "instanceProfile": role_name, "amis": amis,
        "k8sVersions": k8s_versions, "queueName": cluster, "queueUrl": queue_url, "placementGroups": placement_groups,
    }


# What seed() returned: seed_eks() gives a new EKS cluster the seeded subnets and security group.
seeded: dict = {}


def seed_eks(region, cluster, body):
    """The EKS cluster CLUSTER_NAME, describing the sandbox apiserver: endpoint, CA (base64 PEM, as EKS returns
    certificateAuthority.data), Kubernetes version and service CIDR. Created through moto's backend, then the
    fields moto invents (endpoint, CA) are set to the real ones."""
    from moto.eks.models import eks_backends
    for key in ("endpoint", "certificateAuthority", "version", "serviceIpv4Cidr"):
        if not body.get(key):
            raise ValueError(f"{key} is required")
    cluster = body.get("name") or cluster  # another cluster in the same emulator (a test's own)
    backend = eks_backends[ACCOUNT][region]
    existing = backend.clusters.get(cluster)
    if existing is None:
        vpc = {"subnetIds": [s["id"] for s in seeded.get("subnets", [])],
               "securityGroupIds": [g["id"] for g in seeded.get("securityGroups", [])],
               "endpointPublicAccess": True, "endpointPrivateAccess": True}
        existing = backend.create_cluster(
            name=cluster, role_arn=f"arn:aws:iam::{ACCOUNT}:role/eksctl-{cluster}-cluster-ServiceRole",
            resources_vpc_config=vpc, version=body["version"],
            kubernetes_network_config={"serviceIpv4Cidr": body["serviceIpv4Cidr"], "ipFamily": "ipv4"},
            tags={"karpenter.sh/discovery": cluster})
    existing.endpoint = body["endpoint"]
    existing.certificate_authority = {"data": body["certificateAuthority"]}
    existing.version = body["version"]
    existing.kubernetes_network_config = {"serviceIpv4Cidr": body["serviceIpv4Cidr"], "ipFamily": "ipv4"}
    return {"name": cluster, "arn": existing.arn, "endpoint": existing.endpoint, "version": existing.version}


def _put_param(params, Parameter, name, value, when):
    params[name].append(Parameter(account_id=ACCOUNT, name=name, value=value, parameter_type="String",
                                  description=None, allowed_pattern=None, keyid=None, last_modified_date=when,
                                  version=len(params[name]) + 1, data_type="aws:ec2:image"))
