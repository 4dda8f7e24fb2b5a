"""The threads that answer token requests: queued jobs run in order, a bug keeps the thread."""

from __future__ import annotations

import gc
import threading

from stsdesk.server.sts.handoff import MintingThreads


def _named(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def test_threads_start_with_the_first_job_and_close_runs_what_is_queued() -> None:
    pool = MintingThreads(2, name="handoff-test-close")
    assert _named("handoff-test-close") == []  # nothing started for an unused pool
    release = threading.Event()
    done: list[int] = []
    pool.submit(lambda: release.wait(5))
    pool.submit(lambda: release.wait(5))  # both threads busy: the rest wait in the queue
    for n in range(5):
        pool.submit(lambda n=n: done.append(n))
    assert len(_named("handoff-test-close")) == 2
    release.set()
    pool.close()
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert _named("handoff-test-close") == []


def test_a_job_that_raises_is_logged_and_the_thread_goes_on(caplog) -> None:
    pool = MintingThreads(1, name="handoff-test-bug")
    after: list[str] = []

    def bug() -> None:
        raise RuntimeError("a bug")

    pool.submit(bug)
    pool.submit(lambda: after.append("answered"))
    pool.close()
    assert after == ["answered"]
    assert "unexpected error in a thread answering WS-Trust requests" in caplog.text


def test_a_pool_dropped_unclosed_stops_its_threads() -> None:
    pool = MintingThreads(2, name="handoff-test-dropped")
    pool.submit(lambda: None)
    threads = _named("handoff-test-dropped")
    assert len(threads) == 2
    del pool
    gc.collect()
    for thread in threads:
        thread.join(5)
    assert not any(thread.is_alive() for thread in threads)
