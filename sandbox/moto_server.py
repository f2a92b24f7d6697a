#!/usr/bin/env python3
"""Runs moto (EC2/SQS/SSM/IAM) in-process on 127.0.0.1 and seeds it like the EKS cluster of the Karpenter
getting-started guide, so capsicum's AWS provider can be exercised through its real SDK code paths.

Usage: moto_server.py --port P --cluster-name NAME [--state-file F] [--k8s-versions 1.33,1.34]

Prints one JSON line {"ready": true, "endpoint": ..., ...} on stdout once seeded; the same JSON goes to --state-file.

Why in-process: moto refuses PutParameter under /aws/... (as AWS does) and ships no EKS-optimized AMI
parameters, so they are inserted into the SSM backend directly; and moto's CreateFleet never reports
InsufficientInstanceCapacity, so a fault-injection side endpoint (POST /_capsicum/faults on the same port)
makes CreateFleet answer with a real-shaped `Errors` entry for chosen (instance type, zone[, capacity type]).
"""
import argparse
import datetime
import json
import os
import signal
import sys
import threading

# Dummy credentials for the boto3 client that seeds moto through its own API.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
EKS_AMI_OWNER = "602401143452"  # the account Amazon publishes EKS-optimized AMIs from in us-east-1
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
# Two dated AL2023 releases per arch, so `al2023@latest` and `al2023@v20250101` resolve to different images.
AMI_RELEASES = [("v20250101", datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)),
                ("v20250301", datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc))]
ARCHES = {"x86_64": "x86_64", "arm64": "arm64"}  # SSM path segment -> EC2 Architecture

# --- fault injection -------------------------------------------------------------------------------
_faults_lock = threading.Lock()
_faults: list = []  # [{"instanceType": str, "zone": str, "capacityType": "spot"|"on-demand"|None}]


def _fault_for(instance_type, zone, lifecycle):
    with _faults_lock:
        for f in _faults:
            if f.get("instanceType") not in (None, "*", instance_type):
                continue
            if f.get("zone") not in (None, "*", zone):
                continue
            if f.get("capacityType") not in (None, "*", lifecycle):
                continue
            return f
    return None


def install_fleet_faults():
    """Wraps moto's CreateFleet so overrides matching an injected fault are not launched and are reported in
    the response's `Errors` list exactly as EC2 reports InsufficientInstanceCapacity for an instant fleet."""
    from moto.ec2.models.fleets import FleetsBackend
    from moto.ec2.responses.fleets import Fleets
    from moto.core.responses import ActionResult

    original_backend = FleetsBackend.create_fleet

    def create_fleet(self, on_demand_options, spot_options, target_capacity_specification, launch_template_configs,
                     excess_capacity_termination_policy, replace_unhealthy_instances,
                     terminate_instances_with_expiration, fleet_type, valid_from, valid_until, tag_specifications):
        lifecycle = (target_capacity_specification or {}).get("DefaultTargetCapacityType") or "on-demand"
        errors = []
        kept_configs = []
        for config in launch_template_configs or []:
            overrides = config.get("Overrides") or []
            kept = []
            for o in overrides:
                zone = o.get("AvailabilityZone")
                if not zone and o.get("SubnetId"):
                    try:
                        zone = self.get_subnet(o["SubnetId"]).availability_zone
                    except Exception:  # unknown subnet: let moto raise its own error later
                        zone = None
                fault = _fault_for(o.get("InstanceType"), zone, lifecycle)
                if fault is None:
                    kept.append(o)
                    continue
                code = fault.get("errorCode") or "InsufficientInstanceCapacity"
                errors.append({
                    "LaunchTemplateAndOverrides": {
                        "LaunchTemplateSpecification": config.get("LaunchTemplateSpecification", {}),
                        "Overrides": o,
                    },
                    "Lifecycle": lifecycle,
                    "ErrorCode": code,
                    "ErrorMessage": fault.get("errorMessage") or
                    f"We currently do not have sufficient {o.get('InstanceType')} capacity in the Availability Zone "
                    f"you requested ({zone}). Our system will be working on provisioning additional capacity.",
                })
            if overrides and not kept:
                continue
            kept_configs.append({**config, "Overrides": kept} if overrides else config)
        tcs = dict(target_capacity_specification or {})
        if not kept_configs:
            # Nothing launchable: an instant fleet with no instances and only errors, as EC2 answers.
            tcs = {**tcs, "TotalTargetCapacity": "0", "SpotTargetCapacity": "0", "OnDemandTargetCapacity": "0"}
        fleet = original_backend(self, on_demand_options, spot_options, tcs, kept_configs,
                                 excess_capacity_termination_policy, replace_unhealthy_instances,
                                 terminate_instances_with_expiration, fleet_type, valid_from, valid_until,
                                 tag_specifications)
        fleet.capsicum_errors = errors
        # moto launches fleet spot capacity through spot requests without marking the instances as spot;
        # EC2 reports InstanceLifecycle=spot for them, which is how a provider tells spot from on-demand.
        for req in getattr(fleet, "spot_requests", []):
            inst = getattr(req, "instance", None)
            if inst is not None:
                inst.lifecycle = "spot"
                _apply_template(self, inst, req.launch_spec)
        for item in getattr(fleet, "on_demand_instances", []):
            _apply_template(self, item["instance"], item.get("launch_spec"))
        return fleet

    def _apply_template(backend, inst, launch_spec):
        # moto's fleet path ignores the template's SecurityGroupIds / MetadataOptions / IamInstanceProfile;
        # EC2 applies them, and drift checks and IMDS assertions read them back from DescribeInstances.
        spec = getattr(launch_spec, "launch_template_spec", None) or {}
        if not spec.get("LaunchTemplateId"):
            return
        try:
            data = backend.get_launch_template(spec["LaunchTemplateId"]).get_version(spec.get("Version", "1")).data
        except Exception:  # noqa: BLE001
            return
        if data.get("SecurityGroupIds"):
            backend.modify_instance_security_groups(inst.id, list(data["SecurityGroupIds"]))
        md = data.get("MetadataOptions") or {}
        if md:
            backend.modify_instance_metadata_options(
                inst.id, http_tokens=md.get("HttpTokens", "optional"), hop_limit=md.get("HttpPutResponseHopLimit", 1),
                http_endpoint=md.get("HttpEndpoint", "enabled"), http_protocol=md.get("HttpProtocolIpv6", "disabled"),
                metadata_tags=md.get("InstanceMetadataTags", "disabled"))
        profile = data.get("IamInstanceProfile") or {}
        if profile.get("Name") or profile.get("Arn"):
            inst.iam_instance_profile = profile

    FleetsBackend.create_fleet = create_fleet

    original_response = Fleets.create_fleet

    def create_fleet_response(self):
        result = original_response(self)
        fleet_id = result.result.get("FleetId") if isinstance(result.result, dict) else None
        fleet = self.ec2_backend.get_fleet(fleet_id) if fleet_id else None
        errors = getattr(fleet, "capsicum_errors", None) if fleet else None
        if errors:
            return ActionResult({**result.result, "Errors": errors})
        return result

    Fleets.create_fleet = create_fleet_response


def faults_middleware(app):
    """WSGI middleware serving /_capsicum/faults: GET lists, POST {"insufficientCapacity": [...]} adds,
    DELETE clears. Everything else goes to moto."""

    def handler(environ, start_response):
        if environ.get("PATH_INFO") != "/_capsicum/faults":
            return app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                items = body.get("insufficientCapacity", [])
                if not isinstance(items, list):
                    raise ValueError("insufficientCapacity must be a list")
            except Exception as e:  # noqa: BLE001
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [json.dumps({"error": f"bad fault body: {e}; expected "
                                             '{"insufficientCapacity":[{"instanceType":..,"zone":..}]}'}).encode()]
            with _faults_lock:
                _faults.extend(items)
        elif method == "DELETE":
            with _faults_lock:
                _faults.clear()
        with _faults_lock:
            out = json.dumps({"insufficientCapacity": list(_faults)}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [out]

    return handler


# --- seeding ---------------------------------------------------------------------------------------
def seed(endpoint, cluster, k8s_versions):
    import boto3
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.amis import Ami
    from moto.ec2.utils import random_ami_id
    from moto.ssm.models import ssm_backends, Parameter

    def client(svc):
        return boto3.client(svc, endpoint_url=endpoint, region_name=REGION)

    discovery = [{"Key": "karpenter.sh/discovery", "Value": cluster}]
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": discovery + [
        {"Key": "Name", "Value": f"eksctl-{cluster}-cluster/VPC"}]}])["Vpc"]
    vpc_id = vpc["VpcId"]
    subnets = []
    for i, zone in enumerate(ZONES):
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

    # EKS-optimized AL2023 AMIs: created in the EC2 backend (RegisterImage cannot set owner/arch/date),
    # then published through the SSM parameters the al2023 alias resolves through.
    backend = ec2_backends[ACCOUNT][REGION]
    ssm_params = ssm_backends[ACCOUNT][REGION]._parameters
    amis = []
    for k8s in k8s_versions:
        for arch, ec2_arch in ARCHES.items():
            newest = None
            for version, created in AMI_RELEASES:
                name = f"amazon-eks-node-al2023-{arch}-standard-{k8s}-{version}"
                ami = Ami(backend, random_ami_id(), name=name, description=f"EKS-optimized Kubernetes node based on Amazon Linux 2023, (k8s: {k8s}, containerd: 1.7.*)",
                          owner_id=EKS_AMI_OWNER, owner_alias="amazon", public=True, virtualization_type="hvm",
                          architecture=ec2_arch, creation_date=created, hypervisor="xen", root_device_type="ebs",
                          root_device_name="/dev/xvda", boot_mode="uefi-preferred")
                backend.amis[ami.id] = ami
                path = f"/aws/service/eks/optimized-ami/{k8s}/amazon-linux-2023/{arch}/standard/{name}/image_id"
                _put_param(ssm_params, Parameter, path, ami.id, created)
                amis.append({"id": ami.id, "name": name, "arch": ec2_arch, "k8s": k8s, "version": version,
                             "creationDate": created.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
                newest = (ami, created)
            recommended = f"/aws/service/eks/optimized-ami/{k8s}/amazon-linux-2023/{arch}/standard/recommended/image_id"
            _put_param(ssm_params, Parameter, recommended, newest[0].id, newest[1])

    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=cluster)["QueueUrl"]
    return {
        "clusterName": cluster, "region": REGION, "accountId": ACCOUNT, "vpcId": vpc_id, "subnets": subnets,
        "securityGroups": security_groups, "roleName": role_name, "instanceProfile": role_name, "amis": amis,
        "k8sVersions": k8s_versions, "queueName": cluster, "queueUrl": queue_url,
    }


def _put_param(params, Parameter, name, value, when):
    params[name].append(Parameter(account_id=ACCOUNT, name=name, value=value, parameter_type="String",
                                  description=None, allowed_pattern=None, keyid=None, last_modified_date=when,
                                  version=len(params[name]) + 1, data_type="aws:ec2:image"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cluster-name", required=True)
    ap.add_argument("--state-file")
    ap.add_argument("--exit-on-stdin-eof", action="store_true",
                    help="exit when stdin closes (the parent died); use with a piped stdin")
    ap.add_argument("--k8s-versions", default="1.33,1.34", help="comma-separated Kubernetes minors to publish AMIs for")
    args = ap.parse_args()

    try:
        from werkzeug.serving import make_server
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    except ImportError as e:
        print(f"capsicum: moto is not installed in this Python ({sys.executable}): {e}. Fix: npm run cluster:build",
              file=sys.stderr)
        sys.exit(2)

    install_fleet_faults()
    app = faults_middleware(DomainDispatcherApplication(create_backend_app))
    try:
        server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    except OSError as e:
        print(f"capsicum: cannot listen on 127.0.0.1:{args.port} ({e}); pick a free port", file=sys.stderr)
        sys.exit(3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{args.port}"

    state = seed(endpoint, args.cluster_name, [v.strip() for v in args.k8s_versions.split(",") if v.strip()])
    state = {"ready": True, "endpoint": endpoint, "faultsEndpoint": f"{endpoint}/_capsicum/faults", **state}
    if args.state_file:
        with open(args.state_file, "w", encoding="utf-8") as f:
            json.dump(state, f, indent=2)
    print(json.dumps(state), flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    # Exit when the parent goes away too (stdin closes), so a killed harness never leaves moto behind.
    if args.exit_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
