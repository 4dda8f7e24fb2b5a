"""Issued-token records: the one checked write path, its journal, and status changes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from stsdesk.server.errors import ConflictError, ValidationError
from stsdesk.server.model import IssuedTokenRecord, TokenStatus
from stsdesk.server.storage.store import Store
from tests.helpers.storage import NOW

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


# --------------------------------------------------------------------------------- tokens


def token(token_id: str = "_t1", **changes: object) -> IssuedTokenRecord:
    values: dict[str, object] = dict(
        token_id=token_id, token_type="SAML20", subject="alice", audience="https://rp/",
        issued_at=NOW, expires_at=NOW + timedelta(minutes=5),
    )
    values.update(changes)
    return IssuedTokenRecord(**values)  # type: ignore[arg-type]


def test_token_round_trip_and_status(store: Store) -> None:
    store.tokens.save(token())
    got = store.tokens.get("_t1")
    assert got == token()
    assert got.issued_at.tzinfo is not None
    with pytest.raises(ConflictError):
        store.tokens.save(token())
    assert store.tokens.set_status(
        "_t1", TokenStatus.RENEWED, replaced_by="_t2", expected=TokenStatus.ACTIVE
    ) is True
    # a second, concurrent Renew of the same token loses
    assert store.tokens.set_status(
        "_t1", TokenStatus.RENEWED, replaced_by="_t3", expected=TokenStatus.ACTIVE
    ) is False
    renewed = store.tokens.get("_t1")
    assert renewed.status is TokenStatus.RENEWED and renewed.replaced_by == "_t2"
    assert store.tokens.set_status("_t1", TokenStatus.CANCELLED) is True  # any status
    assert store.tokens.get("_t1").status is TokenStatus.CANCELLED
    assert store.tokens.set_status("missing", TokenStatus.CANCELLED) is False
    assert store.tokens.get("missing") is None


def test_token_times_keep_their_instant(store: Store) -> None:
    plus_two = NOW.astimezone(timezone(timedelta(hours=2)))
    store.tokens.save(token("_tz", issued_at=plus_two, expires_at=plus_two + timedelta(minutes=1)))
    got = store.tokens.get("_tz")
    assert got.issued_at == NOW and got.issued_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        store.tokens.save(token("_naive", issued_at=datetime(2030, 1, 1)))  # noqa: DTZ001
