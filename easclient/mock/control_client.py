"""A blocking client for the mock's control API (:mod:`easclient.mock.control`): deliver mail,
set faults, read statistics and devices, flag a remote wipe. Tests, ``eas check`` and locust use
it."""

from __future__ import annotations

from typing import Any

import httpx

from easclient.errors import EasError

from .mailbox import INBOX_ID

#: A JSON object as the control API sends and takes it.
JSON = dict[str, Any]


def _list(value: Any) -> list[JSON]:
    return list(value)


class ControlError(EasError):
    """The control API refused a call (the message is the server's; ``value`` the HTTP status)."""


class ControlClient:
    """A blocking client for the control API (tests, ``eas check``, locust)."""

    def __init__(self, url: str, token: str, *, verify: object = True, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,  # type: ignore[arg-type]
            timeout=timeout,
        )

    def _call(self, method: str, path: str, payload: object = None) -> JSON:
        resp = self._client.request(method, path, json=payload)
        if resp.status_code != 200:
            try:
                message = resp.json().get("error", resp.text)
            except ValueError:
                message = resp.text
            raise ControlError(
                f"{method} {path}: HTTP {resp.status_code}: {str(message)[:200]}",
                value=resp.status_code,
            )
        answer: JSON = resp.json()
        return answer

    def deliver(
        self, user: str, count: int = 1, folder: str = INBOX_ID, subject: str | None = None
    ) -> list[JSON]:
        payload: JSON = {"user": user, "count": count, "folder": folder}
        if subject is not None:
            payload["subject"] = subject
        return _list(self._call("POST", "/_mock/deliver", payload)["messages"])

    def add_faults(self, *rules: JSON) -> list[JSON]:
        return _list(self._call("POST", "/_mock/faults", list(rules))["faults"])

    def add_fault(self, **rule: object) -> JSON:
        return self.add_faults(rule)[0]

    def faults(self) -> list[JSON]:
        return _list(self._call("GET", "/_mock/faults")["faults"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/_mock/faults")

    def remove_fault(self, rule_id: int) -> None:
        self._call("DELETE", f"/_mock/faults/{rule_id}")

    def stats(self) -> JSON:
        return self._call("GET", "/_mock/stats")

    def devices(self) -> JSON:
        devices: JSON = self._call("GET", "/_mock/devices")["devices"]
        return devices

    def wipe(self, user: str, device_id: str, account_only: bool = False) -> JSON:
        return self._call(
            "POST",
            "/_mock/wipe",
            {"user": user, "device_id": device_id, "account_only": account_only},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
