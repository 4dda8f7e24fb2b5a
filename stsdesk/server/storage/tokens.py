"""Issued-token records for Validate, Renew and Cancel: one checked, group-committed write path."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sql_update

from stsdesk.core.tokentypes import TokenType
from stsdesk.server.errors import ValidationError
from stsdesk.server.model import IssuedTokenRecord, TokenStatus
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.checks import MAX_NAME, aware, check_text
from stsdesk.server.storage.database import Database
from stsdesk.server.storage.journal import Row, TokenJournal

__all__ = ["TokenRepository"]


class TokenRepository:
    """What the STS remembers of the tokens it issued; safe to share between threads.

    Every token record (issued or renewed) goes through :meth:`save`: checked here, then
    committed by the :class:`TokenJournal` together with the records other requests are saving
    at the same moment. :meth:`close` makes every queued record durable and stops its thread.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._journal = TokenJournal(db)

    def save(self, record: IssuedTokenRecord) -> None:
        """Remember an issued token; returns once it is committed.

        ConflictError if its id is already stored, ValidationError for a record that is not
        one (an empty id, a time without a time zone).
        """
        self._journal.save(_row(record))

    def submit(self, record: IssuedTokenRecord) -> Future[None]:
        """Queue a record for the journal's next commit without waiting for it.

        The record is checked at once (ValidationError); the future is done once the record is
        committed, or holds the error :meth:`save` would raise. Whoever issued the token must
        not hand it out before then.
        """
        return self._journal.submit(_row(record))

    def get(self, token_id: str) -> IssuedTokenRecord | None:
        with self._db.transaction("single") as conn:
            row = conn.execute(
                select(s.issued_tokens).where(s.issued_tokens.c.token_id == token_id)
            ).first()
        return None if row is None else _record(row)

    def set_status(
        self,
        token_id: str,
        status: TokenStatus,
        *,
        replaced_by: str | None = None,
        expected: TokenStatus | None = None,
    ) -> bool:
        """Move a token to ``status``; True if the token exists (and had status ``expected``).

        With ``expected`` (say ACTIVE) the change applies only while the token still has that
        status, in one statement, so two concurrent Renew requests for one token cannot both win.
        """
        condition = s.issued_tokens.c.token_id == token_id
        if expected is not None:
            condition = condition & (s.issued_tokens.c.status == TokenStatus(expected).value)
        with self._db.transaction("write") as conn:
            done = conn.execute(
                sql_update(s.issued_tokens)
                .where(condition)
                .values(status=TokenStatus(status).value, replaced_by=replaced_by)
            )
            return done.rowcount == 1

    @property
    def journal_running(self) -> bool:
        """True while the journal's writer thread is alive (it starts with the first save)."""
        return self._journal.running

    def close(self) -> None:
        """Commit every record queued so far and stop the journal's thread (at shutdown)."""
        self._journal.close()


def _row(record: IssuedTokenRecord) -> Row:
    token_id = check_text(record.token_id, "token id", required=True)
    if len(token_id) > MAX_NAME:
        raise ValidationError(f"The token id is longer than {MAX_NAME} characters.")
    try:
        status = TokenStatus(record.status).value
    except ValueError as exc:
        raise ValidationError(f"The token status {record.status!r} is unknown.") from exc
    return {
        "token_id": token_id,
        "token_type": record.token_type,
        "subject": record.subject,
        "audience": record.audience,
        "issued_at": aware(record.issued_at, "issued_at"),
        "expires_at": aware(record.expires_at, "expires_at"),
        "status": status,
        "renew_allowed": bool(record.renew_allowed),
        "renew_after_expiry": bool(record.renew_after_expiry),
        "replaced_by": record.replaced_by,
        "user_id": record.user_id,
    }


def _record(row: Any) -> IssuedTokenRecord:
    return IssuedTokenRecord(
        token_id=row.token_id,
        token_type=TokenType(row.token_type),
        subject=row.subject,
        audience=row.audience,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        status=TokenStatus(row.status),
        renew_allowed=bool(row.renew_allowed),
        renew_after_expiry=bool(row.renew_after_expiry),
        replaced_by=row.replaced_by,
        user_id=row.user_id,
    )
