"""Background work: blocking calls run on a thread pool, results come back on the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

__all__ = ["TaskRunner"]

log = logging.getLogger("stsdesk.ui")


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits, Qt queues the call back to the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:  # noqa: BLE001 - every failure is handed to the GUI thread
            self._relay.failed.emit(exc)
        else:
            self._relay.succeeded.emit(result)


class TaskRunner(QObject):
    """Runs blocking work off the GUI thread and counts what is in flight (for busy indicators)."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._relays: set[_Relay] = set()

    @property
    def busy(self) -> bool:
        return bool(self._relays)

    def run(
        self,
        work: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Call ``work()`` on a worker thread, then ``on_success(result)`` or ``on_error(exc)``."""
        relay = _Relay()
        was_busy = self.busy
        self._relays.add(relay)

        def finish(callback: Callable[[Any], None], value: Any) -> None:
            self._relays.discard(relay)
            try:
                callback(value)
            finally:
                if not self.busy:
                    self.busy_changed.emit(False)

        relay.succeeded.connect(lambda result: finish(on_success, result))
        relay.failed.connect(lambda error: finish(on_error, error))
        if not was_busy:
            self.busy_changed.emit(True)
        self._pool.start(_Job(work, relay))

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool is idle (tests and shutdown)."""
        return self._pool.waitForDone(msecs)
