"""EC2 placement groups for the emulator: moto 5.2 has none.

Through the EC2 API, as AWS answers them: CreatePlacementGroup (cluster / partition with PartitionCount, default 2,
at most 7 / spread with SpreadLevel, default rack), DescribePlacementGroups (GroupIds / GroupNames, an unknown one
is InvalidPlacementGroup.Unknown; filters state / strategy / group-name / spread-level / tag:K / tag-key) and
DeletePlacementGroup. A CreateFleet whose launch template has Placement.GroupId / GroupName launches into the group:
DescribeInstances reports the group's name and id and, in a partition group, the partition (the template's
PartitionNumber, else the least-used one, as EC2 spreads them). EC2's refusals are kept: an unknown group, a
partition number beyond the group's, a cluster group's second zone (InsufficientInstanceCapacity: it cannot span
zones), a spread group's eighth instance in a zone.
"""
import threading
import uuid

from moto_terminate import on_terminate

_lock = threading.Lock()
_groups: dict = {}  # name -> EC2 PlacementGroup shape
_members: dict = {}  # instance id -> (group name, zone, partition or None)

SPREAD_LIMIT_PER_ZONE = 7
SPREAD_LIMIT_MESSAGE = ("You've reached the limit of instances in this spread placement group. A spread placement "
                        "group can have up to seven instances per Availability Zone.")


def _find(ref):
    """The group a Placement names (GroupId or GroupName), else None."""
    gid, name = ref.get("GroupId"), ref.get("GroupName")
    if name:
        return _groups.get(name)
    return next((g for g in _groups.values() if g["GroupId"] == gid), None) if gid else None


def _matches(g, filters):
    for name, values in filters.items():
        field = {"state": "State", "strategy": "Strategy", "group-name": "GroupName", "group-id": "GroupId",
                 "spread-level": "SpreadLevel"}.get(name)
        if field and g.get(field) not in values:
            return False
        if name == "tag-key" and not any(t["Key"] in values for t in g["Tags"]):
            return False
        if name.startswith("tag:") and not any(t["Key"] == name[4:] and t["Value"] in values for t in g["Tags"]):
            return False
    return True


def create(region, account, name, strategy, partition_count=None, spread_level=None, tags=None):
    if not name or strategy not in ("cluster", "partition", "spread"):
        raise ValueError("GroupName and a Strategy of cluster, partition or spread are required")
    gid = "pg-" + uuid.uuid4().hex[:17]
    g = {"GroupName": name, "GroupId": gid, "Strategy": strategy, "State": "available",
         "GroupArn": f"arn:aws:ec2:{region}:{account}:placement-group/{name}", "Tags": list(tags or [])}
    if strategy == "partition":
        g["PartitionCount"] = int(partition_count or 2)
    if strategy == "spread":
        g["SpreadLevel"] = spread_level or "rack"
    with _lock:
        if name in _groups:
            raise KeyError(name)
        _groups[name] = g
    return dict(g)


def install(region_of, account):
    from moto.ec2.responses import EC2Response
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError

    def create_placement_group(self):
        count = self._get_param("PartitionCount")
        strategy = self._get_param("Strategy")
        if strategy == "partition" and count is not None and not 1 <= int(count) <= 7:
            raise EC2ClientError("InvalidParameterValue", "PartitionCount must be between 1 and 7")
        tags = []
        for spec in self._get_param("TagSpecifications", []) or []:
            if spec.get("ResourceType") == "placement-group":
                tags += [{"Key": t["Key"], "Value": t.get("Value", "")} for t in spec.get("Tags", [])]
        name = self._get_param("GroupName")
        try:
            g = create(region_of(), account, name, strategy, count, self._get_param("SpreadLevel"), tags)
        except KeyError:
            raise EC2ClientError("InvalidPlacementGroup.Duplicate", f"The Placement Group '{name}' already exists.")
        except ValueError as e:
            raise EC2ClientError("InvalidParameterValue", str(e))
        return ActionResult({"PlacementGroup": g})

    def describe_placement_groups(self):
        ids = self._get_param("GroupIds", []) or []
        names = self._get_param("GroupNames", []) or []
        filters = self._filters_from_querystring()
        with _lock:
            for n in names:
                if n not in _groups:
                    raise EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{n}' is unknown.")
            for i in ids:
                if not any(g["GroupId"] == i for g in _groups.values()):
                    raise EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{i}' is unknown.")
            found = [dict(g) for g in _groups.values()
                     if (not names or g["GroupName"] in names) and (not ids or g["GroupId"] in ids)
                     and _matches(g, filters)]
        return ActionResult({"PlacementGroups": found})

    def delete_placement_group(self):
        name = self._get_param("GroupName")
        with _lock:
            if name not in _groups:
                raise EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")
            if any(m[0] == name for m in _members.values()):
                raise EC2ClientError("InvalidPlacementGroup.InUse", f"The placement group '{name}' is in use.")
            del _groups[name]
        return ActionResult({})

    EC2Response.create_placement_group = create_placement_group
    EC2Response.describe_placement_groups = describe_placement_groups
    EC2Response.delete_placement_group = delete_placement_group
    on_terminate(_release_members)


def _release_members(instance_ids):
    with _lock:
        for iid in instance_ids:
            _members.pop(iid, None)


def fleet_fault(placement, zone):
    """The EC2 error for an override the template's Placement cannot launch (see the module doc), else None."""
    if not placement or not (placement.get("GroupId") or placement.get("GroupName")):
        return None
    with _lock:
        g = _find(placement)
        if g is None or g["State"] != "available":
            ref = placement.get("GroupName") or placement.get("GroupId")
            return {"errorCode": "InvalidPlacementGroup.Unknown", "errorMessage": f"The Placement Group '{ref}' is unknown."}
        members = [m for m in _members.values() if m[0] == g["GroupName"]]
        part = placement.get("PartitionNumber")
        if g["Strategy"] == "partition" and part is not None and not 1 <= int(part) <= g["PartitionCount"]:
            return {"errorCode": "InvalidParameterValue",
                    "errorMessage": f"Partition number {part} exceeds the partition count of '{g['GroupName']}'"}
        if g["Strategy"] == "cluster" and members and zone and any(m[1] != zone for m in members):
            return {"errorCode": "InsufficientInstanceCapacity",
                    "errorMessage": f"Cluster placement group '{g['GroupName']}' is in another Availability Zone."}
        if g["Strategy"] == "spread" and zone and sum(1 for m in members if m[1] == zone) >= SPREAD_LIMIT_PER_ZONE:
            return {"errorCode": "InsufficientInstanceCapacity", "errorMessage": SPREAD_LIMIT_MESSAGE}
    return None


def assign(inst, placement):
    """Puts a launched instance into the group its template's Placement names (DescribeInstances reads it back)."""
    if not placement or not (placement.get("GroupId") or placement.get("GroupName")):
        return
    with _lock:
        g = _find(placement)
        if g is None:
            return
        partition = None
        if g["Strategy"] == "partition":
            partition = placement.get("PartitionNumber")
            if partition is None:
                used = [m[2] for m in _members.values() if m[0] == g["GroupName"]]
                partition = min(range(1, g["PartitionCount"] + 1), key=lambda p: (used.count(p), p))
            partition = int(partition)
        _members[inst.id] = (g["GroupName"], inst.placement.zone, partition)
    inst.placement.group_name = g["GroupName"]
    inst.placement.group_id = g["GroupId"]
    if partition is not None:
        inst.placement.partition_number = partition
