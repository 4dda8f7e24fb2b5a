"""Whom a security context stands for on each use: the principal its bootstrap proved, as it
is now. A federated SAML subject or another realm's Kerberos principal has no local account
to look at again; the local user of the same name is never taken for them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from stsdesk.core.wssec import FailedAuthenticationError
from stsdesk.server.passwords import CredentialCache
from stsdesk.server.storage.hotpath import FastReads
from stsdesk.server.storage.store import Store
from stsdesk.server.sts.authenticate import Authenticator

NOW = datetime.now(UTC)


@pytest.fixture
def authenticator(store: Store, fast_password_hashing: None) -> Iterator[Authenticator]:
    store.roles.create("admin")
    store.users.create("alice", "Al1ce-local-pw", roles=["admin"])
    store.users.create("root", "R00t-local-pw", roles=["admin"])  # so alice may be deleted
    reads = FastReads(store.engine, store.logins.state)
    yield Authenticator(store, CredentialCache(), reads)
    reads.close()


@pytest.mark.parametrize("principal", [
    ("saml:https://partner.example.org!alice", "alice"),
    ("saml:alice", "alice"),
    ("kerberos:alice@OTHER.ORG", "alice@OTHER.ORG"),
])
def test_a_context_of_a_principal_without_an_account_stands_for_that_principal(
    authenticator: Authenticator, store: Store, principal: tuple[str, str]
) -> None:
    user_id, username = principal
    user = authenticator.authenticate_context(user_id, username, store.snapshot(), NOW)
    assert (user.user_id, user.username) == principal
    assert user.claims == {} and not user.roles


def test_a_context_of_a_local_user_gone_since_is_refused(
    authenticator: Authenticator, store: Store
) -> None:
    alice = store.users.get("alice")
    assert alice is not None
    assert authenticator.authenticate_context(
        alice.user_id, "alice", store.snapshot(), NOW).user_id == alice.user_id
    store.users.delete_by_id(alice.user_id)
    store.users.create("alice", "An0ther-alice-pw", roles=["admin"])
    with pytest.raises(FailedAuthenticationError):
        authenticator.authenticate_context(alice.user_id, "alice", store.snapshot(), NOW)
