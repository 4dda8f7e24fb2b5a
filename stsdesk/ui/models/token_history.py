"""The test client's session history as a table model: one frozen TokenResult per row."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QBrush, QColor

from stsdesk.services.token_session import TokenResult
from stsdesk.ui.models.base import ROW_ROLE, Column, RowTableModel

__all__ = ["TokenHistoryTableModel", "outcome_of"]

_RED = QBrush(QColor("#c62828"))


def outcome_of(result: TokenResult) -> str:
    """What came of one request, in a few words."""
    if result.error:
        return f"failed: {result.error}"
    if result.fault_code:
        return f"refused: {result.fault_name} — {result.fault_reason or ''}".rstrip(" —")
    if result.valid is not None:
        return "valid" if result.valid else f"invalid: {result.status_reason or ''}".rstrip(": ")
    if result.cancelled:
        return "cancelled at the STS"
    if result.decoded is not None:
        return f"token, signature {result.decoded.signature.status.value}"
    return "done"


def _token_text(result: TokenResult) -> str:
    opts = result.options
    return f"{opts.token_type.display_name}, {opts.key_type.value}"


def _elapsed_text(result: TokenResult) -> str:
    return f"{result.exchange.elapsed_seconds * 1000:.0f} ms" if result.exchange else ""


def _outcome_colour(result: TokenResult) -> QBrush | None:
    return _RED if result.error or result.fault_code or result.valid is False else None


def _summary(result: TokenResult) -> str:
    return result.summary


def _action_text(result: TokenResult) -> str:
    return result.action.value


class TokenHistoryTableModel(RowTableModel[TokenResult]):
    """Columns: time, action, token, outcome, time taken. In the order the requests were made."""

    TIME, ACTION, TOKEN, OUTCOME, ELAPSED = range(5)
    COLUMNS = (
        Column("Time", lambda r: r.started_at.astimezone().strftime("%H:%M:%S"),
               sort_key=lambda r: r.started_at.timestamp(), tooltip=_summary),
        Column("Action", _action_text, sort_key=_action_text, tooltip=_summary),
        Column("Token", _token_text, sort_key=_token_text, tooltip=_summary),
        Column("Outcome", outcome_of, sort_key=outcome_of, tooltip=_summary,
               foreground=_outcome_colour),
        Column("Took", _elapsed_text,
               sort_key=lambda r: r.exchange.elapsed_seconds if r.exchange else -1.0,
               tooltip=_summary),
    )
    RESULT_ROLE = ROW_ROLE  # the TokenResult of the row

    def set_results(self, results: Iterable[TokenResult]) -> None:
        self.set_rows(results)

    def result_at(self, row: int) -> TokenResult | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, result: TokenResult) -> int:
        return self.row_where(lambda candidate: candidate is result)
