"""The audit log: who changed what, and when; entries never hold a secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select

from stsdesk.server.errors import ValidationError
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.database import Database

__all__ = ["AuditRepository", "AuditEntry"]


@dataclass(frozen=True)
class AuditEntry:
    entry_id: int
    timestamp: datetime
    actor: str
    action: str
    target: str
    detail: str = ""


class AuditRepository:
    """Appends to and pages through the audit log (not configuration: no version bump)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, actor: str, action: str, target: str, detail: str = "") -> None:
        with self._db.transaction("write") as conn:
            conn.execute(
                insert(s.audit_log).values(
                    at=datetime.now(UTC), actor=actor, action=action, target=target, detail=detail
                )
            )

    def entries(self, *, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Newest first, ``limit`` (1 to 1000) entries from ``offset``."""
        if not 1 <= limit <= 1000 or offset < 0:
            raise ValidationError("Ask for 1 to 1000 audit entries from an offset of 0 or more.")
        with self._db.transaction("single") as conn:
            rows = conn.execute(
                select(s.audit_log).order_by(s.audit_log.c.id.desc()).limit(limit).offset(offset)
            ).all()
        return [
            AuditEntry(entry_id=r.id, timestamp=r.at, actor=r.actor, action=r.action,
                       target=r.target, detail=r.detail)
            for r in rows
        ]
