"""Faults on demand for the emulator: the fault state (InsufficientInstanceCapacity per type/zone/capacity type,
API faults answered before moto sees the call, new instances hidden for N seconds) and the WSGI middleware that
serves /_capsicum/faults and /_capsicum/eks and answers API faults the way each AWS protocol does. The EC2 patches
that consult the state live in moto_server.py."""
import io
import json
import sys
import threading
import urllib.parse
import uuid

import moto_instance_status

_faults_lock = threading.Lock()
_faults: list = []  # [{"instanceType": str, "zone": str, "capacityType": "spot"|"on-demand"|None}]
# [{"action": "CreateFleet"|"*", "count": int|None, "code": ..., "status": int}] answered before moto sees the call
_api_faults: list = []
_hide_new_instances = {"seconds": 0.0}
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
    # An IAM policy or SCP denying the call (also to a dry run), and a dry run EC2 would have allowed.
    "UnauthorizedOperation": (403, "You are not authorized to perform this operation."),
    "DryRunOperation": (412, "Request would have succeeded, but DryRun flag is set."),
}

# Calls whose dry run EC2 answers with DryRunOperation once authorized (moto would run CreateFleet/RunInstances).
_DRY_RUN_ACTIONS = {"CreateFleet", "RunInstances", "CreateLaunchTemplate"}


def _dry_run(raw):
    try:
        return urllib.parse.parse_qs(raw.decode("utf-8", "replace")).get("DryRun", ["false"])[0].lower() == "true"
    except Exception:  # noqa: BLE001
        return False


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
    reason = {400: "Bad Request", 403: "Forbidden", 412: "Precondition Failed", 500: "Internal Server Error",
              503: "Service Unavailable"}.get(status, "Error")
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
                "hideNewInstances": dict(_hide_new_instances), "impairInstances": moto_instance_status.state()}


def faults_middleware(app, eks_seed):
    """WSGI middleware in front of moto:
    /_capsicum/faults  GET lists, DELETE clears, POST adds (any of):
        {"insufficientCapacity": [{"instanceType": .., "zone": .., "capacityType": ..}],
         "throttle": [{"action": "CreateFleet", "count": 3}],          # RequestLimitExceeded (JSON: ThrottlingException)
         "serverError": [{"action": "*", "count": 1, "status": 503}],   # InternalError / Unavailable
         "deny": [{"action": "CreateFleet"}],                            # UnauthorizedOperation (403), dry runs too
         "hideNewInstances": {"seconds": 10},                           # DescribeInstances eventual consistency
         "impairInstances": [{"instanceId": .., "category": "instanceStatus"|"systemStatus"|"event"}]}
                                                 # DescribeInstanceStatus reports them failed (moto_instance_status.py)
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
            if environ.get(BYPASS_HEADER):
                return app(environ, start_response)
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(raw)
            dry_run = b"DryRun=" in raw and _dry_run(raw)
            if not _api_faults and not dry_run:
                return app(environ, start_response)
            action = _action_of(environ, raw)
            fault = _take_api_fault(action) if action else None
            if fault is not None:
                return _fault_response(environ, start_response, fault, action)
            if dry_run and action in _DRY_RUN_ACTIONS:
                return _fault_response(environ, start_response, {"code": "DryRunOperation"}, action)
            return app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                ice = body.get("insufficientCapacity", [])
                throttle = body.get("throttle", [])
                server = body.get("serverError", [])
                deny = body.get("deny", [])
                hide = body.get("hideNewInstances")
                impair = body.get("impairInstances", [])
                moto_instance_status.validate(impair)
                if not all(isinstance(x, list) for x in (ice, throttle, server, deny)):
                    raise ValueError("insufficientCapacity, throttle, serverError and deny must be lists")
                for f in throttle + server + deny:
                    if not isinstance(f, dict) or not f.get("action"):
                        raise ValueError('each throttle/serverError/deny entry needs an "action" (an API name or "*")')
                if hide is not None and not isinstance(hide.get("seconds"), (int, float)):
                    raise ValueError('hideNewInstances needs {"seconds": N}')
            except Exception as e:  # noqa: BLE001
                return bad(start_response, f"bad fault body: {e}; expected "
                                           '{"insufficientCapacity":[...],"throttle":[{"action":..,"count":..}],'
                                           '"serverError":[{"action":..,"status":500}],"deny":[{"action":..}],'
                                           '"hideNewInstances":{"seconds":N}}')
            with _faults_lock:
                _faults.extend(ice)
                for f in throttle:
                    _api_faults.append({"action": f["action"], "count": f.get("count"), "code": "RequestLimitExceeded"})
                for f in deny:
                    _api_faults.append({"action": f["action"], "count": f.get("count"), "code": "UnauthorizedOperation"})
                for f in server:
                    status = int(f.get("status") or 500)
                    _api_faults.append({"action": f["action"], "count": f.get("count"), "status": status,
                                        "code": "Unavailable" if status == 503 else "InternalError"})
                if hide is not None:
                    _hide_new_instances["seconds"] = float(hide["seconds"])
            moto_instance_status.impair(impair)
        elif method == "DELETE":
            with _faults_lock:
                _faults.clear()
                _api_faults.clear()
                _hide_new_instances["seconds"] = 0.0
            moto_instance_status.clear()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(_faults_state()).encode()]

    return handler
