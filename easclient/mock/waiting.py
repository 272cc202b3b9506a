"""Holding a request open until a watched folder changes (Ping, and Sync with Wait).

One future per parked request is registered in every folder it watches (Folder.watch); a
change resolves it at once, a timer resolves it when the heartbeat ends. A new parked request
from the same device ends the older one (the device has evidently given up on it), and, when
configured, a parked request also ends when its client goes away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from .context import Context
from .mailbox import Folder

TIMEOUT = "timeout"
SUPERSEDED = "superseded"
DISCONNECTED = "disconnected"
SHUTDOWN = "shutdown"

#: The longest wait a timer is set for (about 31 years). A personality without a maximum takes
#: any HeartbeatInterval, even 10**400 (Z-Push, whose PHP turns it into INF, waits until a
#: change); asyncio's clock is a float, so the mock waits this long instead of overflowing.
MAX_WAIT_SECONDS = 2**30


class ServerStopping(Exception):
    """The server is stopping: a parked request must not be answered as if its heartbeat had
    run its course (Ping Status 1 says "nothing changed for the whole heartbeat")."""


def _resolve(fut: asyncio.Future, value: str) -> None:
    if not fut.done():
        fut.set_result(value)


async def _watch_disconnect(receive, fut: asyncio.Future) -> None:
    # The body has been read, so the next message can only be http.disconnect.
    while not fut.done():
        message = await receive()
        if message.get("type") == "http.disconnect":
            _resolve(fut, DISCONNECTED)
            return


async def wait_for_changes(
    ctx: Context,
    folders: Iterable[Folder],
    seconds: float,
    relevant: Callable[[], bool],
) -> bool | None:
    """Wait up to ``seconds`` for a change that ``relevant()`` confirms.

    True: a relevant change; False: the time ran out; None: superseded by a newer request of
    the device, or the client went away. Raises :class:`ServerStopping` when the server stops.
    """
    if ctx.state.stopping:
        raise ServerStopping
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(max(seconds, 0), MAX_WAIT_SECONDS)
    device, stats = ctx.device, ctx.state.stats
    folders = list(folders)
    older = device.parked
    if older is not None:
        _resolve(older, SUPERSEDED)
    fut: asyncio.Future = loop.create_future()
    device.parked = fut
    watcher = None
    if ctx.receive is not None and ctx.state.config.watch_disconnects:
        watcher = loop.create_task(_watch_disconnect(ctx.receive, fut))
    stats.park()
    try:
        while True:
            for folder in folders:
                folder.watch(fut)
            timer = loop.call_later(max(0.0, deadline - loop.time()), _resolve, fut, TIMEOUT)
            try:
                reason = await fut
            finally:
                timer.cancel()
                for folder in folders:
                    folder.unwatch(fut)
            if reason == TIMEOUT:
                return False
            if reason == SHUTDOWN:
                raise ServerStopping
            if reason in (SUPERSEDED, DISCONNECTED):
                return None
            if relevant():
                return True
            # A change this device already knows of (its own, say): keep waiting.
            fut = loop.create_future()
            device.parked = fut
            if watcher is not None:
                watcher.cancel()
                watcher = loop.create_task(_watch_disconnect(ctx.receive, fut))
    finally:
        stats.unpark()
        if device.parked is fut:
            device.parked = None
        if watcher is not None and not watcher.done():
            watcher.cancel()
