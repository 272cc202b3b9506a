"""Ping (MS-ASCMD 2.2.1.13) on the server side: really waits, wakes at once on a change."""

from __future__ import annotations

from easclient.protocol.ping import PingRequest, PingResponse
from easclient.protocol.status import PingStatus

from .config import Quirk
from .context import Answer, Context
from .waiting import wait_for_changes


def _answer(ctx: Context, response: PingResponse) -> Answer:
    ctx.state.stats.ping_results[int(response.status)] += 1
    return Answer(element=response.to_element(ctx.version))


async def handle_ping(ctx: Context) -> Answer:
    """Ping, with the personality's heartbeat bounds and its cache of folders and heartbeat.

    Status 3: nothing cached for an empty Ping (or, Z-Push, a cached heartbeat out of range);
    5: heartbeat out of bounds (the bound is sent back); 6: too many folders; 7: a folder the
    mailbox does not have; 2: changes (at once, or when they arrive); 1: the heartbeat ended.
    """
    request = PingRequest.from_body(ctx.element)
    ctx.element = None  # not needed while parked
    personality = ctx.state.personality
    device, box = ctx.device, ctx.mailbox
    requested = tuple(f.id for f in request.folders)
    if request.heartbeat_interval is not None:
        bound = personality.check_heartbeat(request.heartbeat_interval)
        if bound is not None:
            if personality.cache_out_of_range:
                device.ping_heartbeat = request.heartbeat_interval
                if requested:
                    device.ping_folders = requested
            if Quirk.PING_STATUS5_HELD in personality.quirks and bound == personality.heartbeat_max:
                # SOGo: it waits out its maximum before saying the heartbeat was too long.
                await wait_for_changes(ctx, (), bound, lambda: False)
            return _answer(
                ctx, PingResponse(PingStatus.InvalidHeartbeatInterval, heartbeat_interval=bound)
            )
        heartbeat: int | None = request.heartbeat_interval
    else:
        heartbeat = device.ping_heartbeat
    folder_ids = requested or device.ping_folders
    if heartbeat is None or not folder_ids:
        return _answer(ctx, PingResponse(PingStatus.MissingParameters))
    if (
        request.is_empty
        and personality.empty_ping_out_of_range_status3
        and personality.check_heartbeat(heartbeat) is not None
    ):
        return _answer(ctx, PingResponse(PingStatus.MissingParameters))
    if len(folder_ids) > personality.max_folders:
        return _answer(
            ctx, PingResponse(PingStatus.TooManyFolders, max_folders=personality.max_folders)
        )
    folders = [f for f in (box.folder(fid) for fid in folder_ids) if f is not None]
    if len(folders) != len(folder_ids):  # one is unknown
        return _answer(ctx, PingResponse(PingStatus.FolderHierarchySyncRequired))
    device.ping_heartbeat = heartbeat
    device.ping_folders = tuple(folder_ids)

    unconfirmed = Quirk.PING_UNCONFIRMED_SYNCKEY in personality.quirks

    def changed() -> list[str]:
        return [
            f.server_id
            for f in folders
            if device.folder_has_changes(box, f, unconfirmed=unconfirmed)
        ]

    found = changed()
    if not found:
        result = await wait_for_changes(ctx, folders, heartbeat, lambda: bool(changed()))
        found = changed() if result else []
    if not found:
        return _answer(ctx, PingResponse(PingStatus.HeartbeatExpired))
    for fid in found:  # reported: folders the device never synced start from here
        if fid in device.ping_baseline:
            device.ping_baseline[fid] = box.folders[fid].modseq
    return _answer(ctx, PingResponse(PingStatus.ChangesOccurred, folders=tuple(found)))
