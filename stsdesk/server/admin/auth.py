"""HTTP Basic authentication for the admin API: only the admin role, with the STS's lockout."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from stsdesk.server.admin.context import AdminContext, get_context
from stsdesk.server.admin.errors import ApiError
from stsdesk.server.passwords import verify_no_user
from stsdesk.server.signin import SignInRefused, settle_sign_in
from stsdesk.server.storage.roles import ADMIN_ROLE

__all__ = ["require_admin", "Admin", "ADMIN_ROLE"]

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="stsdesk", charset="UTF-8"'}
_BAD = "The user name or password is wrong; repeated failures lock the account."


def _unauthorised(description: str) -> ApiError:
    return ApiError(401, "AUTH-10001", "Authentication required.", description, headers=_CHALLENGE)


def _credentials(header: str | None) -> tuple[str, str]:
    if not header:
        raise _unauthorised("Send HTTP Basic credentials of a user with the admin role.")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise _unauthorised("Only HTTP Basic authentication is supported; send 'Basic <base64>'.")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _unauthorised(
            "The Basic credentials are not valid base64 of 'user:password'."
        ) from exc
    username, separator, password = decoded.partition(":")
    if not separator or not username:
        raise _unauthorised("The Basic credentials must be 'user:password'.")
    return username, password


def require_admin(request: Request, context: Annotated[AdminContext, Depends(get_context)]) -> str:
    """FastAPI dependency: the authenticated admin's user name, or a 401/403 error."""
    return _check(request.headers.get("authorization"), context)


Admin = Annotated[str, Depends(require_admin)]


def _check(header: str | None, context: AdminContext) -> str:
    username, password = _credentials(header)
    store = context.store
    user = store.users.get(username)
    now = datetime.now(UTC)
    if user is None or not user.active:
        verify_no_user(password)  # same cost as a real check
        ok = False
    else:
        ok = context.credentials.verify(user, password)
    config = store.snapshot()
    try:
        user = settle_sign_in(store, user, ok, config.lockout, now, service="admin API",
                              proved_password=password if ok else None,
                              digest_allowed=config.password_digest.allowed,
                              attempted_username=username)
    except SignInRefused as refused:
        if refused.locked_by_administrator:
            detail = ("The account is locked by an administrator; ask another administrator to "
                      "unlock it.")
        elif refused.locked_until is not None:
            detail = ("The account is locked after repeated failed sign-ins; try again later or "
                      "ask another administrator to unlock it.")
        else:
            detail = _BAD
        raise _unauthorised(detail) from None
    if ADMIN_ROLE not in user.roles:
        raise ApiError(
            403,
            "AUTH-10003",
            "Forbidden.",
            f"The user {username!r} does not have the admin role, which the admin API requires.",
        )
    return username
