"""The audit log over the API, and the one helper every admin change calls to write to it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import AdminContext, get_context
from stsdesk.server.storage.audit import AuditEntry

__all__ = ["router", "record"]

router = APIRouter(tags=["Audit log"])


def record(context: AdminContext, actor: str, action: str, target: str, detail: str = "") -> None:
    """Write one audit entry: who, what, on what; ``detail`` must never hold a secret."""
    context.store.audit.add(actor, action, target, detail)


@router.get("/audit-logs", summary="Read the audit log, newest first")
def list_audit_logs(
    _: Admin,
    context: Annotated[AdminContext, Depends(get_context)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    actor: Annotated[str | None, Query(max_length=256)] = None,
    action: Annotated[str | None, Query(max_length=256)] = None,
) -> dict[str, Any]:
    entries = context.store.audit.entries(limit=limit, offset=offset)
    if actor:
        entries = [e for e in entries if e.actor == actor]
    if action:
        entries = [e for e in entries if action in e.action]
    return {"count": len(entries), "offset": offset, "entries": [_entry(e) for e in entries]}


def _entry(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.entry_id, "timestamp": entry.timestamp, "actor": entry.actor,
            "action": entry.action, "target": entry.target, "detail": entry.detail}
