"""The fixture captures are what scripts/make-fixtures makes today, byte for byte: a change in
the client's requests or the mock's answers shows up as a diff in fixtures/captures/ (then
rerun the script, read the diff, and commit it with the change that caused it)."""

from __future__ import annotations

import pytest

from easclient.capture.fixtures import make_fixture, stable_sync_keys
from easclient.client import PROFILES

from .conftest import FIXTURES, fixture_files


def test_one_fixture_per_profile():
    assert {p.stem for p in fixture_files()} == set(PROFILES)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_regenerated_fixture_is_identical(tmp_path, profile):
    made = make_fixture(profile, tmp_path / f"{profile}.jsonl")
    committed = (FIXTURES / f"{profile}.jsonl").read_text(encoding="utf-8")
    fresh = made.read_text(encoding="utf-8")
    if fresh != committed:
        # Name the first differing line, not two 60 kB strings.
        pairs = zip(committed.splitlines(), fresh.splitlines(), strict=False)
        first = next((i for i, (a, b) in enumerate(pairs, 1) if a != b), None)
        pytest.fail(
            f"fixtures/captures/{profile}.jsonl differs from a fresh capture at line {first} "
            "(run scripts/make-fixtures and review the diff)"
        )


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_regenerated_whole_device_fixture_is_identical(tmp_path, profile):
    made = make_fixture(profile, tmp_path / f"{profile}.jsonl", whole_device=True)
    committed = (FIXTURES / "device" / f"{profile}.jsonl").read_text(encoding="utf-8")
    assert made.read_text(encoding="utf-8") == committed, (
        f"fixtures/captures/device/{profile}.jsonl differs from a fresh capture "
        "(run scripts/make-fixtures and review the diff)"
    )


def test_stable_sync_keys_names_generations_in_order():
    text = "<SyncKey>1.9f3a</SyncKey><SyncKey>1.0bb1</SyncKey><SyncKey>2.9f3a</SyncKey>"
    assert stable_sync_keys(text) == (
        "<SyncKey>1.g1</SyncKey><SyncKey>1.g2</SyncKey><SyncKey>2.g1</SyncKey>"
    )
