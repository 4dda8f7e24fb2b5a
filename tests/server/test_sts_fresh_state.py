"""What another worker changes is what the STS's next request sees: locks, passwords, roles.

The token path keeps the configuration and each user's profile cached per configuration
version and reads the login state on its own connections; none of that may hide a change made
a moment ago by the admin API of another worker process.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion, build_envelope, parse_fault
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.server.bootstrap import BootstrapResult, open_existing
from stsdesk.server.model import LockoutPolicy, RelyingParty
from stsdesk.server.passwords import CredentialCache
from stsdesk.server.settings import ServerSettings
from stsdesk.server.sts.service import TrustService
from tests.server.conftest import ADMIN_PASSWORD

AUDIENCE = "https://rp.example.org/fresh"
NEW_PASSWORD = "N3w-admin-passw0rd"


@pytest.fixture
def service(bootstrapped: BootstrapResult, fast_password_hashing) -> Iterator[TrustService]:
    app_id = bootstrapped.store.applications.create("fresh")
    bootstrapped.store.applications.set_relying_party(
        app_id, RelyingParty("", "fresh", AUDIENCE, encrypt_token=False))
    trust = TrustService(
        bootstrapped.store, bootstrapped.keystore, CredentialCache(),
        signing_certificates=bootstrapped.keystore.signing_certificates,
    )
    yield trust
    trust.close()


@pytest.fixture
def other_worker(server_settings: ServerSettings) -> Iterator[BootstrapResult]:
    """The same data directory opened as another worker process opens it."""
    other = open_existing(server_settings)
    yield other
    other.close()


def _ask(service: TrustService, password: str = ADMIN_PASSWORD) -> tuple[int, str]:
    """The HTTP status and, for a fault, its reason."""
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                        key_type=KeyType.BEARER, applies_to=AUDIENCE)
    header = build_security_header(SoapVersion.SOAP12, username="admin", password=password)
    reply = service.handle(build_envelope(SoapVersion.SOAP12, rst, headers=[header]),
                           content_type=SoapVersion.SOAP12.content_type, soap_action=None)
    return reply.status, "" if reply.status == 200 else parse_fault(reply.body)[1]


def _admin_id(worker: BootstrapResult) -> str:
    admin = worker.store.users.get("admin")
    assert admin is not None
    return admin.user_id


def test_an_administrators_lock_and_unlock_on_another_worker_hold_for_the_next_request(
        service, other_worker):
    assert _ask(service) == (200, "")  # the profile is cached now
    other_worker.store.users.update(_admin_id(other_worker), lock=True)
    status, reason = _ask(service)
    assert status == 400 and "locked by an administrator" in reason
    other_worker.store.users.update(_admin_id(other_worker), unlock=True)
    assert _ask(service) == (200, "")


def test_a_lockout_counted_on_another_worker_holds_for_the_next_request(service, other_worker):
    assert _ask(service) == (200, "")
    locked = other_worker.store.logins.record_failure(
        "admin", LockoutPolicy(max_failed_attempts=1), datetime.now(UTC))
    assert locked is not None
    status, reason = _ask(service)
    assert status == 400 and "locked after repeated failed sign-ins" in reason
    other_worker.store.logins.unlock("admin")
    assert _ask(service) == (200, "")


def test_a_password_changed_on_another_worker_holds_for_the_next_request(service, other_worker):
    assert _ask(service) == (200, "")  # the credential cache knows the old password now
    other_worker.store.users.set_password("admin", NEW_PASSWORD)
    status, reason = _ask(service)
    assert status == 400 and "user name or password is wrong" in reason
    assert _ask(service, NEW_PASSWORD) == (200, "")


def test_a_role_taken_away_on_another_worker_holds_for_the_next_request(service, other_worker):
    assert _ask(service) == (200, "")
    other_worker.store.roles.create("auditor")
    other_worker.store.users.set_roles("admin", ["admin", "auditor"])
    assert _ask(service) == (200, "")
    other_worker.store.users.set_roles("admin", ["auditor"])
    status, reason = _ask(service)
    assert status == 400 and "not authorised to obtain tokens" in reason


def test_a_token_request_reads_the_version_and_the_login_state_in_one_statement(
        bootstrapped, service, other_worker):
    assert _ask(service) == (200, "")  # the configuration and the profile are cached now
    statements: list[str] = []

    def trace(dbapi_connection, *_: object) -> None:  # noqa: ANN001
        dbapi_connection.set_trace_callback(statements.append)

    # The fast reads keep their connection between requests: give them a new one, traced.
    service._reads.close()
    event.listen(bootstrapped.store.engine, "checkout", trace)
    try:
        assert _ask(service) == (200, "")
        other_worker.store.logins.record_failure(
            "admin", LockoutPolicy(max_failed_attempts=1), datetime.now(UTC))
        status, reason = _ask(service)  # the lock is in the same read as the version
        assert status == 400 and "locked after repeated failed sign-ins" in reason
    finally:
        event.remove(bootstrapped.store.engine, "checkout", trace)
    reads = [sql for sql in statements if "config_state" in sql or "FROM users" in sql]
    assert len(reads) == 2, statements
    assert all("LEFT JOIN users" in sql for sql in reads)
