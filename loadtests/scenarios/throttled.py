"""The server throttles: HTTP 503 with Retry-After (MS-ASHTTP 3.1.5.2.3). Devices must wait at
least Retry-After before trying again, and not all come back in the same instant."""

from easclient.load.scenario import Scenario

SCENARIO = Scenario(
    name="throttled",
    description="503 + Retry-After on a share of requests; devices back off, no herd",
    profiles={"android": 0.5, "iphone": 0.5},
    deliveries_per_device_per_minute=2.0,
    faults=(
        {
            "action": "http_status",
            "status": 503,
            "retry_after": 1,
            "throttle_reason": "CommandFrequency",
            "probability": 0.2,
        },
    ),
)
