"""Security contexts in the database: sealed keys, cancellation, renewal and expiry."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from stsdesk.server.errors import SealedDataError
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.store import Store

NOW = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)


def _add(store: Store, identifier: str, key: bytes, *, expires: datetime | None = None) -> None:
    store.contexts.add(identifier, key, user_id="u-1", username="alice", created_at=NOW,
                       expires_at=expires or NOW + timedelta(hours=1))


def test_a_context_is_kept_with_its_key_sealed(store: Store) -> None:
    key = os.urandom(32)
    _add(store, "urn:uuid:a", key)
    found = store.contexts.get("urn:uuid:a")
    assert found is not None and found.key == key and found.username == "alice"
    assert found.expires_at == NOW + timedelta(hours=1) and found.cancelled_at is None
    with store.engine.connect() as conn:
        sealed = conn.execute(select(s.security_contexts.c.key_sealed)).scalar_one()
    assert key not in bytes(sealed)  # a copy of the database alone gives no context key
    assert store.contexts.get("urn:uuid:unknown") is None


def test_a_sealed_key_moved_to_another_context_does_not_open(store: Store) -> None:
    _add(store, "urn:uuid:a", os.urandom(32))
    _add(store, "urn:uuid:b", os.urandom(32))
    with store.engine.begin() as conn:
        sealed = conn.execute(select(s.security_contexts.c.key_sealed).where(
            s.security_contexts.c.identifier == "urn:uuid:a")).scalar_one()
        conn.execute(s.security_contexts.update().where(
            s.security_contexts.c.identifier == "urn:uuid:b").values(key_sealed=sealed))
    with pytest.raises(SealedDataError):
        store.contexts.get("urn:uuid:b")


def test_another_node_with_the_same_master_secret_reads_it(store: Store, master: MasterSecret
                                                           ) -> None:
    key = os.urandom(32)
    _add(store, "urn:uuid:shared", key)
    other = Store(store.engine, master)
    assert other.contexts.get("urn:uuid:shared").key == key


def test_cancel_once_and_a_cancelled_context_is_not_renewed(store: Store) -> None:
    _add(store, "urn:uuid:a", os.urandom(32))
    assert store.contexts.extend("urn:uuid:a", NOW + timedelta(hours=2))
    assert store.contexts.get("urn:uuid:a").expires_at == NOW + timedelta(hours=2)
    assert store.contexts.cancel("urn:uuid:a", NOW)
    assert not store.contexts.cancel("urn:uuid:a", NOW)
    assert store.contexts.get("urn:uuid:a").cancelled_at == NOW
    assert not store.contexts.extend("urn:uuid:a", NOW + timedelta(hours=3))
    assert not store.contexts.cancel("urn:uuid:unknown", NOW)


def test_expired_contexts_are_purged_when_new_ones_come(store: Store, master: MasterSecret
                                                        ) -> None:
    _add(store, "urn:uuid:old", os.urandom(32), expires=NOW - timedelta(seconds=1))
    _add(store, "urn:uuid:soon", os.urandom(32))
    # Purged at most once a minute per node: the first context a node adds purges.
    assert store.contexts.get("urn:uuid:old") is not None
    node = Store(store.engine, master)
    _add(node, "urn:uuid:live", os.urandom(32))
    assert store.contexts.get("urn:uuid:old") is None
    assert store.contexts.get("urn:uuid:soon") is not None
