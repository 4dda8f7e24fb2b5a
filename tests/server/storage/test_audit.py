"""The audit log."""

from __future__ import annotations

import pytest

from stsdesk.server.errors import ValidationError
from stsdesk.server.storage.store import Store

# --------------------------------------------------------------------------------- audit


def test_audit_newest_first_with_paging(store: Store) -> None:
    for i in range(5):
        store.audit.add("admin", "update", f"app-{i}", detail=f"change {i}")
    entries = store.audit.entries(limit=2)
    assert [e.target for e in entries] == ["app-4", "app-3"]
    assert entries[0].actor == "admin" and entries[0].detail == "change 4"
    assert entries[0].timestamp.tzinfo is not None
    assert [e.target for e in store.audit.entries(limit=2, offset=4)] == ["app-0"]
    with pytest.raises(ValidationError):
        store.audit.entries(limit=0)
