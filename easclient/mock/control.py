"""The control API under ``/_mock/`` (the server side; :mod:`easclient.mock.control_client` is
the client).

Every call needs the control token (``Authorization: Bearer <token>``), printed when the server
starts. Calls:

``POST /_mock/deliver``   ``{"user", "folder" (id or name, default Inbox), "count", "subject"}``
                          -> ``{"messages": [{"server_id", "folder_id", "subject",
                          "delivered_at"}]}``
``GET/POST/DELETE /_mock/faults``  list, add (a rule or a list), clear; ``DELETE
                          /_mock/faults/{id}`` removes one
``GET /_mock/stats``      requests per command, HTTP statuses, parked Pings, deliveries, faults
``POST /_mock/wipe``      ``{"user", "device_id", "account_only"}``: flag a device for remote wipe
``GET /_mock/devices``    devices seen, per user (ids, provisioning and wipe state)
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from easclient.errors import excerpt

from .faults import FaultError
from .mailbox import INBOX_ID
from .state import MockState


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class _NotFound(Exception):
    """A control call names something the mock does not have: answered 404."""


def control_routes(state: MockState) -> list[Route]:
    token = state.config.control_token.encode()

    def authorized(request: Request) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(value.strip().encode(), token)

    def guarded(fn):
        async def endpoint(request: Request):
            if not authorized(request):
                return _error(401, "control token required (Authorization: Bearer <token>)")
            try:
                return await fn(request)
            except _NotFound as e:
                return _error(404, str(e))
            except FaultError as e:
                return _error(400, str(e))
            except (ValueError, TypeError, KeyError, OverflowError) as e:
                return _error(400, f"bad request: {excerpt(str(e), 200)}")

        endpoint.__name__ = fn.__name__
        return endpoint

    async def body(request: Request) -> Any:
        raw = await request.body()
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"the body is not JSON: {e}") from None
        except RecursionError:
            raise ValueError("the JSON body is nested too deeply") from None

    async def user_body(request: Request) -> tuple[dict, Any]:
        """The JSON object of a per-user call, and the user it names."""
        data = await body(request)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        name = data.get("user", "")
        user = state.store.user(name) if isinstance(name, str) else None
        if user is None:
            raise _NotFound(f"no such user {excerpt(name)}")
        return data, user

    async def deliver(request: Request):
        data, user = await user_body(request)
        box = state.store.mailbox(user)
        folder_ref = data.get("folder", INBOX_ID)
        if not isinstance(folder_ref, str | int) or isinstance(folder_ref, bool):
            raise ValueError(f"folder must be an id or a name, got {excerpt(folder_ref)}")
        folder_ref = str(folder_ref)
        folder = box.folder(folder_ref) or next(
            (f for f in box.folders.values() if f.display_name.lower() == folder_ref.lower()), None
        )
        if folder is None:
            return _error(404, f"no such folder {excerpt(folder_ref)}")
        count = data.get("count", 1)
        # An integer only: 1e999 is inf in JSON, and int(inf) raises OverflowError.
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10_000:
            raise ValueError(f"count must be an integer within 1..10000, got {excerpt(count)}")
        subject = data.get("subject")
        if subject is not None and not isinstance(subject, str):
            raise ValueError(f"subject must be a string, got {excerpt(subject)}")
        delivered_at = time.time()
        messages = state.store.deliver(user, folder.server_id, count, subject)
        state.stats.deliveries += count
        return JSONResponse(
            {
                "messages": [
                    {
                        "server_id": m.server_id,
                        "folder_id": folder.server_id,
                        "subject": m.subject,
                        "delivered_at": delivered_at,
                    }
                    for m in messages
                ]
            }
        )

    async def faults(request: Request):
        if request.method == "GET":
            return JSONResponse({"faults": [f.to_dict() for f in state.faults.rules]})
        if request.method == "DELETE":
            state.faults.clear()
            return JSONResponse({"faults": []})
        added = state.faults.add_many(await body(request))
        return JSONResponse({"faults": [f.to_dict() for f in added]})

    async def fault_one(request: Request):
        rule_id = int(request.path_params["rule_id"])
        if not state.faults.remove(rule_id):
            return _error(404, f"no fault rule {rule_id}")
        return JSONResponse({"removed": rule_id})

    async def stats(request: Request):
        return JSONResponse(state.stats.to_dict())

    async def wipe(request: Request):
        data, user = await user_body(request)
        device_id = data["device_id"]
        if not isinstance(device_id, str) or not device_id:
            raise ValueError(f"device_id must be a non-empty string, got {excerpt(device_id)}")
        device = state.devices.get(user.name, device_id)
        if data.get("account_only"):
            device.account_only_wipe = True
        else:
            device.remote_wipe = True
        device.wiped = False
        return JSONResponse({"user": user.name, "device_id": device.device_id, "pending": True})

    async def devices(request: Request):
        out: dict[str, list] = {}
        for user, dev in state.devices.all():
            out.setdefault(user, []).append(
                {
                    "device_id": dev.device_id,
                    "device_type": dev.device_type,
                    "provisioned": dev.policy_key is not None,
                    "remote_wipe_pending": dev.remote_wipe or dev.account_only_wipe,
                    "wiped": dev.wiped,
                    "ping_heartbeat": dev.ping_heartbeat,
                    "ping_folders": list(dev.ping_folders or ()),
                    "parked": dev.parked is not None and not dev.parked.done(),
                }
            )
        return JSONResponse({"devices": out})

    return [
        Route("/_mock/deliver", guarded(deliver), methods=["POST"]),
        Route("/_mock/faults", guarded(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_mock/faults/{rule_id:int}", guarded(fault_one), methods=["DELETE"]),
        Route("/_mock/stats", guarded(stats), methods=["GET"]),
        Route("/_mock/wipe", guarded(wipe), methods=["POST"]),
        Route("/_mock/devices", guarded(devices), methods=["GET"]),
    ]
