"""Group commit of issued-token records: one writer thread shares each commit among requests.

Issuing a token writes one row; committing each row on its own costs more than signing the
token. The journal lets concurrent requests share one commit: each request still waits until
its row is durable before it answers, so Validate, Renew and Cancel on any worker or node see
every token a client holds. The writer thread starts with the first record and stops, after
committing everything queued before, when the journal is closed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import delete, insert

from stsdesk.server.errors import ConflictError
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.database import Database
from stsdesk.server.storage.errors import DatabaseUnavailableError
from stsdesk.server.storage.hotpath import MAX_INSERT_ROWS, FastInsertFailed, FastInserts

__all__ = ["TokenJournal", "Row", "WAIT_SECONDS"]

log = logging.getLogger("stsdesk.server.storage")

Row = dict[str, object]  # one issued_tokens row, checked by the caller

_MAX_BATCH = MAX_INSERT_ROWS
# While records keep coming the writer gathers them for at most _GATHER_SECONDS (added to a
# token's answer at most) and commits them together; sooner once as many are waiting as the
# largest of the last _RECENT_BATCHES batches held (all the requests in flight, at low
# concurrency). A record that finds the writer idle is committed at once.
_GATHER_SECONDS = 0.005
_RECENT_BATCHES = 8
# A request gives up waiting for its commit after this long (the STS endpoint: for its answer
# and commit, from its arrival) and answers a fault instead.
WAIT_SECONDS = 15.0
_STOP_SECONDS = 30.0  # close() waits this long for the writer to commit what is queued
_PURGE_INTERVAL_SECONDS = 600.0
# Expired token records are kept a while for Validate answers ("expired") and late renewals.
_RETENTION = timedelta(days=1)
THREAD_NAME: Final = "stsdesk-token-journal"

_Entry = tuple[Row, "Future[None]"]


class _Stop:
    """Queued by close(): everything before it is committed, then the writer ends."""


_STOP: Final = _Stop()


class TokenJournal:
    """Durable, group-committed inserts into ``issued_tokens``; safe to share between threads."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._writer: _Writer | None = None
        self._fast = FastInserts.for_engine(db.engine, s.issued_tokens)
        self._next_purge = time.monotonic() + _PURGE_INTERVAL_SECONDS

    def save(self, row: Row) -> None:
        """Insert ``row``; returns once it is committed. ConflictError on a duplicate id,
        DatabaseUnavailableError when the database cannot take it."""
        self.submit(row).result(timeout=WAIT_SECONDS)

    def submit(self, row: Row) -> Future[None]:
        """Queue ``row`` for the next commit; the future is done once it is committed, or
        holds the error :meth:`save` would raise.

        For a caller that has other work to do meanwhile (an event loop answering other
        requests): a request must still not be answered before its future is done.
        """
        done: Future[None] = Future()
        # Running from the start, so that nobody can cancel it (an awaiting task cancelled at
        # shutdown, a timeout): the writer must always be able to set its outcome.
        done.set_running_or_notify_cancel()
        with self._lock:
            # Under the lock, so that close() cannot slip its stop in between: a row is either
            # queued before the stop (and committed) or goes to a new writer.
            if self._writer is None:
                self._writer = _Writer(self._commit, self._purge_now_and_then)
            self._writer.hand((row, done))
        return done

    def close(self) -> None:
        """Commit every row queued so far, then stop the writer thread and wait for it.

        A later :meth:`save` starts a new writer, so closing is safe while requests finish.
        """
        with self._lock:
            writer, self._writer = self._writer, None
            if writer is None:
                return
            writer.hand(_STOP)
        writer.thread.join(_STOP_SECONDS)
        if writer.thread.is_alive():
            log.warning("The token journal did not stop within %g seconds", _STOP_SECONDS)
        if self._fast is not None:
            self._fast.close()

    @property
    def running(self) -> bool:
        """True while a writer thread is alive."""
        writer = self._writer
        return writer is not None and writer.thread.is_alive()

    # -- in the writer thread -------------------------------------------------------------------

    def _commit(self, batch: list[_Entry]) -> None:
        try:
            self._insert([row for row, _ in batch])
        except DatabaseUnavailableError as exc:
            for _, done in batch:
                done.set_exception(exc)
            return
        except Exception:  # noqa: BLE001 - a duplicate id or a refused row: find which one
            # One bad row spoils the batch: retry one by one so only that request fails.
            for entry in batch:
                self._commit_one(entry)
            return
        for _, done in batch:
            done.set_result(None)

    def _commit_one(self, entry: _Entry) -> None:
        row, done = entry
        try:
            self._insert([row])
        except ConflictError:
            done.set_exception(
                ConflictError(f"A token with id {row['token_id']!r} is already stored.")
            )
        except DatabaseUnavailableError as exc:
            done.set_exception(exc)
        except Exception:  # noqa: BLE001 - the waiting request must hear about it
            log.exception("could not store an issued-token record")
            done.set_exception(
                DatabaseUnavailableError(
                    "The STS could not record the token in its database. Try again in a "
                    "moment; if it persists, the administrator can find the cause in the log."
                )
            )
        else:
            done.set_result(None)

    def _insert(self, rows: list[Row]) -> None:
        if self._fast is not None:
            try:
                self._fast.insert(rows)
                return
            except FastInsertFailed:
                pass  # rolled back: the regular path stores the rows or raises the right error
        with self._db.transaction("append") as conn:
            conn.execute(insert(s.issued_tokens), rows)

    def _purge_now_and_then(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + _PURGE_INTERVAL_SECONDS
        cutoff = datetime.now(UTC) - _RETENTION
        try:
            with self._db.transaction("append") as conn:
                conn.execute(delete(s.issued_tokens).where(s.issued_tokens.c.expires_at < cutoff))
        except DatabaseUnavailableError:
            log.warning("could not purge expired token records; trying again later")


class _Writer:
    """One writer thread and its queue; a closed journal's next save makes a new one.

    Every commit costs about 240 µs of the writer's CPU whatever it holds (with two worker
    processes appending to one SQLite file, the other's commits empty this connection's page
    cache, so each batch reads the tables' pages again; waking the thread and taking the GIL
    back from the minting threads), against about 30 µs a record. So under load the writer
    gathers: committing every 0.5 ms gave 2.5-2.8 records a batch and 115-145 µs of the
    writer's CPU a token at 64 connections; gathering up to 5 ms, 4-6 records and 70-100 µs.
    A fixed 5 ms gather cost about 40 % of the throughput at 4 connections, where every
    request in flight soon waits for the same commit: so the batch goes as soon as it is as
    large as the recent ones were.
    """

    def __init__(
        self, commit: Callable[[list[_Entry]], None], between: Callable[[], None]
    ) -> None:
        self.queue: queue.SimpleQueue[_Entry | _Stop] = queue.SimpleQueue()
        self._commit = commit
        self._between = between  # housekeeping after a batch
        self._recent: deque[int] = deque([1], maxlen=_RECENT_BATCHES)  # their sizes
        self._enough = 1  # records that end a gather early: the largest recent batch
        self._gathered = threading.Event()  # set once that many are queued
        # A daemon, so that a store nobody closed cannot hold the interpreter at exit; close()
        # is what makes the queued records durable.
        self.thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self.thread.start()

    def hand(self, item: _Entry | _Stop) -> None:
        """Queue a record (or the stop) for the writer; any thread."""
        self.queue.put(item)
        # Setting the event wakes the writer: once a batch, not once a record.
        if (item is _STOP or self.queue.qsize() >= self._enough) and not self._gathered.is_set():
            self._gathered.set()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            # Idle: the first record wakes the writer, which commits it at once (nothing else
            # is coming soon, or the writer would not have been idle).
            self._gathered.clear()
            batch, stopping = self._take([self.queue.get()])
            while batch:
                self._commit(batch)
                if stopping:
                    return
                self._recent.append(len(batch))
                self._enough = max(self._recent)
                self._between()
                # Records keep coming: gather them. Handing the writer a record wakes no thread
                # but the one that completes a batch (a wake-up per token made the kernel
                # switch away from the minting thread in the middle of queue.put, with the GIL
                # held). A gather that brings nothing means the load has gone: back to idle.
                if self.queue.qsize() < self._enough:  # else a batch is ready (or left over)
                    self._gathered.wait(_GATHER_SECONDS)
                self._gathered.clear()
                batch, stopping = self._take([])

    def _take(self, arrived: list[_Entry | _Stop]) -> tuple[list[_Entry], bool]:
        """The next batch (``arrived``, then what is queued, at most _MAX_BATCH) and whether
        the stop came: everything queued before it is in this batch or an earlier one."""
        batch: list[_Entry] = []
        items = iter(arrived)
        while len(batch) < _MAX_BATCH:
            item = next(items, None)
            if item is None:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
            if isinstance(item, _Stop):
                return batch, True
            batch.append(item)
        return batch, False
