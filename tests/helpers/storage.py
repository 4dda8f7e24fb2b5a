"""What the storage tests share: claim URIs, a fixed instant, a statement counter."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, text

from stsdesk.server.storage.store import Store

EMAIL = "http://wso2.org/claims/emailaddress"
GIVEN = "http://wso2.org/claims/givenname"
LAST = "http://wso2.org/claims/lastname"
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


class StatementCounter:
    def __init__(self, store: Store) -> None:
        self.statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        self.statements.append(statement)


def config_version(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM config_state")).scalar_one())

