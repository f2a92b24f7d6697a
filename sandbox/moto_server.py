#!/usr/bin/env python3
"""Runs moto (EC2/SQS/SSM/IAM) in-process on 127.0.0.1 and seeds it like the EKS cluster of the Karpenter
getting-started guide, so capsicum's AWS provider can be exercised through its real SDK code paths.

Usage: moto_server.py --port P --cluster-name NAME [--region R] [--zones N] [--state-file F]
                      [--k8s-versions 1.33,1.34] [--prices sandbox/data/aws.json]

Prints one JSON line {"ready": true, "endpoint": ..., ...} on stdout once seeded; the same JSON goes to --state-file.

Why in-process (each is something moto cannot be told through the AWS API):
- moto refuses PutParameter under /aws/... (as AWS does) and ships no EKS-optimized AMI parameters, so the
  AL2023, Bottlerocket and Windows parameters are inserted into the SSM backend directly;
- moto's EKS invents a random endpoint and CA: POST /_capsicum/eks points the cluster at the sandbox apiserver;
- moto's DescribeSpotPriceHistory answers 0.00001 dated 2006: it is replaced by a spot market derived from
  the on-demand table (see spot_price below);
- moto's CreateFleet never fails: /_capsicum/faults injects InsufficientInstanceCapacity, and CreateFleet
  reports `Unsupported` for a type the zone does not offer, as EC2 does;
- faults on demand (/_capsicum/faults): RequestLimitExceeded throttling, 5xx, and eventual consistency
  (a new instance missing from DescribeInstances for N seconds);
- moto has no Pricing API: sandbox/moto_pricing.py serves GetProducts from the on-demand table (--pricing-api
  serve|refuse);
- moto has no capacity reservations: sandbox/moto_reservations.py serves ODCRs and reservation-targeted
  CreateFleet launches.
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

import hashlib
import io
import time
import urllib.parse
import uuid

REGION = "us-east-1"  # replaced by --region in main()
ACCOUNT = "123456789012"  # moto's default account
EKS_AMI_OWNER = "602401143452"  # the account Amazon publishes EKS-optimized AMIs from
BOTTLEROCKET_OWNER = "092701018921"  # the account Bottlerocket AMIs are published from
WINDOWS_OWNER = "801119661308"  # amazon's Windows AMI account
# Two dated AL2023 releases per arch, so `al2023@latest` and `al2023@v20250101` resolve to different images.
AMI_RELEASES = [("v20250101", datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)),
                ("v20250301", datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc))]
ARCHES = {"x86_64": "x86_64", "arm64": "arm64"}  # SSM path segment -> EC2 Architecture

# --- fault injection -------------------------------------------------------------------------------
_faults_lock = threading.Lock()
_faults: list = []  # [{"instanceType": str, "zone": str, "capacityType": "spot"|"on-demand"|None}]
# [{"action": "CreateFleet"|"*", "count": int|None, "code": ..., "status": int}] answered before moto sees the call
_api_faults: list = []
_hide_new_instances = {"seconds": 0.0}
_instance_born: dict = {}  # instance id -> time.time() it was first launched
# The sandbox node agent stands in for the hypervisor and kubelet, which never call the EC2 API: its requests
# carry this header and are never faulted or hidden.
BYPASS_HEADER = "HTTP_X_CAPSICUM_SANDBOX_COMPONENT"


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
                    fault = moto_reservations.fleet_fault(self, config, o, zone)
                if fault is None and zone and o.get("InstanceType") and not _offered(o["InstanceType"], zone):
                    fault = {"errorCode": "Unsupported", "errorMessage":
                             "The requested configuration is currently not supported. Please check the documentation "
                             "for supported configurations."}
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
                _instance_born.setdefault(inst.id, time.time())
        for item in getattr(fleet, "on_demand_instances", []):
            _apply_template(self, item["instance"], item.get("launch_spec"))
            moto_reservations.bind(self, item["instance"], item.get("launch_spec"))
            _instance_born.setdefault(item["instance"].id, time.time())
        return fleet

    def _apply_template(backend, inst, launch_spec):
        # moto's fleet path launches without the region, so PrivateDnsName reads ec2.internal everywhere.
        inst.region_name = backend.region_name
        # moto's fleet path ignores the template's SecurityGroupIds / MetadataOptions / IamInstanceProfile;
        # EC2 applies them, and drift checks and IMDS assertions read them back from DescribeInstances.
        spec = getattr(launch_spec, "launch_template_spec", None) or {}
        if not spec.get("LaunchTemplateId"):
            return
        try:
            data = backend.get_launch_template(spec["LaunchTemplateId"]).get_version(spec.get("Version", "1")).data
        except Exception:  # noqa: BLE001
            return
        # Security groups and the public IP come from the template's primary network interface (Karpenter's
        # templates put them there), or SecurityGroupIds.
        nis = data.get("NetworkInterfaces") or []
        primary = next((n for n in nis if int(n.get("DeviceIndex") or 0) == 0 and int(n.get("NetworkCardIndex") or 0) == 0), {})
        groups = list(data.get("SecurityGroupIds") or primary.get("Groups") or [])
        if groups:
            backend.modify_instance_security_groups(inst.id, groups)
        public = primary.get("AssociatePublicIpAddress")
        if public is not None and inst.nics:
            nic = inst.nics[0]
            from moto.ec2.utils import random_public_ip
            nic.public_ip = random_public_ip() if str(public).lower() == "true" else None
        # Detailed monitoring and the placement group, as DescribeInstances reports them.
        monitoring = data.get("Monitoring") or {}
        inst.monitoring_state = "enabled" if str(monitoring.get("Enabled")).lower() == "true" else "disabled"
        placement = data.get("Placement") or {}
        if placement.get("GroupName") or placement.get("GroupId"):
            inst.placement.group_name = placement.get("GroupName") or placement.get("GroupId")
        md = data.get("MetadataOptions") or {}
        if md:
            backend.modify_instance_metadata_options(
                inst.id, http_tokens=md.get("HttpTokens", "optional"), hop_limit=md.get("HttpPutResponseHopLimit", 1),
                http_endpoint=md.get("HttpEndpoint", "enabled"), http_protocol=md.get("HttpProtocolIpv6", "disabled"),
                metadata_tags=md.get("InstanceMetadataTags", "disabled"))
        profile = data.get("IamInstanceProfile") or {}
        if profile.get("Name") or profile.get("Arn"):
            inst.iam_instance_profile = profile
        _apply_block_devices(backend, inst, data.get("BlockDeviceMappings") or data.get("BlockDeviceMapping") or [])

    def _apply_block_devices(backend, inst, bdms):
        # moto's fleet path gives every instance one 8 GiB /dev/sda1 whatever the template says; EC2 creates the
        # template's volumes, and the node agent's kubelet reports pods' storage from them.
        bdms = [b for b in (bdms.values() if isinstance(bdms, dict) else bdms) if b.get("DeviceName") and b.get("Ebs")]
        if not bdms:
            return
        truthy = lambda v, default: default if v is None else v in (True, "true", "True")  # noqa: E731
        for path, vol in list(inst.block_device_mapping.items()):
            backend.detach_volume(vol.volume_id, inst.id, path)
            backend.delete_volume(vol.volume_id)
        for b in bdms:
            ebs = b["Ebs"]
            inst.add_block_device(int(ebs.get("VolumeSize") or 8), b["DeviceName"], ebs.get("SnapshotId"),
                                  truthy(ebs.get("Encrypted"), False), truthy(ebs.get("DeleteOnTermination"), True),
                                  ebs.get("KmsKeyId"), ebs.get("VolumeType"))

    FleetsBackend.create_fleet = create_fleet

    _offerings_cache: dict = {}

    def _offered(instance_type, zone):
        if not _offerings_cache:
            from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS
            for o in INSTANCE_TYPE_OFFERINGS["availability-zone"].get(REGION, []):
                _offerings_cache.setdefault(o["Location"], set()).add(o["InstanceType"])
        offered = _offerings_cache.get(zone)
        return offered is None or instance_type in offered

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


def install_run_instances_birth():
    """Records when RunInstances launched each instance (for the eventual-consistency fault)."""
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances

    def run_instances(self, *args, **kwargs):
        reservation = original(self, *args, **kwargs)
        for inst in reservation.instances:
            _instance_born.setdefault(inst.id, time.time())
        return reservation

    InstanceBackend.run_instances = run_instances


def _bypass(response):
    try:
        return bool((response.headers or {}).get("x-capsicum-sandbox-component"))
    except Exception:  # noqa: BLE001
        return False


def install_eventual_consistency():
    """DescribeInstances, as EC2 is eventually consistent: while hideNewInstances is set, an instance younger
    than that many seconds is missing from listings, and asking for it by id answers InvalidInstanceID.NotFound
    (what Karpenter's and capsicum's launch paths must tolerate)."""
    from moto.ec2.responses.instances import InstanceResponse
    from moto.ec2.exceptions import InvalidInstanceIdError

    original = InstanceResponse.describe_instances

    def describe_instances(self):
        result = original(self)
        hide = _hide_new_instances["seconds"]
        if hide <= 0 or _bypass(self):
            return result
        now = time.time()
        hidden = {i for i, born in list(_instance_born.items()) if now - born < hide}
        if not hidden:
            return result
        asked = self._get_param("InstanceIds", [])
        missing = [i for i in asked if i in hidden]
        if missing:
            raise InvalidInstanceIdError(missing)
        kept = []
        for r in result.result["Reservations"]:
            visible = [i for i in r.instances if i.id not in hidden]
            if visible:
                import copy
                rc = copy.copy(r)
                rc.instances = visible
                kept.append(rc)
        return type(result)({**result.result, "Reservations": kept})

    InstanceResponse.describe_instances = describe_instances



# --- spot market ------------------------------------------------------------------------------------
_prices = {"onDemand": {}, "regionFactor": {}}


def on_demand_price(instance_type):
    by_region = _prices["onDemand"].get(REGION)
    if by_region and instance_type in by_region:
        return by_region[instance_type]
    base = _prices["onDemand"].get("us-east-1", {}).get(instance_type)
    if base is None:
        return None
    return base * _prices["regionFactor"].get(REGION, 1.1)


def spot_price(instance_type, zone, now):
    """A believable spot market: each (type, zone) trades at a stable 28-62 % of its on-demand price (the band
    spot history shows for current generations), moving a few percent every hour. Deterministic per hour, so
    tests and a human reading `aws ec2 describe-spot-price-history` see the same prices."""
    od = on_demand_price(instance_type)
    if od is None:
        return None
    h = int(hashlib.sha256(f"{instance_type}/{zone}".encode()).hexdigest()[:8], 16)
    base = 0.28 + (h % 3400) / 10000.0
    hour = int(now // 3600)
    wobble = (int(hashlib.sha256(f"{instance_type}/{zone}/{hour}".encode()).hexdigest()[:4], 16) % 600 - 300) / 10000.0
    return round(od * (base + wobble), 6)


def install_spot_prices():
    from moto.ec2.responses.spot_instances import SpotInstances
    from moto.core.responses import ActionResult

    def describe_spot_price_history(self):
        instance_types = self._get_param("InstanceTypes", [])
        filters = self._filters_from_querystring()
        offerings = self.ec2_backend.describe_spot_price_history(instance_types, filters)
        now = time.time()
        stamp = datetime.datetime.fromtimestamp(now - now % 3600, tz=datetime.timezone.utc)
        history = []
        for o in offerings:
            price = spot_price(o["InstanceType"], o["Location"], now)
            if price is None:
                continue
            history.append({"InstanceType": o["InstanceType"], "ProductDescription": "Linux/UNIX",
                            "SpotPrice": f"{price:.6f}", "AvailabilityZone": o["Location"], "Timestamp": stamp})
        return ActionResult({"SpotPriceHistory": history})

    SpotInstances.describe_spot_price_history = describe_spot_price_history


# --- faults on demand -------------------------------------------------------------------------------
def _action_of(environ, body):
    """The API action a request calls: EC2/IAM/SQS query `Action=`, JSON protocols' X-Amz-Target, EKS REST."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    if body:
        try:
            action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
            if action:
                return action[0]
        except Exception:  # noqa: BLE001
            pass
    path = environ.get("PATH_INFO", "")
    if path.startswith("/clusters"):
        parts = [p for p in path.split("/") if p]
        method = environ.get("REQUEST_METHOD")
        if len(parts) == 1:
            return "ListClusters" if method == "GET" else "CreateCluster"
        if len(parts) == 2:
            return {"GET": "DescribeCluster", "DELETE": "DeleteCluster"}.get(method, "")
    return ""


_ERRORS = {
    # (code, HTTP status, message) as the services answer them
    "RequestLimitExceeded": (503, "Request limit exceeded."),
    "ThrottlingException": (400, "Rate exceeded"),
    "InternalError": (500, "An internal error has occurred"),
    "Unavailable": (503, "The server is overloaded and can't handle the request."),
    "InternalServerError": (500, "An internal error has occurred"),
}


def _take_api_fault(action):
    with _faults_lock:
        for f in _api_faults:
            if f.get("action") not in ("*", action):
                continue
            if f.get("count") is not None:
                if f["count"] <= 0:
                    continue
                f["count"] -= 1
            f["hits"] = f.get("hits", 0) + 1
            return f
    return None


def _fault_response(environ, start_response, fault, action):
    json_protocol = bool(environ.get("HTTP_X_AMZ_TARGET")) or environ.get("PATH_INFO", "").startswith("/clusters")
    code = fault["code"]
    if json_protocol and code == "RequestLimitExceeded":
        code = "ThrottlingException"
    if json_protocol and code == "InternalError":
        code = "InternalServerError"
    status, message = _ERRORS.get(code, (int(fault.get("status") or 500), "An internal error has occurred"))
    if fault.get("status"):
        status = int(fault["status"])
    reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
    request_id = str(uuid.uuid4())
    if json_protocol:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id),
                   ("x-amzn-ErrorType", code)]
    else:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>").encode()
        headers = [("Content-Type", "text/xml")]
    print(f"capsicum fault: {action} -> {status} {code}", file=sys.stderr, flush=True)
    start_response(f"{status} {reason}", headers + [("Content-Length", str(len(body)))])
    return [body]


def _faults_state():
    with _faults_lock:
        return {"insufficientCapacity": list(_faults), "api": [dict(f) for f in _api_faults],
                "hideNewInstances": dict(_hide_new_instances)}


def faults_middleware(app, eks_seed):
    """WSGI middleware in front of moto:
    /_capsicum/faults  GET lists, DELETE clears, POST adds (any of):
        {"insufficientCapacity": [{"instanceType": .., "zone": .., "capacityType": ..}],
         "throttle": [{"action": "CreateFleet", "count": 3}],          # RequestLimitExceeded (JSON: ThrottlingException)
         "serverError": [{"action": "*", "count": 1, "status": 503}],   # InternalError / Unavailable
         "hideNewInstances": {"seconds": 10}}                           # DescribeInstances eventual consistency
      `count` omitted = until cleared; `action` "*" = every API call.
    /_capsicum/eks     POST {"endpoint", "certificateAuthority", "version", "serviceIpv4Cidr"[, "name"]}: the EKS
      cluster (CLUSTER_NAME, or `name`) then describes the sandbox apiserver.
    Everything else goes to moto (after any matching API fault)."""

    def bad(start_response, msg):
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [json.dumps({"error": msg}).encode()]

    def handler(environ, start_response):
        path = environ.get("PATH_INFO")
        if path == "/_capsicum/eks":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                out = eks_seed(body)
            except Exception as e:  # noqa: BLE001
                return bad(start_response, f"bad eks body: {e}")
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(out).encode()]
        if path != "/_capsicum/faults":
            if environ.get(BYPASS_HEADER) or not (_api_faults):
                return app(environ, start_response)
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(raw)
            action = _action_of(environ, raw)
            fault = _take_api_fault(action) if action else None
            if fault is not None:
                return _fault_response(environ, start_response, fault, action)
            return app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                ice = body.get("insufficientCapacity", [])
                throttle = body.get("throttle", [])
                server = body.get("serverError", [])
                hide = body.get("hideNewInstances")
                if not all(isinstance(x, list) for x in (ice, throttle, server)):
                    raise ValueError("insufficientCapacity, throttle and serverError must be lists")
                for f in throttle + server:
                    if not isinstance(f, dict) or not f.get("action"):
                        raise ValueError('each throttle/serverError entry needs an "action" (an API name or "*")')
                if hide is not None and not isinstance(hide.get("seconds"), (int, float)):
                    raise ValueError('hideNewInstances needs {"seconds": N}')
            except Exception as e:  # noqa: BLE001
                return bad(start_response, f"bad fault body: {e}; expected "
                                           '{"insufficientCapacity":[...],"throttle":[{"action":..,"count":..}],'
                                           '"serverError":[{"action":..,"status":500}],"hideNewInstances":{"seconds":N}}')
            with _faults_lock:
                _faults.extend(ice)
                for f in throttle:
                    _api_faults.append({"action": f["action"], "count": f.get("count"), "code": "RequestLimitExceeded"})
                for f in server:
                    status = int(f.get("status") or 500)
                    _api_faults.append({"action": f["action"], "count": f.get("count"), "status": status,
                                        "code": "Unavailable" if status == 503 else "InternalError"})
                if hide is not None:
                    _hide_new_instances["seconds"] = float(hide["seconds"])
        elif method == "DELETE":
            with _faults_lock:
                _faults.clear()
                _api_faults.clear()
                _hide_new_instances["seconds"] = 0.0
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(_faults_state()).encode()]

    return handler


# --- seeding ---------------------------------------------------------------------------------------
def seed(endpoint, cluster, k8s_versions, zone_count):
    import boto3
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.amis import Ami
    from moto.ec2.utils import random_ami_id
    from moto.ssm.models import ssm_backends, Parameter

    def client(svc):
        return boto3.client(svc, endpoint_url=endpoint, region_name=REGION)

    discovery = [{"Key": "karpenter.sh/discovery", "Value": cluster}]
    ec2 = client("ec2")
    available = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]
                       if z.get("ZoneType", "availability-zone") == "availability-zone" and z.get("State") == "available")
    if zone_count > len(available):
        raise SystemExit(f"capsicum: SANDBOX_ZONES={zone_count} but {REGION} has {len(available)} zones "
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
    backend = ec2_backends[ACCOUNT][REGION]
    ssm_params = ssm_backends[ACCOUNT][REGION]._parameters
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

    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=cluster)["QueueUrl"]
    return {
        "clusterName": cluster, "region": REGION, "zones": zones, "accountId": ACCOUNT, "vpcId": vpc_id,
        "subnets": subnets,
        "securityGroups": security_groups, "roleName": role_name, "instanceProfile": role_name, "amis": amis,
        "k8sVersions": k8s_versions, "queueName": cluster, "queueUrl": queue_url,
    }


_seed_state: dict = {}


def seed_eks(cluster, body):
    """The EKS cluster CLUSTER_NAME, describing the sandbox apiserver: endpoint, CA (base64 PEM, as EKS returns
    certificateAuthority.data), Kubernetes version and service CIDR. Created through moto's backend, then the
    fields moto invents (endpoint, CA) are set to the real ones."""
    from moto.eks.models import eks_backends
    for key in ("endpoint", "certificateAuthority", "version", "serviceIpv4Cidr"):
        if not body.get(key):
            raise ValueError(f"{key} is required")
    cluster = body.get("name") or cluster  # another cluster in the same emulator (a test's own)
    backend = eks_backends[ACCOUNT][REGION]
    existing = backend.clusters.get(cluster)
    if existing is None:
        vpc = {"subnetIds": [s["id"] for s in _seed_state.get("subnets", [])],
               "securityGroupIds": [g["id"] for g in _seed_state.get("securityGroups", [])],
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cluster-name", required=True)
    ap.add_argument("--state-file")
    ap.add_argument("--exit-on-stdin-eof", action="store_true",
                    help="exit when stdin closes (the parent died); use with a piped stdin")
    ap.add_argument("--k8s-versions", default="1.33,1.34", help="comma-separated Kubernetes minors to publish AMIs for")
    ap.add_argument("--region", default="us-east-1", help="the region everything is seeded in (SANDBOX_REGION)")
    ap.add_argument("--zones", type=int, default=3, help="how many of the region's zones get a subnet (SANDBOX_ZONES)")
    ap.add_argument("--prices", help="JSON with onDemand[region][type] $/h and regionFactor[region] (sandbox/data)")
    ap.add_argument("--pricing-api", default="serve", help="serve: GetProducts answers; refuse: AccessDeniedException")
    args = ap.parse_args()
    import moto_pricing
    moto_pricing.set_mode(args.pricing_api)
    global moto_reservations
    import moto_reservations
    global REGION
    REGION = args.region
    os.environ["AWS_DEFAULT_REGION"] = REGION
    if args.prices:
        with open(args.prices, encoding="utf-8") as f:
            data = json.load(f)
        _prices["onDemand"] = data.get("onDemand", {})
        _prices["regionFactor"] = data.get("regionFactor", {})

    try:
        from werkzeug.serving import make_server
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    except ImportError as e:
        print(f"capsicum: moto is not installed in this Python ({sys.executable}): {e}. Fix: npm run cluster:build",
              file=sys.stderr)
        sys.exit(2)

    install_fleet_faults()
    install_run_instances_birth()
    install_eventual_consistency()
    install_spot_prices()
    moto_reservations.install(lambda: REGION, ACCOUNT)
    priced = lambda: (REGION, set(_prices["onDemand"].get(REGION) or _prices["onDemand"].get("us-east-1", {})),  # noqa: E731
                      on_demand_price)
    moto_app = moto_pricing.pricing_app(DomainDispatcherApplication(create_backend_app), priced)
    app = faults_middleware(moto_app, lambda body: seed_eks(args.cluster_name, body))
    try:
        server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    except OSError as e:
        print(f"capsicum: cannot listen on 127.0.0.1:{args.port} ({e}); pick a free port", file=sys.stderr)
        sys.exit(3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{args.port}"

    state = seed(endpoint, args.cluster_name, [v.strip() for v in args.k8s_versions.split(",") if v.strip()], args.zones)
    _seed_state.update(state)
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
