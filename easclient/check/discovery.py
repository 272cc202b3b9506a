"""`eas check EMAIL`: Autodiscover as the first steps of the report, one per candidate tried, then
a summary step that the rest of the check depends on (MS-ASCMD 2.2.1.1; RCA's order)."""

from __future__ import annotations

from easclient.client.discover import Attempt, DiscoveryResult

from .report import Result, Step


def _seen(a: Attempt) -> str:
    parts = []
    if a.dns:
        parts.append(f"DNS {a.dns}")
    if a.tls:
        parts.append(f"TLS {a.tls}")
    if a.http_status is not None:
        parts.append(f"HTTP {a.http_status}")
    parts.append(a.outcome)
    return f"{a.method} {a.url}: " + "; ".join(parts)


def autodiscover_steps(result: DiscoveryResult) -> list[Step]:
    """One step per candidate (the winner passes; the others are shown as skipped: trying
    past them is the normal course), then ``autodiscover``: pass with the URL, or fail."""
    steps = [
        Step(
            f"autodiscover-{i}",
            f"Autodiscover {a.kind}",
            Result.PASS if a.ok else Result.SKIP,
            _seen(a),
            seconds=a.seconds,
            required=False,
            data=a.to_dict(),
        )
        for i, a in enumerate(result.attempts, 1)
    ]
    data = {"email": result.email, "url": result.url, "addresses": result.addresses}
    if result.url is not None:
        via = result.winner.kind if result.winner else "?"
        hops = len(result.addresses) - 1
        redirected = f", after {hops} address redirect(s)" if hops else ""
        steps.append(
            Step(
                "autodiscover",
                "Autodiscover",
                Result.PASS,
                f"{result.url} (via {via}, {len(result.attempts)} candidate(s) tried{redirected})",
                seconds=0.0,
                data=data,
            )
        )
    else:
        steps.append(
            Step(
                "autodiscover",
                "Autodiscover",
                Result.FAIL,
                f"no ActiveSync URL for {result.email}: {result.reason} "
                f"({len(result.attempts)} candidate(s) tried)",
                why="Devices set up from an e-mail address find the server through Autodiscover; "
                "without an answer they ask the user for the server name.",
                fix="Publish https://autodiscover.DOMAIN/autodiscover/autodiscover.xml (or a DNS "
                "SRV record _autodiscover._tcp.DOMAIN) answering MobileSync requests; or give "
                "eas check the server's URL.",
                seconds=0.0,
                data=data,
            )
        )
    return steps
