"""Devices driven from asyncio: the loop stays free while Pings are parked."""

import asyncio
import time

from easclient.client import BasicAuth, DeviceState, EasClient, HttpxTransport, get_profile
from easclient.client.aio import AsyncEasClient
from easclient.client.heartbeat import FixedHeartbeat, PingOutcome


def test_two_devices_ping_concurrently_and_one_is_woken(eas_mock_server, tmp_path):
    alice, bob = eas_mock_server.users[:2]

    def factory(user, n):
        def make():
            p = get_profile("iphone")
            tr = HttpxTransport(eas_mock_server.url, auth=BasicAuth(user.name, user.password))
            st = DeviceState(tmp_path / f"{n}.sqlite3")
            client = EasClient(
                tr, user=user.name, profile=p, device_id=p.device_id(user.name), state=st,
                heartbeat=FixedHeartbeat(3),
            )  # fmt: skip
            return client, (tr, st)

        return make

    async def main():
        a = await AsyncEasClient.create(factory(alice, 1))
        b = await AsyncEasClient.create(factory(bob, 2))
        async with a, b:
            await asyncio.gather(a.sync_all_mail(), b.sync_all_mail())
            ticks = 0

            async def ticker():
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.05)
                    ticks += 1

            async def deliver_later():
                await asyncio.sleep(0.5)
                await asyncio.to_thread(eas_mock_server.control.deliver, alice.name, 1)

            tick = asyncio.create_task(ticker())
            started = time.monotonic()
            ra, rb, _ = await asyncio.gather(a.ping(), b.ping(), deliver_later())
            elapsed = time.monotonic() - started
            tick.cancel()
            return ra, rb, elapsed, ticks

    ra, rb, elapsed, ticks = asyncio.run(main())
    assert ra.outcome is PingOutcome.CHANGES and ra.seconds < 2.5
    assert rb.outcome is PingOutcome.NO_CHANGES and rb.seconds >= 2.5
    assert elapsed < 6  # the two Pings were parked at the same time, not one after the other
    assert ticks >= 20  # and the event loop kept running meanwhile
