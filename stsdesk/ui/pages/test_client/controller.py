"""The test client's controller: drives a TokenSession off the GUI thread; it has no widgets."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from cryptography import x509
from lxml import etree
from PySide6.QtCore import QObject, Signal

from stsdesk.core.tokeninfo import PrivateKey, decode_token
from stsdesk.core.tokeninput import extract_token
from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.certificates import ServerCertificates, fetch_server_certificates
from stsdesk.services.admin.models import SecurityPolicy
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.errors import RequestCancelledError, ServiceError
from stsdesk.services.token_session import TokenRequestOptions, TokenResult, TokenSession
from stsdesk.ui.errors import describe, is_expected
from stsdesk.ui.tasks import TaskRunner

__all__ = [
    "TestClientController", "RequestFailure", "ServerChoices", "fetch_choices", "keyring_key",
]

log = logging.getLogger("stsdesk.ui.test_client")

_KEYRING_PREFIX = "test-client:"


@dataclass(frozen=True)
class ServerChoices:
    """What the connected server offers the form: its STS address, audiences, claims, certs."""

    sts_url: str = ""
    audiences: tuple[str, ...] = ()
    claims: tuple[tuple[str, str], ...] = ()  # (URI, display name)
    certificates: ServerCertificates = field(default_factory=ServerCertificates)
    security: SecurityPolicy | None = None  # the applied scenario (None: not readable)


def fetch_choices(api: AdminApi) -> ServerChoices:
    """Read what the form offers (blocking: run it off the GUI thread)."""
    endpoints = api.get_endpoints()
    services = api.list_trusted_services()
    claims = api.list_local_claims()
    try:
        security: SecurityPolicy | None = api.get_security_policy()
    except ServiceError as exc:  # a server without the STS security API: chosen by hand
        log.info("The applied security policy could not be read: %s", exc)
        security = None
    return ServerChoices(
        sts_url=endpoints.sts_url,
        audiences=tuple(sorted({s.audience for s in services if s.audience})),
        claims=tuple((c.uri, c.display_name) for c in claims if c.uri),
        certificates=fetch_server_certificates(api),
        security=security,
    )


def decrypt_result(result: TokenResult, keys: Sequence[PrivateKey],
                   certificates: Mapping[str, x509.Certificate]) -> TokenResult:
    """``result`` with its encrypted token opened by the relying party's key (off the GUI
    thread: RSA work). The whole RSTR is decoded again, so the response's wst:Lifetime still
    goes with the token."""
    exchange = result.exchange
    if exchange is not None and exchange.response_bytes:
        data = exchange.response_bytes
    elif result.token is not None:
        data = etree.tostring(result.token)
    else:
        raise ValueError("That request brought no token to decrypt.")
    decoded = decode_token(extract_token(data), trusted=certificates, private_keys=keys,
                           known=certificates)
    return replace(result, decoded=decoded)


def keyring_key(endpoint: str, username: str) -> str:
    """Where the test client keeps a remembered password in the OS keyring."""
    return f"{_KEYRING_PREFIX}{endpoint.strip()}|{username.strip()}"


@dataclass(frozen=True)
class RequestFailure:
    """Why a request brought no result: cancelled, an expected error, or a bug."""

    action: str  # e.g. "Requesting a token"
    message: str  # the outcome line
    cancelled: bool = False
    bug: Exception | None = None  # not an expected error: it belongs in the crash dialog


class TestClientController(QObject):
    """The session, the token in hand and the requests in flight, for the Test client page.

    One request runs at a time, on the runner's thread pool. ``request_started(action)``,
    then ``request_finished(TokenResult)`` or ``request_failed(RequestFailure)``; ``stop()``
    cancels what is in flight (its late answer is dropped).
    """

    __test__ = False  # not a pytest test class, despite its name

    busy_changed = Signal(bool)
    request_started = Signal(str)
    request_finished = Signal(object)  # TokenResult
    request_failed = Signal(object)  # RequestFailure
    password_found = Signal(str, str)  # user name, the password remembered for it
    password_not_saved = Signal(str)  # why the keyring refused

    def __init__(self, runner: TaskRunner, credentials: CredentialStore,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.credentials = credentials
        self.session: TokenSession | None = None
        self.busy = False
        self._action = ""
        self._request = 0  # the request whose answer counts; a stopped one's is dropped

    @property
    def history(self) -> tuple[TokenResult, ...]:
        return self.session.history if self.session is not None else ()

    @property
    def token_in_hand(self) -> bool:
        return self.session is not None and self.session.current is not None

    # -- requests --------------------------------------------------------------------------

    def issue(self, options: TokenRequestOptions, *,
              certificates: Mapping[str, x509.Certificate],
              private_keys: Sequence[PrivateKey], remember: bool) -> None:
        """Request a token; ``remember`` keeps the password in the keyring once it worked."""
        if self.busy:
            return
        if self.session is None:
            self.session = TokenSession(options)
        session = self.session
        # Our own signing keys and trust store decide what "trusted" means; a remote STS's
        # certificate is not among them, so its tokens show as untrusted, as they should.
        session.trusted = dict(certificates)
        session.known = dict(certificates)
        session.private_keys = tuple(private_keys)
        self._run(lambda: session.issue(options), "Requesting a token",
                  after=lambda result: self._remember_password(options, remember, result))

    def validate(self) -> None:
        self._act(lambda session: session.validate(), "Validating the token")

    def renew(self) -> None:
        self._act(lambda session: session.renew(), "Renewing the token")

    def cancel_token(self) -> None:
        self._act(lambda session: session.cancel(), "Cancelling the token")

    def stop(self) -> bool:
        """Abandon the request in flight at once; False when there is none.

        The page is free again immediately (``request_failed`` says it was cancelled); the
        worker's late answer is dropped and its connection closed, rather than keeping the
        page at "Cancelling…" until the request's time-out.
        """
        if not self.busy:
            return False
        self._request += 1
        if self.session is not None:
            self.session.abandon()
        self._set_busy(False)
        self.request_failed.emit(RequestFailure(
            self._action, f"{self._action} was cancelled; whatever comes back will not be used. "
            "Press Request token to try again.", cancelled=True))
        return True

    def reopen(self, result: TokenResult) -> bool:
        """Make ``result``'s token the token in hand; False when it has none (or no session)."""
        if self.busy or result.token is None or self.session is None:
            return False
        self.session.use(result)
        return True

    def _act(self, work: Callable[[TokenSession], TokenResult], action: str) -> None:
        session = self.session
        if self.busy or session is None or session.current is None:
            return
        self._run(lambda: work(session), action)

    def _run(self, work: Callable[[], TokenResult], action: str, *,
             after: Callable[[TokenResult], None] | None = None) -> None:
        self._request += 1
        request = self._request
        self._action = action
        self._set_busy(True)
        self.request_started.emit(action)

        def done(result: TokenResult) -> None:
            if request != self._request:
                return  # stopped: the person has moved on
            self._set_busy(False)
            if after is not None:
                after(result)
            self.request_finished.emit(result)

        def failed(error: Exception) -> None:
            if request != self._request:
                return
            self._set_busy(False)
            self.request_failed.emit(self._failure(action, error))

        self.runner.run(work, done, failed)

    def _failure(self, action: str, error: Exception) -> RequestFailure:
        if isinstance(error, RequestCancelledError):
            return RequestFailure(action, f"{action} was cancelled; nothing that came back was "
                                  "used. Press Request token to try again.", cancelled=True)
        if is_expected(error):
            return RequestFailure(action, describe(error, action))
        return RequestFailure(action, f"{action} failed.", bug=error)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)

    # -- the remembered password -----------------------------------------------------------

    def look_up_password(self, endpoint: str, username: str) -> None:
        """Read a remembered password off the GUI thread (the keyring may block)."""
        key = keyring_key(endpoint, username)

        def found(secret: str | None) -> None:
            if secret:
                self.password_found.emit(username, secret)

        self.runner.run(lambda: self.credentials.get(key), found,
                        lambda error: log.info("No remembered password: %s", error))

    def _remember_password(self, options: TokenRequestOptions, remember: bool,
                           result: TokenResult) -> None:
        # Only a password the STS accepted is worth keeping; unticking forgets it.
        key = keyring_key(options.endpoint, options.username)
        if remember and result.ok:
            secret = options.password
            work: Callable[[], None] = lambda: self.credentials.set(key, secret)  # noqa: E731
        elif not remember:
            work = lambda: self.credentials.delete(key)  # noqa: E731
        else:
            return
        self.runner.run(work, lambda _none: None,
                        lambda error: self.password_not_saved.emit(describe(
                            error, "Remembering the password")))
