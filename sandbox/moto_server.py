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
  the on-demand table (moto_spot.py);
- moto's CreateFleet never fails: /_capsicum/faults injects InsufficientInstanceCapacity, and CreateFleet
  reports `Unsupported` for a type the zone does not offer, as EC2 does;
- faults on demand (/_capsicum/faults): RequestLimitExceeded throttling, 5xx, and eventual consistency
  (a new instance missing from DescribeInstances for N seconds);
- moto has no Pricing API: sandbox/moto_pricing.py serves GetProducts from the on-demand table (--pricing-api
  serve|refuse);
- moto has no capacity reservations: sandbox/moto_reservations.py serves ODCRs, capacity blocks and
  reservation-targeted CreateFleet launches;
- moto has no placement groups: sandbox/moto_placement.py serves them and places fleet instances in them;
- moto's DescribeLaunchTemplates cuts the list at 15 with no NextToken: it pages as EC2 does;
- moto's DescribeInstanceStatus ignores the status filters and reports every instance `ok`: the filters apply and
  /_capsicum/faults {"impairInstances": [...]} fails an instance's checks or schedules an event on it
  (moto_instance_status.py).
"""
import argparse
import json
import os
import signal
import sys
import threading

# Dummy credentials for the boto3 client that seeds moto through its own API.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import time

# Siblings in sandbox/ (the script's directory is on sys.path): faults, seeding, the spot market.
from moto_faults import _fault_for, _hide_new_instances, faults_middleware
import moto_instance_status
from moto_seed import ACCOUNT, seed, seed_eks, seeded
from moto_spot import configure as configure_spot_market, install_spot_prices, on_demand_price, on_demand_types

REGION = "us-east-1"  # replaced by --region in main()
_instance_born: dict = {}  # instance id -> time.time() it was first launched (eventual consistency)
# EC2 decides each CreateFleet against capacity atomically; the server is threaded, so two concurrent fleets must not
# both pass a reservation's (or a spread group's) room check before either launches.
_fleet_lock = threading.Lock()


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
        # What EC2 reports as the Lifecycle of this fleet's instances and errors (its InstanceLifecycle values).
        # (capsicum's reserved-capacity fleets ask only for interruptible Capacity Reservations)
        reported = {"capacity-block": "capacity-block", "reserved-capacity": "interruptible-capacity-reservation"}.get(
            lifecycle, lifecycle)
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
                if fault is None:
                    data = moto_reservations._template_data(self, config)
                    fault = moto_placement.fleet_fault((data or {}).get("Placement"), zone)
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
                    "Lifecycle": reported,
                    "ErrorCode": code,
                    "ErrorMessage": fault.get("errorMessage") or
                    f"We currently do not have sufficient {o.get('InstanceType')} capacity in the Availability Zone "
                    f"you requested ({zone}). Our system will be working on provisioning additional capacity.",
                })
            if overrides and not kept:
                continue
            kept_configs.append({**config, "Overrides": kept} if overrides else config)
        tcs = dict(target_capacity_specification or {})
        # moto launches only on-demand and spot targets: a capacity block / interruptible reservation launch is an
        # on-demand one into the targeted reservation (moto_reservations.bind marks the instance; the response
        # reports a capacity block's Lifecycle as EC2 does, create_fleet_response).
        if tcs.get("DefaultTargetCapacityType") in ("capacity-block", "reserved-capacity"):
            tcs["DefaultTargetCapacityType"] = "on-demand"
        if not kept_configs:
            # Nothing launchable: an instant fleet with no instances and only errors, as EC2 answers.
            tcs = {**tcs, "TotalTargetCapacity": "0", "SpotTargetCapacity": "0", "OnDemandTargetCapacity": "0"}
        fleet = original_backend(self, on_demand_options, spot_options, tcs, kept_configs,
                                 excess_capacity_termination_policy, replace_unhealthy_instances,
                                 terminate_instances_with_expiration, fleet_type, valid_from, valid_until,
                                 tag_specifications)
        fleet.capsicum_errors = errors
        fleet.capsicum_lifecycle = reported
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
        moto_placement.assign(inst, data.get("Placement") or {})
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

    def create_fleet_atomically(self, *args, **kwargs):
        with _fleet_lock:
            return create_fleet(self, *args, **kwargs)

    FleetsBackend.create_fleet = create_fleet_atomically

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
        lifecycle = getattr(fleet, "capsicum_lifecycle", None) if fleet else None
        out = dict(result.result) if isinstance(result.result, dict) else None
        if out is None:
            return result
        # moto launched capacity-block and interruptible-reservation fleets as on-demand; EC2 reports each
        # instance's own lifecycle (the one moto_reservations.bind gave it).
        own = {item["instance"].id: getattr(item["instance"], "lifecycle", None)
               for item in getattr(fleet, "on_demand_instances", [])} if fleet else {}
        reserved = ("capacity-block", "interruptible-capacity-reservation")

        def reported(i):
            ids = i.get("InstanceIds") or []
            life = own.get(ids[0]) if ids else None
            if i.get("Lifecycle") == "on-demand" and (life in reserved or lifecycle == "capacity-block"):
                return {**i, "Lifecycle": life if life in reserved else lifecycle}
            return i

        if out.get("Instances"):
            out["Instances"] = [reported(i) for i in out["Instances"]]
        if errors:
            out["Errors"] = errors
        return ActionResult(out)

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


def install_launch_template_paging():
    """DescribeLaunchTemplates pages as EC2 does: MaxResults (moto's default page of 15 kept) and a NextToken for
    the rest. moto cuts the list at MaxResults and returns no NextToken, so a client that ignores paging silently
    saw only the first 15 templates; here it sees the first page and must follow NextToken, as on EC2."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.launch_templates import LaunchTemplates

    def describe_launch_templates(self):
        page_size = max(1, min(self._get_int_param("MaxResults", 15), 200))
        start = int(self._get_param("NextToken") or 0)
        self.error_on_dryrun()
        templates = self.ec2_backend.describe_launch_templates(
            template_names=self._get_param("LaunchTemplateNames", []),
            template_ids=self._get_param("LaunchTemplateIds", []),
            filters=self._filters_from_querystring(),
        )
        page = templates[start:start + page_size]
        result = {
            "LaunchTemplates": [
                {
                    "CreateTime": t.create_time,
                    "CreatedBy": f"arn:{self.partition}:iam::{self.current_account}:root",
                    "DefaultVersionNumber": t.default_version_number,
                    "LatestVersionNumber": t.latest_version_number,
                    "LaunchTemplateId": t.id,
                    "LaunchTemplateName": t.name,
                    "Tags": t.tags,
                }
                for t in page
            ]
        }
        if start + page_size < len(templates):
            result["NextToken"] = str(start + page_size)
        return ActionResult(result)

    LaunchTemplates.describe_launch_templates = describe_launch_templates


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
    global moto_reservations, moto_placement
    import moto_reservations
    import moto_placement
    global REGION
    REGION = args.region
    os.environ["AWS_DEFAULT_REGION"] = REGION
    configure_spot_market(REGION, args.prices)

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
    install_launch_template_paging()
    install_spot_prices()
    moto_instance_status.install()
    moto_reservations.install(lambda: REGION, ACCOUNT)
    moto_placement.install(lambda: REGION, ACCOUNT)
    priced = lambda: (REGION, on_demand_types(), on_demand_price)  # noqa: E731
    moto_app = moto_pricing.pricing_app(DomainDispatcherApplication(create_backend_app), priced)
    app = faults_middleware(moto_app, lambda body: seed_eks(REGION, args.cluster_name, body))
    try:
        server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    except OSError as e:
        print(f"capsicum: cannot listen on 127.0.0.1:{args.port} ({e}); pick a free port", file=sys.stderr)
        sys.exit(3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{args.port}"

    state = seed(endpoint, REGION, args.cluster_name, [v.strip() for v in args.k8s_versions.split(",") if v.strip()], args.zones)
    seeded.update(state)
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
