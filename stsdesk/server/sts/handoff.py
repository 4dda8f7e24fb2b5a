"""Token requests between the event loop and the threads that answer them, and back.

The event loop reads a request and queues it for a minting thread; the thread answers it, and
the reply comes back to the loop once it may be sent: at once for a fault or a Validate, else
from the token journal's thread when the new token's record is committed, with the other
replies of that commit. The loop is woken once for all of them (libuv merges wake-ups until
the loop runs), and nothing comes back in between: waking the loop from the minting thread
for every request, with the GIL held, was the largest entry of a worker's GIL profile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import weakref
from collections.abc import Callable

from stsdesk.core.errors import RequestFailedError
from stsdesk.server.sts.service import INTERNAL_ERROR, Answer, SoapReply, TrustService

__all__ = ["MintingThreads", "PendingReply", "TOO_BUSY"]

log = logging.getLogger("stsdesk.server.sts")

TOO_BUSY = RequestFailedError("The STS is too busy to answer in time; try again in a moment.")

_Job = Callable[[], None]


class PendingReply:
    """One token request's reply, on its way from the threads that make it to the event loop.

    Made on the event loop; :meth:`answer` runs in a minting thread, :meth:`reply` awaits the
    outcome on the loop.
    """

    __slots__ = ("_loop", "_body", "_content_type", "_soap_action", "_ready", "_answer")

    def __init__(self, loop: asyncio.AbstractEventLoop, body: bytes, *,
                 content_type: str | None, soap_action: str | None) -> None:
        self._loop = loop
        self._body = body
        self._content_type = content_type
        self._soap_action = soap_action
        self._ready: asyncio.Future[SoapReply] = loop.create_future()
        self._answer: Answer | None = None

    def answer(self, service: TrustService) -> None:
        """In a minting thread: answer the request; the reply is handed back when it may go."""
        if self._ready.done():
            return  # given up on (or cancelled) while it waited for a thread
        try:
            answer = service.answer(self._body, content_type=self._content_type,
                                    soap_action=self._soap_action)
        except Exception:  # noqa: BLE001 - a bug: the client is told so now, not "too busy" later
            log.exception("unexpected error while answering a WS-Trust request")
            self._hand_back(TrustService.refuse(INTERNAL_ERROR, content_type=self._content_type))
            return
        self._answer = answer
        answer.when_settled(self._hand_back)

    async def reply(self, *, within: float) -> SoapReply:
        """The reply to send; a fault instead when none may be sent within ``within`` seconds
        of now (the database does not commit, or no thread got to the request)."""
        deadline = self._loop.call_later(within, self._give_up)
        try:
            return await self._ready
        finally:
            deadline.cancel()

    def _hand_back(self, reply: SoapReply) -> None:  # in any thread
        # Once the loop is closed nobody is left to answer.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._settle, reply)

    def _give_up(self) -> None:
        answer = self._answer
        if answer is None:
            log.warning("a token request waited too long for a thread and was refused")
            self._settle(TrustService.refuse(TOO_BUSY, content_type=self._content_type))
        else:
            self._settle(answer.too_late())

    def _settle(self, reply: SoapReply) -> None:
        if not self._ready.done():  # the first outcome wins; a cancelled request takes none
            self._ready.set_result(reply)


class MintingThreads:
    """A fixed number of threads running jobs from one queue, in the order they came.

    ThreadPoolExecutor made a Future, a work item and two semaphore round trips for every job
    (about 10 µs of CPU, with the GIL), for a result nobody reads: replies come back through
    :class:`PendingReply`. The threads start with the first job; :meth:`close` runs what is
    queued and stops them, as does dropping the object unclosed (an application in a test).
    """

    def __init__(self, count: int, *, name: str) -> None:
        self._count = count
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        weakref.finalize(self, _stop, self._jobs, count)

    def submit(self, job: _Job) -> None:
        if not self._threads:
            self._start()
        self._jobs.put(job)

    def close(self) -> None:
        """Run every job queued so far, then stop the threads and wait for them.

        A later :meth:`submit` starts new threads, so closing is safe while requests finish.
        """
        with self._lock:
            threads, self._threads = self._threads, []
        _stop(self._jobs, len(threads))
        for thread in threads:
            thread.join()

    def _start(self) -> None:
        with self._lock:
            if self._threads:
                return
            self._threads = [
                threading.Thread(target=_run, args=(self._jobs,), name=f"{self._name}-{n}",
                                 daemon=True)
                for n in range(self._count)
            ]
            for thread in self._threads:
                thread.start()


def _run(jobs: queue.SimpleQueue[_Job | None]) -> None:
    # The queue only, not the MintingThreads: an object dropped unclosed is collected, and its
    # finalizer stops the threads.
    while (job := jobs.get()) is not None:
        try:
            job()
        except Exception:  # noqa: BLE001 - a bug: keep the thread for the next request
            log.exception("unexpected error in a thread answering WS-Trust requests")


def _stop(jobs: queue.SimpleQueue[_Job | None], count: int) -> None:
    for _ in range(count):
        jobs.put(None)
