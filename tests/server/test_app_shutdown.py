"""Shutting the STS down: every token it answered with is in the database, the journal is gone."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from stsdesk.core import ns
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.server.app import build_app
from stsdesk.server.bootstrap import BootstrapResult
from stsdesk.server.model import IssuedTokenRecord, RelyingParty
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage.journal import THREAD_NAME
from stsdesk.server.storage.store import Store
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.trust_client import Credentials, TrustClient
from tests.server.conftest import ADMIN_PASSWORD

AUDIENCE = "https://rp.example.org/shutdown"
ADMIN = Credentials("admin", ADMIN_PASSWORD)


def journal_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == THREAD_NAME}


def issue(client: TrustClient) -> str | None:
    """The id of a freshly issued token, or None if the request did not get one."""
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                        key_type=KeyType.BEARER, applies_to=AUDIENCE)
    exchange = client.send(rst, trust_version=TrustVersion.WST_13,
                           request_type=RequestType.ISSUE, credentials=ADMIN)
    return exchange.response.attached_reference if exchange.ok else None


def test_stop_commits_every_answered_token_and_ends_the_journal(
    server_settings: ServerSettings,
) -> None:
    settings = dataclasses.replace(server_settings, admin_password=ADMIN_PASSWORD)
    before = journal_threads()
    server = BackgroundServer(settings)
    server.start()
    answered: list[str] = []
    clients: list[threading.Thread] = []
    try:
        store = server.bootstrap.store
        app_id = store.applications.create("shutdown-rp")
        store.applications.set_relying_party(
            app_id, RelyingParty("", "", AUDIENCE, encrypt_token=False)
        )
        endpoint = server.url + "/services/wso2carbon-sts"
        trust = TrustPolicy(ca_file=str(server.ca_file))
        with TrustClient(endpoint, trust=trust) as client:
            first = issue(client)
        assert first is not None
        started = journal_threads() - before
        assert len(started) == 1  # the first token started the app's journal

        def keep_asking() -> None:
            with TrustClient(endpoint, trust=trust) as client:
                for _ in range(200):
                    try:
                        token_id = issue(client)
                    except Exception:  # noqa: BLE001 - the server went away: stop asking
                        return
                    if token_id is not None:
                        answered.append(token_id)

        clients = [threading.Thread(target=keep_asking) for _ in range(4)]
        for thread in clients:
            thread.start()
        time.sleep(0.5)  # requests are in flight when the server stops
    finally:
        server.stop()
    for thread in clients:
        thread.join(30)
    assert answered, "no token was issued while the server ran"
    assert not any(thread.is_alive() for thread in started)
    # Another process opening the database after the shutdown finds every answered token.
    reopened = Store.open(settings.effective_database_url())
    try:
        missing = [t for t in [first, *answered] if reopened.tokens.get(t) is None]
    finally:
        reopened.close()
    assert missing == []


def test_the_lifespan_stops_the_journal_of_a_store_it_was_given(
    bootstrapped: BootstrapResult, server_settings: ServerSettings
) -> None:
    now = datetime.now(UTC)
    record = IssuedTokenRecord("_lifespan", "SAML20", "admin", AUDIENCE, now,
                               now + timedelta(minutes=5))
    with TestClient(build_app(bootstrapped, server_settings), base_url="https://127.0.0.1:1"):
        bootstrapped.store.tokens.save(record)
        assert bootstrapped.store.tokens.journal_running
    assert not bootstrapped.store.tokens.journal_running
    # The store stays open for whoever gave it (and closes it).
    assert bootstrapped.store.tokens.get("_lifespan") is not None
