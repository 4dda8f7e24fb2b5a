"""Storage for the embedded STS: the schema and the Store every server part goes through."""

from __future__ import annotations

from stsdesk.server.storage.store import DEFAULT_SIGNING_ALIAS, Store, StoredSigningKey

__all__ = ["Store", "StoredSigningKey", "DEFAULT_SIGNING_ALIAS"]
