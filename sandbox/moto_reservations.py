"""Capacity reservations for the emulator (On-Demand Capacity Reservations and capacity blocks): moto 5.2 has none.

Through the EC2 API, as AWS answers them: CreateCapacityReservation, DescribeCapacityReservations (ids, filters
state / owner-id / instance-match-criteria / instance-type / availability-zone / tag:K / tag-key) and
CancelCapacityReservation. A CreateFleet override whose launch template targets a reservation
(CapacityReservationSpecification "capacity-reservations-only" + CapacityReservationTarget) launches into it:
the instance reads back with CapacityReservationId and that specification, the reservation's
AvailableInstanceCount drops, and when it has no room (or is not active, or is for another type / zone) the
override fails with ReservationCapacityExceeded / InvalidCapacityReservationId... as EC2 reports it. Terminating
the instance frees its slot. Capacity blocks: DescribeCapacityBlockOfferings (InstanceType, InstanceCount,
CapacityDurationHours; one offering per zone, starting now) and PurchaseCapacityBlock create a `targeted` reservation
of ReservationType `capacity-block` with its EndDate; a launch into it must say MarketType `capacity-block` (EC2
refuses otherwise) and its instance reads back with InstanceLifecycle `capacity-block`. Interruptible reservations:
CreateInterruptibleCapacityReservationAllocation lends unused instances of an active ODCR without an end date as a
`targeted` reservation with Interruptible true, whose instances read back with InstanceLifecycle
`interruptible-capacity-reservation`.
"""
import datetime
import threading
import uuid

from moto_terminate import on_terminate

_lock = threading.Lock()
_reservations: dict = {}  # id -> EC2 CapacityReservation shape (plus "_owner")
_bound: dict = {}  # instance id -> reservation id
_block_offerings: dict = {}  # capacity block offering id -> its EC2 CapacityBlockOffering shape


def _now():
    return datetime.datetime.now(tz=datetime.timezone.utc)


def _matches(r, filters):
    for name, values in filters.items():
        if name == "state" and r["State"] not in values:
            return False
        if name == "owner-id" and r["OwnerId"] not in values:
            return False
        if name == "instance-match-criteria" and r["InstanceMatchCriteria"] not in values:
            return False
        if name == "instance-type" and r["InstanceType"] not in values:
            return False
        if name == "availability-zone" and r["AvailabilityZone"] not in values:
            return False
        if name == "tag-key" and not any(t["Key"] in values for t in r["Tags"]):
            return False
        if name.startswith("tag:") and not any(t["Key"] == name[4:] and t["Value"] in values for t in r["Tags"]):
            return False
    return True


def _expire():
    """An ended reservation is `expired`; its instances keep running as plain on-demand (EC2 unbinds them)."""
    now = _now()
    for r in _reservations.values():
        end = r.get("EndDate")
        if r["State"] == "active" and end is not None and end <= now:
            r["State"] = "expired"
            r["AvailableInstanceCount"] = 0


def install(region_of, account):
    from moto.ec2.responses import EC2Response
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError

    class NotFound(EC2ClientError):
        def __init__(self, rid):
            super().__init__("InvalidCapacityReservationId.NotFound",
                             f"The capacity reservation ID '{rid}' does not exist")

    def create_capacity_reservation(self):
        count = int(self._get_param("InstanceCount") or 0)
        itype = self._get_param("InstanceType")
        zone = self._get_param("AvailabilityZone")
        if not itype or not zone or count <= 0:
            raise EC2ClientError("InvalidParameterValue",
                                 "InstanceType, AvailabilityZone and a positive InstanceCount are required")
        tags = []
        for spec in self._get_param("TagSpecifications", []) or []:
            if spec.get("ResourceType") == "capacity-reservation":
                tags += [{"Key": t["Key"], "Value": t.get("Value", "")} for t in spec.get("Tags", [])]
        end = self._get_param("EndDate")
        if isinstance(end, str):
            end = datetime.datetime.fromisoformat(end.replace("Z", "+00:00"))
        rid = "cr-" + uuid.uuid4().hex[:17]
        r = {
            "CapacityReservationId": rid, "OwnerId": account,
            "CapacityReservationArn": f"arn:aws:ec2:{region_of()}:{account}:capacity-reservation/{rid}",
            "InstanceType": itype, "InstancePlatform": self._get_param("InstancePlatform") or "Linux/UNIX",
            "AvailabilityZone": zone, "Tenancy": self._get_param("Tenancy") or "default",
            "TotalInstanceCount": count, "AvailableInstanceCount": count, "State": "active",
            "InstanceMatchCriteria": self._get_param("InstanceMatchCriteria") or "open",
            "EndDateType": "limited" if end else "unlimited", "StartDate": _now(), "CreateDate": _now(),
            "ReservationType": "default", "Tags": tags,
        }
        if end:
            r["EndDate"] = end
        with _lock:
            _reservations[rid] = r
        return ActionResult({"CapacityReservation": r})

    def describe_capacity_reservations(self):
        ids = self._get_param("CapacityReservationIds", []) or []
        filters = self._filters_from_querystring()
        with _lock:
            _expire()
            for rid in ids:
                if rid not in _reservations:
                    raise NotFound(rid)
            found = [dict(r) for r in _reservations.values()
                     if (not ids or r["CapacityReservationId"] in ids) and _matches(r, filters)]
        return ActionResult({"CapacityReservations": found})

    def cancel_capacity_reservation(self):
        rid = self._get_param("CapacityReservationId")
        with _lock:
            if rid not in _reservations:
                raise NotFound(rid)
            _reservations[rid]["State"] = "cancelled"
            _reservations[rid]["AvailableInstanceCount"] = 0
        return ActionResult({"Return": True})

    def describe_capacity_block_offerings(self):
        itype = self._get_param("InstanceType")
        count = int(self._get_param("InstanceCount") or 0)
        hours = int(self._get_param("CapacityDurationHours") or 0)
        if not itype or count <= 0 or hours <= 0 or hours % 24 and hours > 24:
            raise EC2ClientError("InvalidParameterValue", "InstanceType, a positive InstanceCount and "
                                 "CapacityDurationHours (1-24, or a multiple of 24) are required")
        start = _now().replace(microsecond=0)
        end = start + datetime.timedelta(hours=hours)
        out = []
        from moto.ec2.models import ec2_backends
        zones = sorted(z.name for z in ec2_backends[account][region_of()].describe_availability_zones())
        for zone in zones:
            oid = "cb-" + uuid.uuid4().hex[:17]
            o = {"CapacityBlockOfferingId": oid, "InstanceType": itype, "AvailabilityZone": zone,
                 "InstanceCount": count, "StartDate": start, "EndDate": end, "CapacityBlockDurationHours": hours,
                 "UpfrontFee": "0.00", "CurrencyCode": "USD", "Tenancy": "default"}
            with _lock:
                _block_offerings[oid] = o
            out.append(o)
        return ActionResult({"CapacityBlockOfferings": out})

    def purchase_capacity_block(self):
        oid = self._get_param("CapacityBlockOfferingId")
        with _lock:
            o = _block_offerings.pop(oid, None)
        if o is None:
            raise EC2ClientError("InvalidCapacityBlockOfferingId.NotFound",
                                 f"The capacity block offering ID '{oid}' does not exist")
        tags = []
        for spec in self._get_param("TagSpecifications", []) or []:
            if spec.get("ResourceType") == "capacity-reservation":
                tags += [{"Key": t["Key"], "Value": t.get("Value", "")} for t in spec.get("Tags", [])]
        rid = "cr-" + uuid.uuid4().hex[:17]
        r = {
            "CapacityReservationId": rid, "OwnerId": account,
            "CapacityReservationArn": f"arn:aws:ec2:{region_of()}:{account}:capacity-reservation/{rid}",
            "InstanceType": o["InstanceType"], "InstancePlatform": self._get_param("InstancePlatform") or "Linux/UNIX",
            "AvailabilityZone": o["AvailabilityZone"], "Tenancy": "default",
            "TotalInstanceCount": o["InstanceCount"], "AvailableInstanceCount": o["InstanceCount"], "State": "active",
            "InstanceMatchCriteria": "targeted", "EndDateType": "limited", "StartDate": o["StartDate"],
            "EndDate": o["EndDate"], "CreateDate": _now(), "ReservationType": "capacity-block", "Tags": tags,
        }
        with _lock:
            _reservations[rid] = r
        return ActionResult({"CapacityReservation": r})

    def create_interruptible_capacity_reservation_allocation(self):
        # The owner lends unused instances of an active, open-ended ODCR as an interruptible reservation of its own.
        rid = self._get_param("CapacityReservationId")
        count = int(self._get_param("InstanceCount") or 0)
        tags = []
        for spec in self._get_param("TagSpecifications", []) or []:
            tags += [{"Key": t["Key"], "Value": t.get("Value", "")} for t in spec.get("Tags", [])]
        with _lock:
            src = _reservations.get(rid)
            if src is None:
                raise NotFound(rid)
            if src["State"] != "active" or src.get("EndDate") is not None or src.get("Interruptible"):
                raise EC2ClientError("InvalidCapacityReservationId.Unsupported", f"Capacity Reservation {rid} must be "
                                     "an active Capacity Reservation without an end date")
            if count <= 0 or count > src["AvailableInstanceCount"]:
                raise EC2ClientError("InvalidParameterValue", f"InstanceCount must be between 1 and the "
                                     f"{src['AvailableInstanceCount']} available instances of {rid}")
            src["AvailableInstanceCount"] -= count
            nid = "cr-" + uuid.uuid4().hex[:17]
            _reservations[nid] = {
                **{k: v for k, v in src.items() if k not in ("Tags", "EndDate")},
                "CapacityReservationId": nid,
                "CapacityReservationArn": f"arn:aws:ec2:{region_of()}:{account}:capacity-reservation/{nid}",
                "TotalInstanceCount": count, "AvailableInstanceCount": count, "InstanceMatchCriteria": "targeted",
                "Interruptible": True, "CreateDate": _now(), "StartDate": _now(), "Tags": tags,
            }
        return ActionResult({"SourceCapacityReservationId": rid, "TargetInstanceCount": count, "Status": "active",
                             "InterruptionType": "adhoc"})

    EC2Response.create_interruptible_capacity_reservation_allocation = \
        create_interruptible_capacity_reservation_allocation
    EC2Response.describe_capacity_block_offerings = describe_capacity_block_offerings
    EC2Response.purchase_capacity_block = purchase_capacity_block
    EC2Response.create_capacity_reservation = create_capacity_reservation
    EC2Response.describe_capacity_reservations = describe_capacity_reservations
    EC2Response.cancel_capacity_reservation = cancel_capacity_reservation
    on_terminate(_release_slots)


def _release_slots(instance_ids):
    with _lock:
        for iid in instance_ids:
            rid = _bound.pop(iid, None)
            r = _reservations.get(rid) if rid else None
            if r is not None and r["State"] == "active":
                r["AvailableInstanceCount"] = min(r["TotalInstanceCount"], r["AvailableInstanceCount"] + 1)


def _template_data(backend, config):
    spec = config.get("LaunchTemplateSpecification") or {}
    try:
        if spec.get("LaunchTemplateId"):
            lt = backend.get_launch_template(spec["LaunchTemplateId"])
        else:
            lt = backend.get_launch_template_by_name(spec.get("LaunchTemplateName"))
        version = spec.get("Version") or "$Latest"
        return (lt.latest_version() if version in ("$Latest", "$Default") else lt.get_version(version)).data
    except Exception:  # noqa: BLE001 - moto raises its own error for a missing template later
        return {}


def target_of(data):
    crs = (data or {}).get("CapacityReservationSpecification") or {}
    if crs.get("CapacityReservationPreference") != "capacity-reservations-only":
        return None
    return (crs.get("CapacityReservationTarget") or {}).get("CapacityReservationId")


def fleet_fault(backend, config, override, zone):
    """The EC2 error for an override whose template targets a reservation it cannot launch into, else None."""
    data = _template_data(backend, config)
    rid = target_of(data)
    if rid is None:
        return None
    market = ((data or {}).get("InstanceMarketOptions") or {}).get("MarketType")
    with _lock:
        _expire()
        r = _reservations.get(rid)
        if r is None:
            return {"errorCode": "InvalidCapacityReservationId.NotFound",
                    "errorMessage": f"The capacity reservation ID '{rid}' does not exist"}
        if r["State"] != "active" or r["InstanceType"] != override.get("InstanceType") or r["AvailabilityZone"] != zone:
            return {"errorCode": "InvalidCapacityReservationId.Mismatch",
                    "errorMessage": f"The capacity reservation {rid} does not match the instance type and zone"}
        if (r["ReservationType"] == "capacity-block") != (market == "capacity-block"):
            return {"errorCode": "InvalidParameterCombination",
                    "errorMessage": f"Launching into {r['ReservationType']} reservation {rid} needs MarketType "
                                    f"{'capacity-block' if r['ReservationType'] == 'capacity-block' else 'unset'}"}
        if r["AvailableInstanceCount"] <= 0:
            return {"errorCode": "ReservationCapacityExceeded",
                    "errorMessage": f"The requested capacity reservation {rid} has no available capacity"}
    return None


def bind(backend, inst, launch_spec):
    """Marks a fleet instance launched from a reservation-targeting template as running in that reservation."""
    spec = getattr(launch_spec, "launch_template_spec", None) or {}
    if not spec.get("LaunchTemplateId"):
        return
    data = _template_data(backend, {"LaunchTemplateSpecification": spec})
    rid = target_of(data)
    if rid is None:
        return
    inst.CapacityReservationId = rid
    inst.CapacityReservationSpecification = {
        "CapacityReservationPreference": "capacity-reservations-only",
        "CapacityReservationTarget": {"CapacityReservationId": rid},
    }
    with _lock:
        _bound[inst.id] = rid
        r = _reservations.get(rid)
        if r is not None:
            r["AvailableInstanceCount"] = max(0, r["AvailableInstanceCount"] - 1)
            if r["ReservationType"] == "capacity-block":
                inst.lifecycle = "capacity-block"  # DescribeInstances: InstanceLifecycle capacity-block
            elif r.get("Interruptible"):
                inst.lifecycle = "interruptible-capacity-reservation"
