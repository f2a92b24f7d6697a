"""DescribeInstanceStatus as EC2 answers it, plus impaired instances on demand. moto reports every running
instance `ok` and ignores the status filters (instance-status.status, system-status.status, event.code), so a
filtered call returns every instance; here the filters apply, and an instance can be made impaired:
POST /_capsicum/faults {"impairInstances": [{"instanceId": "i-..", "category": "instanceStatus"|"systemStatus"|"event",
"eventCode": "instance-retirement", "impairedSince": "<ISO 8601>"}]} (DELETE /_capsicum/faults heals them all)."""
import datetime
import threading

_lock = threading.Lock()
# instance id -> {"instanceStatus": since, "systemStatus": since, "events": [code, ...]}
_impaired: dict = {}
CATEGORIES = ("instanceStatus", "systemStatus", "event")
EVENT_CODES = ("instance-reboot", "system-reboot", "system-maintenance", "instance-retirement", "instance-stop")


def validate(entries):
    if not isinstance(entries, list):
        raise ValueError("impairInstances must be a list")
    for e in entries:
        if not isinstance(e, dict) or not str(e.get("instanceId", "")).startswith("i-"):
            raise ValueError('each impairInstances entry needs an "instanceId"')
        if e.get("category") not in CATEGORIES:
            raise ValueError(f'impairInstances "category" must be one of {", ".join(CATEGORIES)}')
        if e["category"] == "event" and e.get("eventCode", "instance-retirement") not in EVENT_CODES:
            raise ValueError(f'impairInstances "eventCode" must be one of {", ".join(EVENT_CODES)}')


def impair(entries):
    now = datetime.datetime.now(datetime.timezone.utc)
    with _lock:
        for e in entries:
            cur = _impaired.setdefault(e["instanceId"], {"events": []})
            if e["category"] == "event":
                cur["events"].append(e.get("eventCode") or "instance-retirement")
            else:
                since = e.get("impairedSince")
                cur[e["category"]] = datetime.datetime.fromisoformat(since.replace("Z", "+00:00")) if since else now


def clear():
    with _lock:
        _impaired.clear()


def state():
    with _lock:
        return [{"instanceId": i, **{k: (v.isoformat() if isinstance(v, datetime.datetime) else v)
                                     for k, v in s.items()}} for i, s in _impaired.items()]


def _check(instance, category, original):
    with _lock:
        since = _impaired.get(instance.id, {}).get(category)
    if since is None or instance.state_code != 16:
        return original
    return {"Status": "impaired", "Details": [{"Name": "reachability", "Status": "failed", "ImpairedSince": since}]}


def _events(instance):
    with _lock:
        codes = list(_impaired.get(instance.id, {}).get("events", []))
    return [{"Code": c, "Description": f"The instance is scheduled for {c}", "NotBefore": datetime.datetime.now(
        datetime.timezone.utc)} for c in codes]


def _passes(instance, filters):
    for f in filters or []:
        name, values = f["name"], f["values"]
        if name == "instance-status.status" and instance.instance_status.get("Status") not in values:
            return False
        if name == "system-status.status" and instance.system_status.get("Status") not in values:
            return False
        if name == "event.code" and not {e["Code"] for e in instance.events} & set(values):
            return False
    return True


def install():
    from moto.ec2.models.instances import Instance, InstanceBackend

    instance_status = Instance.instance_status.fget
    system_status = Instance.system_status.fget
    Instance.instance_status = property(lambda self: _check(self, "instanceStatus", instance_status(self)))
    Instance.system_status = property(lambda self: _check(self, "systemStatus", system_status(self)))
    Instance.events = property(_events)
    original = InstanceBackend.describe_instance_status

    def describe_instance_status(self, instance_ids, include_all_instances, filters):
        return [i for i in original(self, instance_ids, include_all_instances, filters) if _passes(i, filters)]

    InstanceBackend.describe_instance_status = describe_instance_status
