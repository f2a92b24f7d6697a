"""The emulator's spot market: moto's DescribeSpotPriceHistory answers 0.00001 dated 2006, so it is replaced by
prices derived from the on-demand table (spot_price). Imported by moto_server.py."""
import datetime
import hashlib
import json
import time

_prices = {"onDemand": {}, "regionFactor": {}, "region": "us-east-1"}


def configure(region, prices_file=None):
    """The region the market is in and the on-demand table (sandbox/data: onDemand[region][type], regionFactor)."""
    _prices["region"] = region
    if prices_file:
        with open(prices_file, encoding="utf-8") as f:
            data = json.load(f)
        _prices["onDemand"] = data.get("onDemand", {})
        _prices["regionFactor"] = data.get("regionFactor", {})


def on_demand_types():
    """The instance types the on-demand table prices in the market's region (us-east-1's when it has none)."""
    return set(_prices["onDemand"].get(_prices["region"]) or _prices["onDemand"].get("us-east-1", {}))


def on_demand_price(instance_type):
    by_region = _prices["onDemand"].get(_prices["region"])
    if by_region and instance_type in by_region:
        return by_region[instance_type]
    base = _prices["onDemand"].get("us-east-1", {}).get(instance_type)
    if base is None:
        return None
    return base * _prices["regionFactor"].get(_prices["region"], 1.1)


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
