"""How a SCIM request changes a user: the body POST and PUT take, PATCH operations (RFC 7644
§3.5.2, value filters included) and the claims a user's attributes are stored as."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import BaseModel, ConfigDict, Field

from stsdesk.core.claims import EMAIL, GIVEN_NAME, LAST_NAME
from stsdesk.core.limits import MIN_PASSWORD_LENGTH
from stsdesk.server.admin.scim_common import (
    MAX_EXTERNAL_ID,
    PatchPath,
    Short,
    check_external_id,
    element_resolver,
    value_filter,
)
from stsdesk.server.admin.scim_filter import Comparison, Filter, FilterAttribute, Logical, matches
from stsdesk.server.admin.scim_schemas import WSO2_SCHEMA, scim_error
from stsdesk.server.model import UserRecord
from stsdesk.server.settings import DEFAULT_USER_NAME_PATTERN
from stsdesk.server.storage.user_certificates import MAX_CERTIFICATES_PER_USER

__all__ = [
    "ScimName", "ScimEmail", "ScimCertificate", "Wso2UserExtension", "ScimUserIn", "UserState",
    "apply_operation", "desired_claims", "emails_out", "certificate_der", "certificates_out", "check_password", "check_user_name", "MIN_PASSWORD_LENGTH",
    "FULL_NAME", "FORMATTED_NAME", "EMAIL_TYPE_CLAIMS", "MAPPED_CLAIMS", "EMAIL_VALUE_ATTRIBUTES",
]

FULL_NAME = "http://wso2.org/claims/fullname"
# name.formatted, as WSO2 maps it.
FORMATTED_NAME = "http://wso2.org/claims/formattedName"
# WSO2's claims for typed addresses (emails.work -> http://wso2.org/claims/emails.work).
EMAIL_TYPE_CLAIMS = {t: f"http://wso2.org/claims/emails.{t}" for t in ("work", "home", "other")}
MAPPED_CLAIMS = (GIVEN_NAME, LAST_NAME, FORMATTED_NAME, FULL_NAME, EMAIL,
                 *EMAIL_TYPE_CLAIMS.values())
_MAX_EMAILS = 4
MAX_CERTIFICATE_TEXT = 20_000  # base64 characters: a certificate is a few kilobytes
_WSO2 = WSO2_SCHEMA.lower()
# What a filter in emails[...] may name: one address's sub-attributes.
EMAIL_VALUE_ATTRIBUTES = {
    "value": FilterAttribute("value"),
    "type": FilterAttribute("type"),
    "primary": FilterAttribute("primary", kind="boolean"),
}


# ------------------------------------------------------------------------------------ bodies


class ScimName(BaseModel):
    model_config = ConfigDict(extra="ignore")
    formatted: str | None = Field(None, max_length=512)
    familyName: str | None = Field(None, max_length=255)  # noqa: N815 (SCIM's spelling)
    givenName: str | None = Field(None, max_length=255)  # noqa: N815


class ScimEmail(BaseModel):
    model_config = ConfigDict(extra="ignore")
    value: str = Field(max_length=254)
    type: str | None = Field(None, max_length=16)
    primary: bool | None = None


class ScimCertificate(BaseModel):
    """One of ``x509Certificates`` (RFC 7643 §4.1.2): the DER, base64-encoded."""

    model_config = ConfigDict(extra="ignore")
    value: str = Field(max_length=MAX_CERTIFICATE_TEXT)


class Wso2UserExtension(BaseModel):
    model_config = ConfigDict(extra="ignore")
    accountLocked: bool | None = None  # noqa: N815
    failedLoginAttempts: int | None = None  # noqa: N815 (read-only: ignored on input)
    passwordSet: bool | None = None  # noqa: N815 (read-only: ignored on input)


class ScimUserIn(BaseModel):
    """A user as POST and PUT take it; read-only attributes (id, groups, meta) are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    schemas: list[Short] = Field(default_factory=list, max_length=10)
    externalId: str | None = Field(None, max_length=MAX_EXTERNAL_ID)  # noqa: N815
    userName: str | None = Field(None, max_length=255)  # noqa: N815
    password: str | None = Field(None, max_length=256)
    name: ScimName | None = None
    displayName: str | None = Field(None, max_length=255)  # noqa: N815
    emails: list[ScimEmail] | None = Field(None, max_length=10)
    x509Certificates: list[ScimCertificate] | None = Field(  # noqa: N815
        None, max_length=MAX_CERTIFICATES_PER_USER)
    active: bool | None = None
    wso2: Wso2UserExtension | None = Field(None, alias="urn:scim:wso2:schema")


def emails_out(claims: dict[str, str]) -> list[dict[str, Any]]:
    """The SCIM emails of a user's claims: the primary address (the emailaddress claim) first,
    then the typed ones, each saying whether it is the primary one."""
    primary = claims.get(EMAIL)
    result: list[dict[str, Any]] = []
    if primary:
        entry: dict[str, Any] = {"value": primary, "primary": True}
        for kind, uri in EMAIL_TYPE_CLAIMS.items():
            if claims.get(uri) == primary:
                entry["type"] = kind
                break
        result.append(entry)
    for kind, uri in EMAIL_TYPE_CLAIMS.items():
        value = claims.get(uri)
        if value and not (result and result[0].get("type") == kind):
            result.append({"value": value, "type": kind, "primary": False})
    return result


# ------------------------------------------------------------------------------------ state


@dataclass
class UserState:
    """The editable part of a user while a request's changes are applied (not yet stored)."""

    user_name: str | None = None
    password: str | None = None  # None: unchanged
    external_id: str | None = None
    display_name: str | None = None
    given: str | None = None
    family: str | None = None
    formatted: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)
    certificates: list[bytes] = field(default_factory=list)  # DER, mapped to the user
    active: bool = True
    locked: bool | None = None  # None: not asked

    @classmethod
    def of(cls, user: UserRecord, certificates: Sequence[bytes] = ()) -> UserState:
        return cls(
            certificates=list(certificates),
            user_name=user.username,
            external_id=user.external_id,
            display_name=user.claims.get(FULL_NAME),
            given=user.claims.get(GIVEN_NAME),
            family=user.claims.get(LAST_NAME),
            formatted=user.claims.get(FORMATTED_NAME),
            emails=emails_out(user.claims),
            active=user.active,
        )

    def set_from(self, body: ScimUserIn, *, replace: bool) -> None:
        """POST/PUT: take the body's attributes; PUT clears the profile attributes it omits."""
        self.user_name = body.userName
        if body.password is not None:
            self.password = body.password
        if replace or body.externalId is not None:
            self.external_id = check_external_id(body.externalId)
        if replace or body.displayName is not None:
            self.display_name = body.displayName
        if replace or body.name is not None:
            self.given = body.name.givenName if body.name else None
            self.family = body.name.familyName if body.name else None
            self.formatted = body.name.formatted if body.name else None
        if replace or body.emails is not None:
            self.emails = [e.model_dump(exclude_none=True) for e in body.emails or []]
        if replace or body.x509Certificates is not None:
            self.certificates = [certificate_der(c.value) for c in body.x509Certificates or []]
        if body.active is not None:
            self.active = body.active
        if body.wso2 is not None and body.wso2.accountLocked is not None:
            self.locked = body.wso2.accountLocked


def _text(value: Any, what: str, *, limit: int = 255) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise scim_error(400, "invalidValue", f"{what} must be text of at most {limit} characters.")
    return value


def _boolean(value: Any, what: str) -> bool:
    # Some clients (Microsoft Entra ID among them) send booleans as the strings "True"/"False".
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise scim_error(400, "invalidValue", f"{what} must be true or false.")
    return value


# ------------------------------------------------------------------------------------ PATCH


def apply_operation(state: UserState, op: str, path: PatchPath, value: Any) -> None:
    """One PATCH operation (``op`` lower-case) on one attribute (RFC 7644 §3.5.2)."""
    top = "wso2" if path.attribute == _WSO2 else path.attribute
    if path.filter_text is not None:
        if top == "groups":
            raise scim_error(400, "mutability", "groups is read-only; change group membership "
                             "through /Groups.")
        if top != "emails":
            raise scim_error(400, "invalidPath",
                             f"{path.attribute!r} takes no value filter; of a user's attributes "
                             'only emails does, as in emails[type eq "work"].value.')
        _apply_email_filter(state, op, path, value)
        return
    _apply_plain(state, op, top, path.sub, value)


def _apply_plain(state: UserState, op: str, top: str, sub: str | None, value: Any) -> None:
    remove = op == "remove"
    read_only = top in ("id", "meta", "groups", "schemas")
    if read_only or (top == "wso2" and sub in ("failedloginattempts", "passwordset")):
        shown = {"failedloginattempts": "failedLoginAttempts", "passwordset": "passwordSet"}
        raise scim_error(
            400, "mutability",
            f"{top if top != 'wso2' else shown.get(sub or '', sub)} is read-only"
            + ("; change group membership through /Groups." if top == "groups" else "."),
        )
    if top == "username" and sub is None:
        if remove:
            raise scim_error(400, "mutability", "userName is required and cannot be removed.")
        state.user_name = _text(value, "userName")
    elif top == "externalid" and sub is None:
        state.external_id = None if remove else check_external_id(value)
    elif top == "password" and sub is None:
        if remove:
            raise scim_error(400, "mutability", "The password cannot be removed; set a new one.")
        state.password = _text(value, "password", limit=256)
    elif top == "displayname" and sub is None:
        state.display_name = None if remove else _text(value, "displayName")
    elif top == "active" and sub is None:
        if remove:
            raise scim_error(400, "mutability", "active cannot be removed; set it true or false.")
        state.active = _boolean(value, "active")
    elif top == "name":
        _apply_name(state, op, sub, value)
    elif top == "emails" and sub is None:
        if remove:
            state.emails = []
        else:
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, dict) for item in items):
                raise scim_error(400, "invalidValue", "emails takes objects such as "
                                 '{"value": "a@example.org", "type": "work"}.')
            kept = state.emails if op == "add" else []
            if any(_is_primary(item) for item in items):
                kept = [_not_primary(item) for item in kept]
            state.emails = kept + [dict(item) for item in items]
    elif top == "x509certificates" and sub is None:
        if remove:
            state.certificates = []
        else:
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, dict) for item in items):
                raise scim_error(400, "invalidValue", "x509Certificates takes objects such as "
                                 '{"value": "MIIC..."} (the DER, base64-encoded).')
            given = [certificate_der(item.get("value")) for item in items]
            state.certificates = (state.certificates if op == "add" else []) + given
    elif top == "wso2":
        if sub is None:
            if remove or not isinstance(value, dict):
                raise scim_error(400, "invalidValue", f"{WSO2_SCHEMA} takes an object such as "
                                 '{"accountLocked": false}.')
            for key, item in value.items():
                if key.lower() != "schemas":  # some clients serialise an extension with one
                    _apply_plain(state, op, "wso2", key.lower(), item)
        elif sub == "accountlocked":
            if remove:
                raise scim_error(400, "mutability", "accountLocked cannot be removed.")
            state.locked = _boolean(value, "accountLocked")
        else:
            raise scim_error(400, "invalidPath", f"{WSO2_SCHEMA} has no attribute {sub!r}.")
    else:
        raise scim_error(
            400, "invalidPath",
            f"{top + ('.' + sub if sub else '')!r} is not an attribute a user can change here; use "
            "userName, externalId, password, name, displayName, emails, x509Certificates, "
            "active or "
            f"{WSO2_SCHEMA}:accountLocked.",
        )


def _apply_name(state: UserState, op: str, sub: str | None, value: Any) -> None:
    if sub is None:
        if op == "remove":
            state.given = state.family = state.formatted = None
            return
        if not isinstance(value, dict):
            raise scim_error(400, "invalidValue", "name takes an object such as "
                             '{"givenName": "Barbara", "familyName": "Jensen"}.')
        for key, item in value.items():
            _apply_name(state, op, key.lower(), item)
        return
    if sub == "formatted":
        state.formatted = None if op == "remove" else _text(value, "name.formatted", limit=512)
    elif sub == "givenname":
        state.given = None if op == "remove" else _text(value, "name.givenName")
    elif sub == "familyname":
        state.family = None if op == "remove" else _text(value, "name.familyName")
    else:
        raise scim_error(400, "invalidPath", f"name has no sub-attribute {sub!r}.")


def _is_primary(item: Any) -> bool:
    flag = item.get("primary") if isinstance(item, dict) else None
    return flag is True or (isinstance(flag, str) and flag.lower() == "true")


def _not_primary(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "primary": False}


def _apply_email_filter(state: UserState, op: str, path: PatchPath, value: Any) -> None:
    """``emails[<filter>]`` or ``emails[<filter>].<sub>``: the addresses the filter selects."""
    node = value_filter(path, EMAIL_VALUE_ATTRIBUTES)
    sub = path.sub
    if sub is not None and sub not in EMAIL_VALUE_ATTRIBUTES:
        raise scim_error(400, "invalidPath",
                         f"An e-mail address has no sub-attribute {sub!r}; use value, type or "
                         "primary.")
    chosen = [i for i, e in enumerate(state.emails) if matches(node, element_resolver(e))]
    if op == "remove":
        if sub in (None, "value"):  # an address without its value is no address
            state.emails = [e for i, e in enumerate(state.emails) if i not in chosen]
        else:
            for i in chosen:
                state.emails[i] = {k: v for k, v in state.emails[i].items() if k != sub}
        return
    if sub is None and not isinstance(value, dict):
        raise scim_error(400, "invalidValue", f"{path.attribute}[...] takes an object such as "
                         '{"value": "a@example.org", "type": "work"}.')
    if not chosen:
        if op == "replace":
            # RFC 7644 §3.5.2.3: a value filter that selects nothing is noTarget for replace.
            raise scim_error(400, "noTarget",
                             f"No e-mail address matches [{path.filter_text}]; use add to give "
                             "one.")
        # add (as Microsoft Entra ID sends for a first address): a new address, made from the
        # filter's eq comparisons and the value.
        state.emails.append(_new_email(node, path, sub, value))
        chosen = [len(state.emails) - 1]
    else:
        for i in chosen:
            update = value if sub is None else {sub: value}
            base = {} if op == "replace" and sub is None else state.emails[i]
            state.emails[i] = {**base, **update}
    if any(_is_primary(state.emails[i]) for i in chosen):
        # RFC 7643 §2.4: at most one primary value; the one just set wins.
        state.emails = [e if i in chosen else _not_primary(e) for i, e in enumerate(state.emails)]


def _new_email(node: Filter, path: PatchPath, sub: str | None, value: Any) -> dict[str, Any]:
    terms: list[Comparison] = []
    pending: list[Filter] = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, Logical) and item.operator == "and":
            pending += [item.left, item.right]
        elif isinstance(item, Comparison) and item.operator == "eq" and item.value is not None:
            terms.append(item)
        else:
            raise scim_error(400, "noTarget",
                             f"No e-mail address matches [{path.filter_text}], and only a filter "
                             'of eq comparisons joined by and (such as type eq "work") describes '
                             "one to add.")
    email: dict[str, Any] = {term.attribute.path: term.value for term in terms}
    if sub is not None:
        email[sub] = value
    else:
        email.update(value)
    return email


# ------------------------------------------------------------------------------------ claims


def _email_claims(emails: list[dict[str, Any]]) -> dict[str, str]:
    if len(emails) > _MAX_EMAILS:
        raise scim_error(400, "invalidValue",
                         f"A user has at most {_MAX_EMAILS} e-mail addresses (one primary, one "
                         "each of type work, home and other).")
    cleaned = []
    for item in emails:
        value = item.get("value")
        if (not isinstance(value, str) or "@" not in value or len(value) > 254
                or any(ch.isspace() or ord(ch) < 32 for ch in value)):
            raise scim_error(400, "invalidValue",
                             f"{str(value)[:60]!r} is not an e-mail address; give one such as "
                             "bjensen@example.com.")
        kind = item.get("type")
        known = isinstance(kind, str) and kind.lower() in EMAIL_TYPE_CLAIMS
        if kind is not None and not known:
            raise scim_error(400, "invalidValue",
                             f"The e-mail type {str(kind)[:20]!r} is not supported; use work, "
                             "home or other.")
        primary = item.get("primary")
        if primary is not None:
            primary = _boolean(primary, "emails.primary")
        cleaned.append((value, None if kind is None else kind.lower(), primary))
    if sum(1 for _, _, p in cleaned if p) > 1:
        raise scim_error(400, "invalidValue", "Only one e-mail address can be primary.")
    claims: dict[str, str] = {}
    # The primary address is the emailaddress claim the STS issues: the one marked primary, else
    # an untyped one, else the first that does not say it is not primary. Addresses marked
    # "primary": false stay typed addresses only, as the client asked.
    chosen = (next((c for c in cleaned if c[2]), None)
              or next((c for c in cleaned if c[1] is None), None)
              or next((c for c in cleaned if c[2] is None), None))
    if chosen is not None:
        claims[EMAIL] = chosen[0]
    if cleaned:
        for value, kind, _ in cleaned:
            if kind is None:
                if chosen is None or (value, kind) != (chosen[0], chosen[1]):
                    raise scim_error(400, "invalidValue",
                                     f"The e-mail address {value!r} needs a type (work, home or "
                                     "other) or must be the primary one.")
                continue
            if EMAIL_TYPE_CLAIMS[kind] in claims:
                raise scim_error(400, "invalidValue",
                                 f"Two e-mail addresses have the type {kind!r}; give one of each.")
            claims[EMAIL_TYPE_CLAIMS[kind]] = value
    return claims


def desired_claims(state: UserState) -> dict[str, str | None]:
    """Every claim a user's SCIM attributes map to: a value, or None for none."""
    desired: dict[str, str | None] = dict.fromkeys(MAPPED_CLAIMS)
    desired[GIVEN_NAME] = state.given or None
    desired[LAST_NAME] = state.family or None
    desired[FORMATTED_NAME] = state.formatted or None
    desired[FULL_NAME] = state.display_name or None
    desired.update(_email_claims(state.emails))
    return desired


def certificate_der(value: Any) -> bytes:
    """The DER of an ``x509Certificates`` value (base64 DER; PEM is accepted too)."""
    if not isinstance(value, str) or not value.strip():
        raise scim_error(400, "invalidValue", "An x509Certificates value is the certificate's "
                         "DER, base64-encoded.")
    text = value.strip()
    try:
        if text.startswith("-----BEGIN"):
            return x509.load_pem_x509_certificate(text.encode("ascii")).public_bytes(
                Encoding.DER)
        der = base64.b64decode("".join(text.split()), validate=True)
        x509.load_der_x509_certificate(der)
    except (ValueError, binascii.Error, UnicodeEncodeError) as exc:
        raise scim_error(400, "invalidValue", "An x509Certificates value is not an X.509 "
                         "certificate; send its DER, base64-encoded.") from exc
    return der


def certificates_out(certificates: Sequence[bytes]) -> list[dict[str, Any]]:
    """The SCIM x509Certificates of a user's mapped certificates, as they were given (the
    subject is in the certificate; a client reads back what it wrote)."""
    return [{"value": base64.b64encode(der).decode("ascii")} for der in certificates]


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise scim_error(400, "invalidValue",
                         f"The password is too short; use at least {MIN_PASSWORD_LENGTH} "
                         "characters.")


def check_user_name(name: str | None, pattern: str | None = None) -> str:
    """``name`` when it may be a user name; with ``pattern`` (a new or changed name), it must
    also match the server's user-name rule."""
    if not name or not name.strip():
        raise scim_error(400, "invalidValue", "userName is required; give the sign-in name.")
    if pattern is not None and re.search(pattern, name) is None:
        if pattern == DEFAULT_USER_NAME_PATTERN:
            rule = "a user name has 3 to 30 characters and no spaces"
        else:
            rule = f"user names must match the pattern {pattern}"
        raise scim_error(
            400, "invalidValue",
            f"The user name ({len(name)} characters) is refused: on this server {rule}. "
            "Choose a shorter or simpler name.")
    return name
