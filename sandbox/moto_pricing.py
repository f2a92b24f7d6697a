"""The AWS Pricing API (AWSPriceListService) for the sandbox: moto does not serve it. GetProducts answers the
emulated region's Linux on-demand products, built from the same on-demand table as the spot market
(sandbox/data/aws.json, generated from ../shared/data/aws; a region without its own prices is us-east-1's times
the region's factor), filtered by the request's TERM_MATCH filters and paged by MaxResults/NextToken as AWS does.
Each instance type also has a Windows product and a reserved-but-unused one, so a client's filters matter.

`--pricing-api refuse` answers every call AccessDeniedException (a role without pricing:GetProducts, or a VPC
without a route to the Pricing API), so the client's fallback to its embedded prices can be shown; the usual
/_capsicum/faults serverError/throttle entries with action "GetProducts" apply too."""
import json
import uuid

TARGET_PREFIX = "AWSPriceListService."
_mode = {"value": "serve"}


def set_mode(mode):
    if mode not in ("serve", "refuse"):
        raise SystemExit(f'capsicum: --pricing-api "{mode}" must be serve or refuse (SANDBOX_PRICING_API)')
    _mode["value"] = mode


def _product(instance_type, region, price, os_name="Linux", capacity="Used"):
    metal = instance_type.endswith(".metal") or ".metal-" in instance_type
    family = "Compute Instance (bare metal)" if metal else "Compute Instance"
    sku = uuid.uuid5(uuid.NAMESPACE_URL, f"{region}/{instance_type}/{os_name}/{capacity}").hex[:16].upper()
    return {
        "product": {
            "productFamily": family,
            "sku": sku,
            "attributes": {
                "instanceType": instance_type, "regionCode": region, "servicecode": "AmazonEC2",
                "operatingSystem": os_name, "preInstalledSw": "NA", "capacitystatus": capacity,
                "marketoption": "OnDemand", "tenancy": "Dedicated" if metal else "Shared",
                "licenseModel": "No License required", "productFamily": family,
            },
        },
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {
            "sku": sku, "offerTermCode": "JRTCKXETXF", "effectiveDate": "2026-07-01T00:00:00Z",
            "priceDimensions": {f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                "unit": "Hrs", "description": f"${price} per On Demand {os_name} {instance_type} Instance Hour",
                "pricePerUnit": {"USD": f"{price:.10f}"}}}}}},
        "version": "20260701000000", "publicationDate": "2026-07-01T00:00:00Z",
    }


def products(region, instance_types, price_of):
    out = []
    for t in sorted(instance_types):
        p = price_of(t)
        if p is None:
            continue
        out.append(_product(t, region, p))
        out.append(_product(t, region, round(p * 1.84, 4), os_name="Windows"))
        out.append(_product(t, region, round(p * 1.0, 4), capacity="UnusedCapacityReservation"))
    return out


def _matches(doc, filters):
    attrs = {k.lower(): str(v).lower() for k, v in doc["product"]["attributes"].items()}
    for f in filters:
        if f.get("Type", "TERM_MATCH") != "TERM_MATCH":
            return False
        if attrs.get(str(f.get("Field", "")).lower()) != str(f.get("Value", "")).lower():
            return False
    return True


def _answer(start_response, status, body):
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", str(uuid.uuid4())),
               ("Content-Length", str(len(data)))]
    if status != "200 OK":
        headers.append(("x-amzn-ErrorType", body["__type"]))
    start_response(status, headers)
    return [data]


def pricing_app(app, catalog):
    """WSGI: AWSPriceListService calls are answered here; everything else goes to moto. `catalog()` returns
    (region, instance types, price function)."""
    cache = {}

    def handler(environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET") or ""
        if not target.startswith(TARGET_PREFIX):
            return app(environ, start_response)
        action = target[len(TARGET_PREFIX):]
        if _mode["value"] == "refuse":
            return _answer(start_response, "400 Bad Request", {
                "__type": "AccessDeniedException",
                "Message": "User is not authorized to perform: pricing:GetProducts (sandbox: --pricing-api refuse)"})
        if action != "GetProducts":
            return _answer(start_response, "400 Bad Request", {
                "__type": "InvalidParameterException", "Message": f"the sandbox serves GetProducts only, not {action}"})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            req = json.loads(environ["wsgi.input"].read(length) or b"{}")
            size = int(req.get("MaxResults") or 100)
            start = int(req.get("NextToken") or 0)
            if not 1 <= size <= 100:
                raise ValueError("MaxResults must be 1..100")
        except Exception as e:  # noqa: BLE001
            return _answer(start_response, "400 Bad Request", {"__type": "InvalidParameterException", "Message": str(e)})
        if req.get("ServiceCode") != "AmazonEC2":
            return _answer(start_response, "200 OK", {"FormatVersion": "aws_v1", "PriceList": []})
        if "docs" not in cache:
            region, types, price_of = catalog()
            cache["docs"] = products(region, types, price_of)
        docs = [d for d in cache["docs"] if _matches(d, req.get("Filters") or [])]
        page = docs[start:start + size]
        body = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(d) for d in page]}
        if start + size < len(docs):
            body["NextToken"] = str(start + size)
        return _answer(start_response, "200 OK", body)

    return handler
