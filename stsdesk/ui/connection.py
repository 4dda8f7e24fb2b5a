"""The connection to one server: its admin API, reachability, capabilities, the scenario in force."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from stsdesk.services.admin import AdminApi, Capabilities, Capability
from stsdesk.services.admin.models import SecurityPolicy, ServerInfo
from stsdesk.services.endpoint import ServerEndpoint
from stsdesk.services.errors import ServerUnreachableError, ServiceError
from stsdesk.ui.tasks import TaskRunner

__all__ = ["ServerConnection", "CONNECTED", "UNREACHABLE", "CONNECTING", "STARTING",
           "STARTING_TEXT", "describe_security"]

log = logging.getLogger("stsdesk.ui")

STARTING = "starting"  # the embedded server is coming up behind the window
STARTING_TEXT = "Starting the embedded STS… this page fills in as soon as it answers."
CONNECTING = "connecting"
CONNECTED = "connected"
UNREACHABLE = "unreachable"


class ServerConnection(QObject):
    """Calls the server off the GUI thread and watches whether it is there.

    Pages call :meth:`call` with work on the :class:`AdminApi`; the connection polls the
    server, says when it went away and when it is back (``reconnected``, so pages reload),
    knows what the server can do (``capabilities``, for greying out) and tracks the applied
    security scenario for the status bar.

    The window is shown before the embedded server answers: such a connection is made with
    ``api=None`` (state ``starting``), keeps the calls pages make meanwhile and sends them once
    :meth:`attach` gives it the API — or fails them all with the reason, after :meth:`fail_start`.
    """

    state_changed = Signal(str, str)  # state, detail
    reconnected = Signal()
    security_changed = Signal(str)  # a short description of the scenario in force
    capabilities_changed = Signal(object)  # Capabilities

    def __init__(
        self,
        api: AdminApi | None,
        *,
        name: str,
        runner: TaskRunner,
        endpoint: ServerEndpoint | None = None,
        poll_ms: int = 5000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.api = api
        # Where the server is and who signs in: the test client reuses it for the STS itself.
        self.endpoint = endpoint
        self.name = name
        self.runner = runner
        self.state = CONNECTING if api is not None else STARTING
        self.node = ""
        self._waiting: list[tuple[Callable[[AdminApi], Any], Callable[[Any], None],
                                  Callable[[Exception], None]]] = []
        self._start_error: ServiceError | None = None
        self.capabilities = Capabilities()
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.check)
        self._checking = False

    @property
    def url(self) -> str:
        return self.api.base_url if self.api is not None else ""

    @property
    def starting(self) -> bool:
        return self.api is None

    def attach(self, api: AdminApi, endpoint: ServerEndpoint | None = None) -> None:
        """The server answers now: send what pages asked for meanwhile, then poll as usual."""
        self.api, self.endpoint = api, endpoint
        waiting, self._waiting = self._waiting, []
        self._set_state(CONNECTING, "")
        self.check()
        for work, on_success, on_error in waiting:
            self.call(work, on_success, on_error)

    def fail_start(self, error: ServiceError) -> None:
        """The server never came: every call made meanwhile (and later) fails with ``error``."""
        self._start_error = error
        waiting, self._waiting = self._waiting, []
        self._set_state(UNREACHABLE, error.message)
        for _work, _on_success, on_error in waiting:
            on_error(error)

    def supports(self, capability: Capability) -> bool:
        return self.capabilities.supports(capability)

    def missing_reason(self, capability: Capability) -> str | None:
        """Why the server lacks ``capability`` (for a greyed-out control's tooltip), or None."""
        return self.capabilities.reason(capability)

    def start(self) -> None:
        self.check()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def call(
        self,
        work: Callable[[AdminApi], Any],
        on_success: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Run ``work(api)`` in the background; a failure to connect also updates the state."""
        api = self.api
        if api is None:
            if self._start_error is not None:
                on_error(self._start_error)
            else:
                self._waiting.append((work, on_success, on_error))
            return

        def failed(error: Exception) -> None:
            if isinstance(error, ServerUnreachableError):
                self._set_state(UNREACHABLE, error.message)
            on_error(error)

        self.runner.run(lambda: work(api), on_success, failed)

    def check(self) -> None:
        """Probe the server, its capabilities and the security policy once (never overlapping)."""
        api = self.api
        if self._checking or api is None:
            return
        self._checking = True

        def probe(api: AdminApi) -> tuple[ServerInfo, Capabilities, SecurityPolicy | None]:
            info = api.server_info()
            capabilities = api.capabilities()
            security = None
            if capabilities.supports(Capability.SECURITY_POLICY):
                try:
                    security = api.get_security_policy()
                except ServiceError:  # the status bar can live without it
                    security = None
            return info, capabilities, security

        def done(result: tuple[ServerInfo, Capabilities, SecurityPolicy | None]) -> None:
            self._checking = False
            info, capabilities, security = result
            was, node_changed = self.state, info.node != self.node
            self.node = info.node
            if capabilities != self.capabilities:
                self.capabilities = capabilities
                self.capabilities_changed.emit(capabilities)
            self._set_state(CONNECTED, "")
            if node_changed and was == CONNECTED:
                self.state_changed.emit(CONNECTED, "")  # another node answered
            if was == UNREACHABLE:
                self.reconnected.emit()
            if security is not None:
                self.report_security(security)

        def failed(error: Exception) -> None:
            self._checking = False
            self._set_state(UNREACHABLE, getattr(error, "message", str(error)))

        self.runner.run(lambda: probe(api), done, failed)

    def report_security(self, security: SecurityPolicy) -> None:
        """The applied security as a page has just read it: the status bar shows it now
        rather than at the next poll (it may have been changed outside this console)."""
        self.security_changed.emit(describe_security(security))

    def _set_state(self, state: str, detail: str) -> None:
        if state != self.state or detail:
            self.state = state
            self.state_changed.emit(state, detail)


def describe_security(security: SecurityPolicy) -> str:
    return security.describe()
