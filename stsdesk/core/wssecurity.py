"""WS-Security headers: UsernameToken, Timestamp and X.509 BinarySecurityToken, read and written."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidSecurityError, MessageExpiredError
from stsdesk.core.soap import SoapMessage, SoapVersion
from stsdesk.core.xmlutil import ChildIndex, decode_base64
from stsdesk.core.xsdatetime import format_xs_datetime, parse_xs_datetime

__all__ = [
    "UsernameToken", "Timestamp", "SecurityHeader", "parse_security_header", "check_timestamp",
    "check_username_token_freshness", "password_digest", "password_matches",
    "build_security_header", "MAX_USERNAME_LENGTH", "MAX_NONCE_BYTES", "security_element",
    "read_username_token", "read_timestamp", "TIMESTAMP_TTL_SECONDS", "timestamp_acceptable_until",
    "claimed_username",
]

log = logging.getLogger("stsdesk.core.wssecurity")

MAX_USERNAME_LENGTH = 256
MAX_NONCE_BYTES = 1024

#: How long a wsu:Timestamp without wsu:Expires stays acceptable after its Created (plus the
#: clock skew): WSS4J's default timeToLive. Without such a bound a signed request that omits
#: Expires could be replayed forever once the replay cache has forgotten it.
TIMESTAMP_TTL_SECONDS = 300

_WSSE = f"{{{ns.WSSE}}}"
_WSU = f"{{{ns.WSU}}}"
_SECURITY = f"{_WSSE}Security"
_USERNAME_TOKEN = f"{_WSSE}UsernameToken"
_USERNAME = f"{_WSSE}Username"
_ULTIMATE_RECEIVER = {"", ns.SOAP12_ULTIMATE_RECEIVER}
_NEXT = {ns.SOAP11_ACTOR_NEXT, ns.SOAP12_ROLE_NEXT}
_X509_VALUE_TYPES = {ns.X509V3, ns.X509_TOKEN}
_PREFIXES = {ns.WSSE: "wsse", ns.WSU: "wsu"}
# The attribute naming the header block's intended receiver: SOAP 1.1's actor, 1.2's role.
_ROLE_ATTRIBUTES = {SoapVersion.SOAP11: f"{{{ns.SOAP11}}}actor",
                    SoapVersion.SOAP12: f"{{{ns.SOAP12}}}role"}

@dataclass(frozen=True, slots=True)
class UsernameToken:
    """A wsse:UsernameToken as received; ``password`` is the text or the base64 digest."""

    username: str
    password: str | None
    password_type: str
    nonce: bytes | None
    created: datetime | None
    created_text: str | None

    def __repr__(self) -> str:  # never show the password, not even in a traceback
        return (f"UsernameToken(username={self.username!r}, password_type={self.password_type!r}, "
                f"created={self.created_text!r})")


@dataclass(frozen=True, slots=True)
class Timestamp:
    created: datetime
    expires: datetime | None


@dataclass(frozen=True, slots=True)
class SecurityHeader:
    """The wsse:Security header addressed to this STS."""

    username_token: UsernameToken | None
    timestamp: Timestamp | None
    binary_security_tokens: tuple[bytes, ...]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _security_datetime(element: etree._Element, what: str) -> tuple[datetime, str]:
    text = element.text or ""
    try:
        return parse_xs_datetime(text), text
    except ValueError as exc:
        raise InvalidSecurityError(
            f"The {what} {text.strip()[:40]!r} is not an xs:dateTime this STS accepts: {exc}."
        ) from exc


def _children(element: etree._Element) -> ChildIndex:
    return ChildIndex(element, _repeated)


def _repeated(tag: str, count: int) -> InvalidSecurityError:
    name = etree.QName(tag)
    what = f"{_PREFIXES.get(name.namespace or '', '')}:{name.localname}".lstrip(":")
    return InvalidSecurityError(f"The message has {count} {what} elements; send one.")


def _b64(text: str | None, what: str) -> bytes:
    return decode_base64(text, what, InvalidSecurityError)


def _role(header: etree._Element, version: SoapVersion) -> str:
    role = (header.get(_ROLE_ATTRIBUTES[version]) or "").strip()
    return "" if role in _ULTIMATE_RECEIVER else role


def security_element(message: SoapMessage) -> etree._Element | None:
    """The wsse:Security header block addressed to this receiver, or ``None`` if none is.

    Two blocks for the same actor/role are refused; a block for "next" serves when there is
    none for the ultimate receiver.
    """
    blocks = message.header(ns.WSSE, "Security")
    if not blocks:
        return None
    by_role: dict[str, etree._Element] = {}
    for block in blocks:
        role = _role(block, message.version)
        if role in by_role:
            raise InvalidSecurityError(
                "The message has two WS-Security headers for the same actor/role; merge them "
                "into one wsse:Security header."
            )
        by_role[role] = block
    security = by_role.get("")
    if security is None:
        security = next((by_role[r] for r in by_role if r in _NEXT), None)
    if security is None:
        log.debug("wsse:Security headers present only for other actors: %s", sorted(by_role))
    return security


def parse_security_header(message: SoapMessage) -> SecurityHeader | None:
    """The wsse:Security header addressed to the ultimate receiver, or ``None`` if there is none."""
    security = security_element(message)
    if security is None:
        return None
    children = _children(security)
    username_el = children.only(f"{_WSSE}UsernameToken")
    timestamp_el = children.only(f"{_WSU}Timestamp")
    return SecurityHeader(
        username_token=_parse_username_token(username_el) if username_el is not None else None,
        timestamp=_parse_timestamp(timestamp_el) if timestamp_el is not None else None,
        binary_security_tokens=tuple(
            _parse_bst(bst) for bst in children.all(f"{_WSSE}BinarySecurityToken")
            if (bst.get("ValueType") or ns.X509V3).strip() in _X509_VALUE_TYPES
        ),
    )


def claimed_username(message: SoapMessage) -> str | None:
    """The user name the UsernameToken of the message's wsse:Security header claims, unchecked;
    None when there is none.

    A hint, so the server can read that user's login state in the same database read as the
    configuration, before the header is read and checked: it never raises, and it looks only
    at the first header for the ultimate receiver and at the first UsernameToken and Username
    in it (reading the header as :func:`security_element` does cost twice as much).
    Authentication reads the header itself; a hint naming no one, or someone else, costs the
    server one more read, nothing else.
    """
    for block in message.headers:
        if block.tag == _SECURITY and not _role(block, message.version):
            token = _first_child(block, _USERNAME_TOKEN)
            name = _first_child(token, _USERNAME) if token is not None else None
            text = name.text if name is not None else None
            return text if text is not None and len(text) <= MAX_USERNAME_LENGTH else None
    return None


def _first_child(element: etree._Element, tag: str) -> etree._Element | None:
    # A loop over the children: iterchildren(tag) parses the tag into a matcher every call.
    for child in element:
        if child.tag == tag:
            return child
    return None


def read_username_token(element: etree._Element) -> UsernameToken:
    """A wsse:UsernameToken element read and checked for shape (not for its password)."""
    return _parse_username_token(element)


def read_timestamp(element: etree._Element) -> Timestamp:
    """A wsu:Timestamp element read (not checked against the clock: see check_timestamp)."""
    return _parse_timestamp(element)


def _parse_username_token(element: etree._Element) -> UsernameToken:
    children = _children(element)
    username_el = children.only(f"{_WSSE}Username")
    username = username_el.text if username_el is not None and username_el.text else ""
    if not username.strip():
        raise InvalidSecurityError(
            "The wsse:UsernameToken has no username; put the user name in wsse:Username."
        )
    if len(username) > MAX_USERNAME_LENGTH:
        raise InvalidSecurityError(
            f"The username is longer than {MAX_USERNAME_LENGTH} characters; check the client's "
            "configured user name."
        )
    password_el = children.only(f"{_WSSE}Password")
    password: str | None = None
    password_type = ns.PASSWORD_TEXT
    if password_el is not None:
        password = password_el.text or ""
        password_type = (password_el.get("Type") or ns.PASSWORD_TEXT).strip()
        if password_type not in (ns.PASSWORD_TEXT, ns.PASSWORD_DIGEST):
            raise InvalidSecurityError(
                f"The wsse:Password Type {password_type[:200]!r} is not supported; use "
                f"{ns.PASSWORD_TEXT} or {ns.PASSWORD_DIGEST}."
            )
    nonce: bytes | None = None
    nonce_el = children.only(f"{_WSSE}Nonce")
    if nonce_el is not None:
        encoding = (nonce_el.get("EncodingType") or ns.BASE64_BINARY).strip()
        if encoding != ns.BASE64_BINARY:
            raise InvalidSecurityError(
                f"The wsse:Nonce EncodingType {encoding[:200]!r} is not supported; send the nonce "
                f"base64-encoded with EncodingType {ns.BASE64_BINARY}."
            )
        if len(nonce_el.text or "") > MAX_NONCE_BYTES * 2:
            raise InvalidSecurityError(
                f"The wsse:Nonce is longer than {MAX_NONCE_BYTES} bytes; send a 16-byte nonce."
            )
        nonce = _b64(nonce_el.text, "wsse:Nonce")
        if len(nonce) > MAX_NONCE_BYTES:
            raise InvalidSecurityError(
                f"The wsse:Nonce is longer than {MAX_NONCE_BYTES} bytes; send a 16-byte nonce."
            )
    created: datetime | None = None
    created_text: str | None = None
    created_el = children.only(f"{_WSU}Created")
    if created_el is not None:
        created, created_text = _security_datetime(created_el, "UsernameToken's wsu:Created")
    return UsernameToken(username, password, password_type, nonce, created, created_text)


def _parse_timestamp(element: etree._Element) -> Timestamp:
    children = _children(element)
    created_el = children.only(f"{_WSU}Created")
    if created_el is None:
        raise InvalidSecurityError(
            "The wsu:Timestamp has no wsu:Created; send the time the message was created."
        )
    created, _ = _security_datetime(created_el, "wsu:Timestamp's Created")
    expires_el = children.only(f"{_WSU}Expires")
    expires = (_security_datetime(expires_el, "wsu:Timestamp's Expires")[0]
               if expires_el is not None else None)
    return Timestamp(created, expires)


def _parse_bst(element: etree._Element) -> bytes:
    encoding = (element.get("EncodingType") or ns.BASE64_BINARY).strip()
    if encoding != ns.BASE64_BINARY:
        raise InvalidSecurityError(
            f"The wsse:BinarySecurityToken EncodingType {encoding[:200]!r} is not supported; send "
            f"the certificate base64-encoded with EncodingType {ns.BASE64_BINARY}."
        )
    return _b64(element.text, "wsse:BinarySecurityToken")


# ---------------------------------------------------------------- checks

def check_timestamp(timestamp: Timestamp | None, *, now: datetime, skew_seconds: int = 300,
                    required: bool = True, ttl_seconds: int = TIMESTAMP_TTL_SECONDS) -> None:
    """Refuse a missing (when required), malformed, expired or future-dated wsu:Timestamp.

    Without wsu:Expires the message expires ``ttl_seconds`` after its Created (give or take
    the skew), as WSS4J's timeToLive makes it.
    """
    if timestamp is None:
        if required:
            raise InvalidSecurityError(
                "The message has no wsu:Timestamp; the security policy requires one. Configure "
                "the client to include a timestamp in the WS-Security header."
            )
        return
    now = _utc(now)
    skew = timedelta(seconds=skew_seconds)
    created = _utc(timestamp.created)
    expires = _utc(timestamp.expires) if timestamp.expires is not None else None
    if expires is not None and expires < created:
        raise InvalidSecurityError(
            "The wsu:Timestamp expires before it was created; fix the client's timestamp."
        )
    if expires is not None and expires < now - skew:
        raise MessageExpiredError(
            "The message has expired (its wsu:Timestamp Expires is in the past); send a fresh "
            "request and check the client's clock."
        )
    if created > now + skew:
        raise MessageExpiredError(
            "The message's wsu:Timestamp was created in the future; check the client's clock."
        )
    if expires is None and created < now - skew - timedelta(seconds=ttl_seconds):
        raise MessageExpiredError(
            f"The message has expired (its wsu:Timestamp has no Expires and was created more "
            f"than {ttl_seconds} seconds ago); send a fresh request and check the client's clock."
        )


def timestamp_acceptable_until(timestamp: Timestamp, *, skew_seconds: int = 300,
                               ttl_seconds: int = TIMESTAMP_TTL_SECONDS) -> datetime:
    """The last moment ``timestamp`` still passes :func:`check_timestamp`: a replay cache must
    remember the message at least until then. That is Created + time-to-live + skew, or
    Expires + skew when Expires is present, whichever is later."""
    skew = timedelta(seconds=skew_seconds)
    until = _utc(timestamp.created) + timedelta(seconds=ttl_seconds) + skew
    if timestamp.expires is not None:
        until = max(until, _utc(timestamp.expires) + skew)
    return until


def check_username_token_freshness(token: UsernameToken, *, now: datetime,
                                   skew_seconds: int = 300) -> None:
    """A digest token needs a nonce and a wsu:Created within the clock-skew window.

    A text token's wsu:Created, when present, must be in the window as well.
    """
    digest = token.password_type == ns.PASSWORD_DIGEST
    if digest and not token.nonce:
        raise InvalidSecurityError(
            "The PasswordDigest UsernameToken has no wsse:Nonce; a digest needs a fresh nonce."
        )
    if token.created is None:
        if digest:
            raise InvalidSecurityError(
                "The PasswordDigest UsernameToken has no wsu:Created; a digest needs the time "
                "it was created."
            )
        return
    now = _utc(now)
    skew = timedelta(seconds=skew_seconds)
    created = _utc(token.created)
    if created < now - skew:
        raise MessageExpiredError(
            "The UsernameToken was created too long ago; send a fresh token and check the "
            "client's clock."
        )
    if created > now + skew:
        raise MessageExpiredError(
            "The UsernameToken was created in the future; check the client's clock."
        )


def password_digest(nonce: bytes, created_text: str, password: str) -> str:
    """``base64(SHA-1(nonce + created + password))`` from the UsernameToken profile."""
    # SHA-1 is what the UsernameToken profile defines; it is not used as a signature here.
    digest = hashlib.sha1(
        nonce + created_text.encode("utf-8") + password.encode("utf-8"), usedforsecurity=False
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def password_matches(token: UsernameToken, password: str) -> bool:
    """Whether ``token`` proves knowledge of ``password``, compared in constant time."""
    if token.password is None:
        return False
    if token.password_type == ns.PASSWORD_TEXT:
        return hmac.compare_digest(token.password.encode("utf-8"), password.encode("utf-8"))
    if token.password_type == ns.PASSWORD_DIGEST:
        if token.nonce is None or token.created_text is None:
            return False
        expected = password_digest(token.nonce, token.created_text, password)
        return hmac.compare_digest(expected.encode("ascii"), token.password.strip().encode("utf-8"))
    return False


# ---------------------------------------------------------------- client side

def build_security_header(version: SoapVersion, *, username: str, password: str,
                          digest: bool = False, timestamp_ttl: int | None = 300,
                          now: datetime | None = None,
                          nonce: bytes | None = None) -> etree._Element:
    """A client's wsse:Security header with a Timestamp and a UsernameToken."""
    now = _utc(now) if now is not None else datetime.now(UTC)
    nsmap = {"wsse": ns.WSSE, "wsu": ns.WSU, version.prefix: version.value}
    security = etree.Element(f"{_WSSE}Security", nsmap=nsmap)
    security.set(f"{{{version.value}}}mustUnderstand", "1")
    if timestamp_ttl is not None:
        ts = etree.SubElement(security, f"{_WSU}Timestamp")
        ts.set(f"{_WSU}Id", f"TS-{uuid.uuid4()}")
        etree.SubElement(ts, f"{_WSU}Created").text = format_xs_datetime(now)
        etree.SubElement(ts, f"{_WSU}Expires").text = format_xs_datetime(
            now + timedelta(seconds=timestamp_ttl)
        )
    token = etree.SubElement(security, f"{_WSSE}UsernameToken")
    token.set(f"{_WSU}Id", f"UsernameToken-{uuid.uuid4()}")
    etree.SubElement(token, f"{_WSSE}Username").text = username
    password_el = etree.SubElement(token, f"{_WSSE}Password")
    if digest:
        created_text = format_xs_datetime(now)
        nonce = nonce if nonce is not None else os.urandom(16)
        password_el.set("Type", ns.PASSWORD_DIGEST)
        password_el.text = password_digest(nonce, created_text, password)
        nonce_el = etree.SubElement(token, f"{_WSSE}Nonce")
        nonce_el.set("EncodingType", ns.BASE64_BINARY)
        nonce_el.text = base64.b64encode(nonce).decode("ascii")
        etree.SubElement(token, f"{_WSU}Created").text = created_text
    else:
        password_el.set("Type", ns.PASSWORD_TEXT)
        password_el.text = password
    return security
