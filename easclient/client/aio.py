"""Driving a device from asyncio.

The flows are synchronous (httpx's sync client, which gevent can patch for locust). From asyncio,
:class:`AsyncEasClient` runs one device on its own worker thread: the :class:`EasClient`, its
transport and its SQLite state are created and used on that thread only, so the event loop never
blocks on a parked Ping and SQLite never sees a second thread. Many devices means many threads —
fine for tens to hundreds of devices; for thousands use the load tests' gevent users.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .device import EasClient, PingReport, SyncReport

T = TypeVar("T")


class AsyncEasClient:
    """An :class:`EasClient` behind awaitable methods (one worker thread per device)."""

    def __init__(self, executor: ThreadPoolExecutor, client: EasClient, closers: list) -> None:
        self._executor = executor
        self.client = client
        self._closers = closers

    @classmethod
    async def create(
        cls, factory: Callable[[], EasClient | tuple[EasClient, Iterable[Any]]]
    ) -> AsyncEasClient:
        """Build the device on its worker thread. ``factory`` returns the client, or the client
        and the things to close afterwards (its transport and state)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eas-device")
        loop = asyncio.get_running_loop()
        try:
            made = await loop.run_in_executor(executor, factory)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        if isinstance(made, tuple):
            client, closers = made[0], list(made[1])
        else:
            client, closers = made, []
        return cls(executor, client, closers)

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def options(self):
        return await self._run(self.client.options)

    async def provision(self) -> int | None:
        return await self._run(self.client.provision)

    async def folder_sync(self) -> tuple[int, int]:
        return await self._run(self.client.folder_sync)

    async def sync_all_mail(self) -> SyncReport:
        return await self._run(self.client.sync_all_mail)

    async def ping(
        self, heartbeat: int | None = None, folder_ids: Iterable[str] | None = None
    ) -> PingReport:
        return await self._run(self.client.ping, heartbeat, folder_ids)

    async def ping_step(self) -> PingReport:
        return await self._run(self.client.ping_step)

    async def aclose(self) -> None:
        """Close what the factory handed over (on the worker thread), then the thread."""

        def close_all() -> None:
            for thing in self._closers:
                thing.close()

        try:
            await self._run(close_all)
        finally:
            self._executor.shutdown(wait=False)

    async def __aenter__(self) -> AsyncEasClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
