"""The connection to one server: its admin client, reachability, the scenario in force."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from stsdesk.services.admin_client import AdminClient
from stsdesk.services.errors import ServerUnreachableError
from stsdesk.ui.tasks import TaskRunner

__all__ = ["ServerConnection", "CONNECTED", "UNREACHABLE", "CONNECTING"]

log = logging.getLogger("stsdesk.ui")

CONNECTING = "connecting"
CONNECTED = "connected"
UNREACHABLE = "unreachable"


class ServerConnection(QObject):
    """Calls the server off the GUI thread and watches whether it is there.

    Pages call :meth:`call`; the connection polls the server's health, says when it went away
    and when it is back (``reconnected``, so pages reload), and tracks the applied security
    scenario for the status bar.
    """

    state_changed = Signal(str, str)  # state, detail
    reconnected = Signal()
    security_changed = Signal(str)  # a short description of the scenario in force

    def __init__(
        self,
        client: AdminClient,
        *,
        name: str,
        runner: TaskRunner,
        poll_ms: int = 5000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.name = name
        self.runner = runner
        self.state = CONNECTING
        self.node = ""
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.check)
        self._checking = False

    @property
    def url(self) -> str:
        return self.client.endpoint.base_url

    def start(self) -> None:
        self.check()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def call(
        self,
        work: Callable[[AdminClient], Any],
        on_success: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Run ``work(client)`` in the background; a failure to connect also updates the state."""

        def failed(error: Exception) -> None:
            if isinstance(error, ServerUnreachableError):
                self._set_state(UNREACHABLE, error.message)
            on_error(error)

        self.runner.run(lambda: work(self.client), on_success, failed)

    def check(self) -> None:
        """Probe health and the security policy once (no overlapping probes)."""
        if self._checking:
            return
        self._checking = True

        def probe(client: AdminClient) -> tuple[dict[str, Any], dict[str, Any] | None]:
            health = client.health()
            try:
                security = client.get("/sts/security")
            except Exception:  # noqa: BLE001 - the status bar can live without it
                security = None
            return health, security

        def done(result: tuple[dict[str, Any], dict[str, Any] | None]) -> None:
            self._checking = False
            health, security = result
            node = str(health.get("node") or health.get("pid") or "")
            was, node_changed = self.state, node != self.node
            self.node = node
            self._set_state(CONNECTED, "")
            if node_changed and was == CONNECTED:
                self.state_changed.emit(CONNECTED, "")  # another node answered
            if was == UNREACHABLE:
                self.reconnected.emit()
            if security is not None:
                self.security_changed.emit(describe_security(security))

        def failed(error: Exception) -> None:
            self._checking = False
            self._set_state(UNREACHABLE, getattr(error, "message", str(error)))

        self.runner.run(lambda: probe(self.client), done, failed)

    def _set_state(self, state: str, detail: str) -> None:
        if state != self.state or detail:
            self.state = state
            self.state_changed.emit(state, detail)


def describe_security(security: dict[str, Any]) -> str:
    if not security.get("enabled"):
        return "Security disabled (no tokens issued)"
    scenario = security.get("scenarioId", "?")
    roles = ", ".join(security.get("allowedRoles") or []) or "no roles"
    return f"{scenario} · roles: {roles}"
