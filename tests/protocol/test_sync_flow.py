"""SyncCollectionFlow (MS-ASCMD 2.2.1.21): the window loop of one collection, fed parsed
answers, asserting the next request or the outcome."""

from __future__ import annotations

from easclient.protocol import (
    SyncAdd,
    SyncCollectionResponse,
    SyncDelete,
    SyncRequest,
    SyncResponse,
)
from easclient.protocol.status import SyncStatus
from easclient.protocol.sync import BodyPreference, SyncOptions
from easclient.protocol.sync_flow import (
    SyncCollectionFlow,
    SyncFailure,
    SyncOutcome,
    SyncResend,
    SyncRestart,
    SyncResult,
    SyncWindow,
)

CID = "5"
OPTIONS = (SyncOptions(body_preferences=(BodyPreference(type=1, truncation_size=32768),)),)


def answer(key, status=1, *commands, more=False) -> SyncResponse:
    col = SyncCollectionResponse(CID, status, key, more_available=more, commands=commands)
    return SyncResponse(collections=(col,))


def flow(key="0", **kw) -> SyncCollectionFlow:
    return SyncCollectionFlow(CID, key, class_="Email", window_size=25, options=OPTIONS, **kw)


def sent(f: SyncCollectionFlow):
    request = f.next_request()
    assert isinstance(request, SyncRequest)
    (col,) = request.collections
    return col


def test_prime_then_windows_until_more_available_is_gone():
    f = flow()
    prime = sent(f)
    # The priming request: SyncKey 0, no GetChanges, no options (MS-ASCMD 3.1.5.3).
    assert (prime.sync_key, prime.get_changes, prime.options, prime.window_size) == (
        "0",
        None,
        (),
        None,
    )
    assert prime.class_ == "Email"
    w = f.receive(answer("k1"))
    assert (
        isinstance(w, SyncWindow)
        and w.primed
        and (w.expected_sync_key, w.sync_key)
        == (
            "0",
            "k1",
        )
    )
    first = sent(f)
    assert (first.sync_key, first.get_changes, first.window_size) == ("k1", True, 25)
    assert first.options == OPTIONS
    w = f.receive(answer("k2", 1, SyncAdd("5:1"), more=True))
    assert isinstance(w, SyncWindow) and not w.primed and w.commands == (SyncAdd("5:1"),)
    assert sent(f).sync_key == "k2"
    w = f.receive(answer("k3", 1, SyncDelete("5:0")))
    assert isinstance(w, SyncWindow) and w.sync_key == "k3"
    assert f.next_request() == SyncOutcome(SyncResult.COMPLETE)
    assert f.sync_key == "k3" and f.requests == 3


def test_empty_answer_means_no_changes():
    f = flow("k1")
    sent(f)
    assert f.receive(SyncResponse()) == SyncOutcome(SyncResult.COMPLETE)
    assert f.next_request() == SyncOutcome(SyncResult.COMPLETE)


def test_status_3_restarts_from_0_and_the_outcome_remembers_it():
    f = flow("stale")
    sent(f)
    restart = f.receive(answer(None, SyncStatus.InvalidSyncKey))
    assert restart == SyncRestart("stale")
    assert sent(f).sync_key == "0"
    assert isinstance(f.receive(answer("k1")), SyncWindow)
    assert sent(f).sync_key == "k1"
    f.receive(answer("k2"))
    outcome = f.next_request()
    assert outcome == SyncOutcome(SyncResult.COMPLETE, restarted=True)


def test_status_3_again_after_three_restarts_fails():
    f = flow("stale")
    for _ in range(3):
        sent(f)
        assert isinstance(f.receive(answer(None, 3)), SyncRestart)
    sent(f)
    outcome = f.receive(answer(None, 3))
    assert outcome == SyncOutcome(
        SyncResult.FAILED, SyncStatus.InvalidSyncKey, SyncFailure.SYNC_KEY_REJECTED, restarted=True
    )
    assert f.next_request() is outcome


def test_status_12_asks_for_foldersync_top_level_or_per_collection():
    f = flow("k1")
    sent(f)
    top = f.receive(SyncResponse(status=SyncStatus.FolderHierarchyChanged))
    assert top == SyncOutcome(
        SyncResult.HIERARCHY_CHANGED, SyncStatus.FolderHierarchyChanged, top_level=True
    )
    f = flow("k1")
    sent(f)
    per_collection = f.receive(answer(None, 12))
    assert isinstance(per_collection, SyncOutcome)
    assert per_collection.result is SyncResult.HIERARCHY_CHANGED and not per_collection.top_level


def test_status_13_and_16_resend_the_same_request_bounded_to_three():
    f = flow("k1")
    first = sent(f)
    assert f.receive(SyncResponse(status=SyncStatus.IncompleteRequest)) == SyncResend(13)
    assert sent(f) == first
    assert f.receive(SyncResponse(status=SyncStatus.Retry)) == SyncResend(16)
    assert sent(f) == first
    assert f.receive(SyncResponse(status=16)) == SyncResend(16)
    sent(f)
    outcome = f.receive(SyncResponse(status=16))
    assert outcome == SyncOutcome(
        SyncResult.FAILED, SyncStatus.Retry, SyncFailure.STATUS, top_level=True
    )


def test_other_statuses_fail_with_the_status():
    f = flow("k1")
    sent(f)
    assert f.receive(SyncResponse(status=SyncStatus.ServerError)) == SyncOutcome(
        SyncResult.FAILED, SyncStatus.ServerError, SyncFailure.STATUS, top_level=True
    )
    f = flow("k1")
    sent(f)
    assert f.receive(answer(None, SyncStatus.ObjectNotFound)) == SyncOutcome(
        SyncResult.FAILED, SyncStatus.ObjectNotFound, SyncFailure.STATUS
    )
    # Success without a SyncKey cannot go on either.
    f = flow("k1")
    sent(f)
    outcome = f.receive(answer(None, 1))
    assert isinstance(outcome, SyncOutcome) and outcome.failure is SyncFailure.STATUS


def test_more_available_forever_ends_after_max_windows():
    f = flow("k0", max_windows=3)
    for i in range(3):
        sent(f)
        assert isinstance(f.receive(answer(f"k{i + 1}", more=True)), SyncWindow)
    assert f.next_request() == SyncOutcome(SyncResult.FAILED, failure=SyncFailure.TOO_MANY_WINDOWS)
    assert f.requests == 3


def test_an_answer_for_another_collection_only_is_no_change_here():
    f = flow("k1")
    sent(f)
    other = SyncResponse(collections=(SyncCollectionResponse("9", 1, "x"),))
    assert f.receive(other) == SyncOutcome(SyncResult.COMPLETE)
