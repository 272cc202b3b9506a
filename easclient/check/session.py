"""One whole check: the network steps, the EAS steps, and the optional heartbeat probe."""

from __future__ import annotations

from collections.abc import Callable

from easclient.protocol import EasHTTPError, OptionsBlocked, VersionError

from .client_cert import client_cert_step
from .context import CheckContext, CheckOptions
from .device import CheckDevice
from .eas_steps import EAS_STEPS, FALLBACK_VERSION, close_device
from .ntlm_step import fresh_connection, ntlm_step
from .probe_step import probe_step
from .proxy_step import direct_steps_optional, proxy_step
from .report import Report
from .runner import NETWORK_STEPS, run_steps
from .target import Target
from .token_step import token_step


def check_url(
    target: Target,
    options: CheckOptions,
    *,
    resolver: Callable[[str, int], list[str]] | None = None,
    report: Report | None = None,
) -> Report:
    """Check ``target`` from here, as a device would reach it."""
    ctx = CheckContext(target, options, resolver=resolver)
    # The mutual-TLS step goes after OPTIONS: it costs a connection, which only a client
    # certificate or an OPTIONS with no HTTP answer (a server demanding one) calls for.
    steps = [
        *NETWORK_STEPS,
        proxy_step,
        token_step,
        EAS_STEPS[0],
        client_cert_step,
        *EAS_STEPS[1:-1],
        fresh_connection,  # NTLM: the Ping goes out on a new connection (no row)
        EAS_STEPS[-1],
        ntlm_step,
    ]
    if options.probe_heartbeat:
        steps.append(probe_step)
    try:
        done = run_steps(ctx, steps, report)
        direct_steps_optional(ctx, done.steps)
        return done
    finally:
        close_device(ctx)


def protocol_version(target: Target, options: CheckOptions) -> str:
    """The version to use: from OPTIONS, or the fallback when a proxy blocks OPTIONS."""
    device = CheckDevice(target, options)
    try:
        return device.client.version
    except (OptionsBlocked, VersionError):
        return FALLBACK_VERSION
    except EasHTTPError as exc:
        if exc.status_code in (403, 405, 501):
            return FALLBACK_VERSION
        raise
    finally:
        device.close()
