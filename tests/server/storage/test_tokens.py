"""Issued-token records: the one checked write path, its journal, and status changes."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from stsdesk.server.errors import ConflictError, ValidationError
from stsdesk.server.model import IssuedTokenRecord, TokenStatus
from stsdesk.server.storage import journal
from stsdesk.server.storage.errors import DatabaseUnavailableError
from stsdesk.server.storage.journal import THREAD_NAME, TokenJournal
from stsdesk.server.storage.store import Store
from tests.helpers.storage import NOW


def token(token_id: str = "_t1", **changes: object) -> IssuedTokenRecord:
    values: dict[str, object] = dict(
        token_id=token_id, token_type="SAML20", subject="alice", audience="https://rp/",
        issued_at=NOW, expires_at=NOW + timedelta(minutes=5),
    )
    values.update(changes)
    return IssuedTokenRecord(**values)  # type: ignore[arg-type]


def test_token_round_trip_and_status(store: Store) -> None:
    store.tokens.save(token())
    got = store.tokens.get("_t1")
    assert got == token()
    assert got.issued_at.tzinfo is not None
    with pytest.raises(ConflictError):
        store.tokens.save(token())
    assert store.tokens.set_status(
        "_t1", TokenStatus.RENEWED, replaced_by="_t2", expected=TokenStatus.ACTIVE
    ) is True
    # a second, concurrent Renew of the same token loses
    assert store.tokens.set_status(
        "_t1", TokenStatus.RENEWED, replaced_by="_t3", expected=TokenStatus.ACTIVE
    ) is False
    renewed = store.tokens.get("_t1")
    assert renewed.status is TokenStatus.RENEWED and renewed.replaced_by == "_t2"
    assert store.tokens.set_status("_t1", TokenStatus.CANCELLED) is True  # any status
    assert store.tokens.get("_t1").status is TokenStatus.CANCELLED
    assert store.tokens.set_status("missing", TokenStatus.CANCELLED) is False
    assert store.tokens.get("missing") is None


def test_token_times_keep_their_instant(store: Store) -> None:
    plus_two = NOW.astimezone(timezone(timedelta(hours=2)))
    store.tokens.save(token("_tz", issued_at=plus_two, expires_at=plus_two + timedelta(hours=1)))
    got = store.tokens.get("_tz")
    assert got.issued_at == NOW and got.issued_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        store.tokens.save(token("_naive", issued_at=datetime(2030, 1, 1)))  # noqa: DTZ001
    with pytest.raises(ValidationError):
        store.tokens.save(token(""))
    with pytest.raises(ValidationError):
        store.tokens.save(token("_" + "x" * 300))
    assert store.tokens.get("_naive") is None


# --------------------------------------------------------------------------------- the journal


def journal_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == THREAD_NAME}


@contextmanager
def write_lock_held(store: Store) -> Iterator[Callable[[], None]]:
    """Another process's writer holding SQLite's write lock: the journal's commit waits (up to
    the 5 s busy timeout) until the returned ``release`` is called."""
    holder = sqlite3.connect(str(store.engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            holder.execute("ROLLBACK")
            released = True

    try:
        yield release
    finally:
        release()
        holder.close()


def save_in_thread(store: Store, record: IssuedTokenRecord,
                   outcome: dict[str, BaseException | None]) -> threading.Thread:
    def run() -> None:
        try:
            store.tokens.save(record)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            outcome[record.token_id] = exc
        else:
            outcome[record.token_id] = None

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_the_journal_starts_with_the_first_save_and_stops_on_close(store: Store) -> None:
    before = journal_threads()
    assert not store.tokens.journal_running
    store.tokens.save(token("_first"))
    started = journal_threads() - before
    assert len(started) == 1 and store.tokens.journal_running
    store.tokens.close()
    assert not any(thread.is_alive() for thread in started)
    assert not store.tokens.journal_running
    store.tokens.close()  # closing twice is harmless
    # A save after close (a request finishing during shutdown) starts a new writer.
    store.tokens.save(token("_after"))
    assert store.tokens.get("_after") is not None
    store.close()
    assert journal_threads() <= before


def test_records_queued_just_before_close_are_durable(store: Store, master) -> None:
    store.tokens.save(token("_warm"))  # the writer is running
    outcome: dict[str, BaseException | None] = {}
    with write_lock_held(store) as release:
        first = save_in_thread(store, token("_first"), outcome)
        time.sleep(0.3)  # the writer took it and waits for the lock
        second = save_in_thread(store, token("_second"), outcome)
        time.sleep(0.3)  # queued behind the waiting commit
        closer = threading.Thread(target=store.tokens.close)
        closer.start()
        time.sleep(0.3)
        assert closer.is_alive()  # close() waits for what is queued
        assert outcome == {}  # nobody was answered before the commit
        release()
        for thread in (first, second, closer):
            thread.join(10)
    assert outcome == {"_first": None, "_second": None}
    assert not store.tokens.journal_running
    reopened = Store.open(str(store.engine.url), master)  # as another worker, after shutdown
    try:
        assert reopened.tokens.get("_first") is not None
        assert reopened.tokens.get("_second") is not None
    finally:
        reopened.close()


def test_a_duplicate_fails_only_its_own_request(store: Store) -> None:
    store.tokens.save(token("_taken"))
    outcome: dict[str, BaseException | None] = {}
    with write_lock_held(store) as release:
        threads = [save_in_thread(store, token("_blocker"), outcome)]
        time.sleep(0.3)  # the others queue up and are committed as one batch
        threads += [save_in_thread(store, token(token_id, subject="other"), outcome)
                    for token_id in ("_one", "_taken", "_two")]
        time.sleep(0.3)
        release()
        for thread in threads:
            thread.join(10)
    refused = outcome.pop("_taken")
    assert isinstance(refused, ConflictError) and "'_taken' is already stored" in str(refused)
    assert outcome == {"_blocker": None, "_one": None, "_two": None}
    assert store.tokens.get("_taken").subject == "alice"  # the first record stays
    assert store.tokens.get("_one") is not None and store.tokens.get("_two") is not None


def test_an_unreachable_database_fails_the_save_as_unavailable(tmp_path: Path) -> None:
    gone = Store.open(f"sqlite:///{tmp_path / 'no-such-folder' / 'store.db'}")
    try:
        with pytest.raises(DatabaseUnavailableError, match="unavailable"):
            gone.tokens.save(token("_lost"))
    finally:
        gone.close()


def test_submit_returns_at_once_and_its_future_is_done_once_the_record_is_stored(
    store: Store,
) -> None:
    with write_lock_held(store) as release:
        committed = store.tokens.submit(token("_queued"))  # does not wait for the lock
        time.sleep(0.2)
        assert not committed.done()
        assert store.tokens.get("_queued") is None
        assert not committed.cancel()  # a waiter that gives up cannot take it from the writer
        release()
        committed.result(timeout=10)
    assert store.tokens.get("_queued") == token("_queued")
    duplicate = store.tokens.submit(token("_queued"))
    with pytest.raises(ConflictError, match="'_queued' is already stored"):
        duplicate.result(timeout=10)
    with pytest.raises(ValidationError):  # checked at once, never queued
        store.tokens.submit(token(""))


# ------------------------------------------------------------------ the writer's gather under load


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The token ids of each batch the journal stores, in order."""
    stored: list[list[str]] = []
    insert = TokenJournal._insert

    def spy(self: TokenJournal, rows: list[dict[str, object]]) -> None:
        insert(self, rows)
        stored.append([str(row["token_id"]) for row in rows])

    monkeypatch.setattr(TokenJournal, "_insert", spy)
    return stored


def test_a_record_that_finds_the_writer_idle_is_not_held_back(
    store: Store, batches: list[list[str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One request at a time (a paced client): nobody else's record is coming, so waiting for
    # one would only add to each answer. With a gather far longer than the test may take,
    # every save must still return at once.
    monkeypatch.setattr(journal, "_GATHER_SECONDS", 30.0)
    started = time.monotonic()
    for n in range(5):
        store.tokens.save(token(f"_lone{n}"))
    assert time.monotonic() - started < 5
    assert batches == [[f"_lone{n}"] for n in range(5)]
    closing = time.monotonic()
    store.tokens.close()  # the stop wakes a gathering writer
    assert time.monotonic() - closing < 5
    assert not store.tokens.journal_running


def test_under_load_records_are_gathered_into_batches_as_large_as_the_recent_ones(
    store: Store, batches: list[list[str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(journal, "_GATHER_SECONDS", 1.0)
    store.tokens.save(token("_warm"))
    # Three requests in flight at once: they queue behind a commit and make a batch of three.
    outcome: dict[str, BaseException | None] = {}
    with write_lock_held(store) as release:
        threads = [save_in_thread(store, token("_blocker"), outcome)]
        time.sleep(0.3)
        threads += [save_in_thread(store, token(f"_in_flight{n}"), outcome) for n in range(3)]
        time.sleep(0.3)
        release()
        for thread in threads:
            thread.join(10)
    assert batches[-1] == ["_in_flight0", "_in_flight1", "_in_flight2"]
    # Two records: the writer waits for a third, but not for longer than its gather.
    first = store.tokens.submit(token("_gathered0"))
    second = store.tokens.submit(token("_gathered1"))
    time.sleep(0.3)
    assert not first.done() and store.tokens.get("_gathered0") is None
    first.result(timeout=10)
    second.result(timeout=10)
    assert batches[-1] == ["_gathered0", "_gathered1"]
    # Three records: the third ends the gather at once.
    submitted = time.monotonic()
    futures = [store.tokens.submit(token(f"_full{n}")) for n in range(3)]
    for future in futures:
        future.result(timeout=10)
    assert time.monotonic() - submitted < 0.8
    assert batches[-1] == ["_full0", "_full1", "_full2"]
    assert store.tokens.get("_full2") is not None
