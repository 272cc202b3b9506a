"""docs/library.md shows the library in one page; every python block in it runs here, in order,
against a mock server (the page's ``server``), and any ``test_`` function a block defines is
called with this test's fixtures, as pytest would."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "library.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_every_example_of_the_library_page_runs(eas_mock_server, eas_client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    fixtures = {"eas_mock_server": eas_mock_server, "eas_client": eas_client}
    namespace: dict[str, object] = {"server": eas_mock_server}
    called = []
    for number, block in enumerate(blocks, 1):
        before = set(namespace)
        exec(compile(block, f"{PAGE.name}, python block {number}", "exec"), namespace)
        for name in sorted(set(namespace) - before):
            function = namespace[name]
            if name.startswith("test_") and callable(function):
                wanted = inspect.signature(function).parameters
                function(**{parameter: fixtures[parameter] for parameter in wanted})
                called.append(name)
    assert called == ["test_a_new_mail_reaches_the_device"]
