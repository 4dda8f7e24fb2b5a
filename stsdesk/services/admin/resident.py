"""What changed in the resident identity provider, as ordered edits any backend can send."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from stsdesk.services.admin.models import ResidentIdp

__all__ = ["ChangeAction", "ChangedField", "ResidentIdpChange", "resident_idp_changes"]


class ChangeAction(StrEnum):
    ADD = "ADD"
    REMOVE = "REMOVE"
    REPLACE = "REPLACE"


class ChangedField(StrEnum):
    HOME_REALM = "home_realm_identifier"  # one entry of the list, at ``index``
    IDLE_SESSION_TIMEOUT = "idle_session_timeout_minutes"
    REMEMBER_ME = "remember_me_minutes"
    ISSUER = "issuer"


@dataclass(frozen=True)
class ResidentIdpChange:
    """One edit; applied in order they turn the stored settings into the wanted ones."""

    action: ChangeAction
    field: ChangedField
    value: str | None = None
    index: int | None = None  # for HOME_REALM: the list position, as it is when applied


def resident_idp_changes(before: ResidentIdp, after: ResidentIdp) -> tuple[ResidentIdpChange, ...]:
    """The edits that turn ``before`` into ``after`` (empty when equal)."""
    changes = _realm_changes(before.home_realm_identifiers, after.home_realm_identifiers)
    if after.idle_session_timeout_minutes != before.idle_session_timeout_minutes:
        changes.append(ResidentIdpChange(ChangeAction.REPLACE, ChangedField.IDLE_SESSION_TIMEOUT,
                                         str(after.idle_session_timeout_minutes)))
    if after.remember_me_minutes != before.remember_me_minutes:
        changes.append(ResidentIdpChange(ChangeAction.REPLACE, ChangedField.REMEMBER_ME,
                                         str(after.remember_me_minutes)))
    if after.issuer != before.issuer and after.issuer is not None:
        changes.append(ResidentIdpChange(ChangeAction.REPLACE, ChangedField.ISSUER, after.issuer))
    return tuple(changes)


def _realm(action: ChangeAction, index: int, value: str | None = None) -> ResidentIdpChange:
    return ResidentIdpChange(action, ChangedField.HOME_REALM, value, index)


def _realm_changes(old: Sequence[str], new: Sequence[str]) -> list[ResidentIdpChange]:
    """Index edits for the identifier list.

    The server applies them in order and refuses a value that is already in the list, so a
    naive position-by-position REPLACE breaks on a reordering. Instead: REPLACE where an item
    was edited into a value the old list does not have, then REMOVE (from the end, so indices
    stay valid) what is gone, then ADD in ascending order what is new or moved.
    """
    if list(old) == list(new):
        return []
    old_values = set(old)
    kept: set[int] = set()
    replaced: dict[int, str] = {}
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            kept.update(range(i1, i2))
        elif tag == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                if new[j] not in old_values:
                    replaced[i] = new[j]
    changes: list[ResidentIdpChange] = []
    working = list(old)
    for index, value in sorted(replaced.items()):
        changes.append(_realm(ChangeAction.REPLACE, index, value))
        working[index] = value
    for index in sorted(set(range(len(old))) - kept - replaced.keys(), reverse=True):
        changes.append(_realm(ChangeAction.REMOVE, index))
        del working[index]
    # ``working`` is now a subsequence of ``new``: inserting the missing values in ascending
    # target order yields ``new`` and never adds a value that is still present.
    for index, value in enumerate(new):
        if index >= len(working) or working[index] != value:
            changes.append(_realm(ChangeAction.ADD, index, value))
            working.insert(index, value)
    if working != list(new):  # a bug here would silently save the wrong list
        raise RuntimeError("internal error: the identifier changes could not be computed")
    return changes
