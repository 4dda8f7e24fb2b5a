"""SAML 1.1 and 2.0 assertions read back: strictly for the STS, leniently for the token inspector.

There is one reader. Strict, it refuses the first thing wrong with
:class:`~stsdesk.core.errors.InvalidSecurityTokenError` (the STS renewing a token it issued);
lenient, it reads what it can and lists what it could not in ``problems`` (the inspector shows
a broken token rather than nothing). Both name attributes, times and keys by the same rules.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
from dataclasses import dataclass

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidSecurityTokenError
from stsdesk.core.saml import (
    AssertionSpec,
    Bearer,
    Confirmation,
    HolderOfKeyPublic,
    HolderOfKeySymmetric,
    SamlAttribute,
    SamlVersion,
    join_claim_uri,
    saml_version_of,
)
from stsdesk.core.xsdatetime import parse_xs_datetime

__all__ = [
    "SubjectInfo", "ConditionsInfo", "AuthnInfo", "TokenAttribute", "AssertionReading",
    "read_assertion", "read_assertion_spec", "HOLDER_OF_KEY_METHODS",
]

HOLDER_OF_KEY_METHODS = frozenset({ns.SAML2_CM_HOLDER_OF_KEY, ns.SAML11_CM_HOLDER_OF_KEY})
_BEARER_METHODS = frozenset({ns.SAML2_CM_BEARER, ns.SAML11_CM_BEARER})
_S2 = f"{{{ns.SAML2}}}"
_S1 = f"{{{ns.SAML11}}}"
_DS = f"{{{ns.DS}}}"
_XENC = f"{{{ns.XENC}}}"


@dataclass(frozen=True)
class SubjectInfo:
    name_id: str | None  # SAML 2.0 NameID, SAML 1.1 NameIdentifier
    name_id_format: str | None
    confirmation_method: str | None  # the holder-of-key one when several are listed


@dataclass(frozen=True)
class ConditionsInfo:
    not_before: dt.datetime | None
    not_on_or_after: dt.datetime | None
    audiences: tuple[str, ...]


@dataclass(frozen=True)
class AuthnInfo:
    method: str | None  # SAML 2.0 AuthnContextClassRef (or DeclRef), SAML 1.1 AuthenticationMethod
    instant: dt.datetime | None


@dataclass(frozen=True)
class TokenAttribute:
    name: str  # SAML 2.0 Name; SAML 1.1 AttributeName
    values: tuple[str, ...]
    friendly_name: str | None = None  # SAML 2.0
    name_format: str | None = None  # SAML 2.0
    namespace: str | None = None  # SAML 1.1 AttributeNamespace

    @property
    def claim_uri(self) -> str:
        """The claim this attribute carries; SAML 1.1 joins namespace and name as it was split."""
        return join_claim_uri(self.namespace or "", self.name)


@dataclass(frozen=True)
class AssertionReading:
    """What an assertion says, each part None (or empty) when it is absent or unreadable."""

    version: SamlVersion
    assertion_id: str | None
    issuer: str | None
    issue_instant: dt.datetime | None
    subject: SubjectInfo | None
    # The key the presenter proves (or Bearer); None without a subject, or when its
    # confirmation is of a kind this reader does not know (a problem says so).
    confirmation: Confirmation | None
    conditions: ConditionsInfo | None
    authn: AuthnInfo | None
    attributes: tuple[TokenAttribute, ...]
    problems: tuple[str, ...]  # empty unless read leniently

    def to_spec(self) -> AssertionSpec:
        """The assertion as an AssertionSpec (to mint it anew); InvalidSecurityTokenError naming
        the first part an assertion this STS issues must have and this one lacks."""
        subject = self.subject
        conditions = self.conditions
        authn = self.authn
        if subject is None or subject.name_id is None:
            raise _missing("Subject with a NameID")
        if self.confirmation is None:
            raise _missing("subject confirmation this STS can issue (bearer or holder-of-key)")
        if conditions is None or conditions.not_on_or_after is None:
            raise _missing("Conditions with a NotOnOrAfter")
        if authn is None or authn.instant is None:
            what = ("AuthnStatement" if self.version is SamlVersion.SAML20
                    else "AuthenticationStatement")
            raise _missing(f"{what} with its instant")
        if self.assertion_id is None or self.issuer is None or self.issue_instant is None:
            raise _missing("ID, Issuer and IssueInstant")
        default_method = ns.SAML2_AC_UNSPECIFIED if self.version is SamlVersion.SAML20 else ""
        return AssertionSpec(
            version=self.version,
            assertion_id=self.assertion_id,
            issuer=self.issuer,
            issue_instant=self.issue_instant,
            not_before=conditions.not_before or self.issue_instant,
            not_on_or_after=conditions.not_on_or_after,
            subject_name=subject.name_id,
            name_id_format=subject.name_id_format or ns.NAMEID_UNSPECIFIED,
            audiences=conditions.audiences,
            authn_instant=authn.instant,
            authn_method=authn.method or default_method,
            attributes=tuple(
                SamlAttribute(attribute.claim_uri, attribute.values)
                for attribute in self.attributes
            ),
            confirmation=self.confirmation,
        )


def _missing(what: str) -> InvalidSecurityTokenError:
    return InvalidSecurityTokenError(f"The assertion has no {what}.")


def read_assertion(element: etree._Element, *, lenient: bool = False) -> AssertionReading:
    """Read an assertion of either version.

    Strict (the default), the first problem raises InvalidSecurityTokenError; ``lenient``
    collects every problem in the result instead. Either way an element that is no SAML
    assertion at all raises InvalidSecurityTokenError.
    """
    reader = _Reader(lenient)
    if saml_version_of(element) is SamlVersion.SAML20:
        return reader.read_20(element)
    return reader.read_11(element)


def read_assertion_spec(element: etree._Element) -> AssertionSpec:
    """The assertion, read strictly, as the AssertionSpec that would build it again."""
    return read_assertion(element).to_spec()


def _text(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    # All text nodes, so that a comment inside a value cannot cut it short: the result is the
    # text exc-c14n signed (comments are not signed, and are not part of the value).
    return "".join(node.itertext()).strip()


class _Reader:
    """One reading: the problems met so far, raised at once unless reading leniently."""

    def __init__(self, lenient: bool) -> None:
        self._lenient = lenient
        self.problems: list[str] = []

    def problem(self, message: str) -> None:
        if not self._lenient:
            raise InvalidSecurityTokenError(message)
        self.problems.append(message)

    def instant(
        self, value: str | None, what: str, *, required: bool = False
    ) -> dt.datetime | None:
        if value is None:
            if required:
                self.problem(f"The assertion has no {what}.")
            return None
        try:
            return parse_xs_datetime(value)
        except ValueError as exc:
            reason = str(exc)
        if self._lenient:
            # SAML times are UTC, and a reader that assumes so for a zoneless time is right
            # far more often than one that shows nothing; the problem still says so.
            try:
                moment = parse_xs_datetime(value, assume_utc=True)
            except ValueError:
                pass
            else:
                self.problem(f"The {what} {value.strip()[:40]!r} has no time zone; it is shown "
                             "as UTC, which SAML requires it to be written in.")
                return moment
        self.problem(f"The {what} {value.strip()[:40]!r} is not an xs:dateTime: {reason}.")
        return None

    def required(self, value: str | None, what: str) -> str | None:
        if not value:
            self.problem(f"The assertion has no {what}.")
            return None
        return value

    # -- the parts both versions share

    def conditions(self, node: etree._Element | None, audience_path: str) -> ConditionsInfo | None:
        if node is None:
            self.problem("The assertion has no Conditions, so it has no validity period.")
            return None
        return ConditionsInfo(
            not_before=self.instant(node.get("NotBefore"), "NotBefore"),
            not_on_or_after=self.instant(node.get("NotOnOrAfter"), "NotOnOrAfter"),
            audiences=tuple(_text(a) or "" for a in node.iterfind(audience_path)),
        )

    def confirmation(
        self, method: str | None, key_info: etree._Element | None
    ) -> Confirmation | None:
        if method is None or method in _BEARER_METHODS:
            return Bearer()
        if method not in HOLDER_OF_KEY_METHODS:
            self.problem(
                f"The assertion's subject confirmation method {method[:200]!r} is not supported; "
                "use bearer or holder-of-key."
            )
            return None
        if key_info is None:
            self.problem("The holder-of-key assertion has no ds:KeyInfo naming the key to prove.")
            return None
        encrypted_key = key_info.find(f"{_XENC}EncryptedKey")
        if encrypted_key is not None:
            return HolderOfKeySymmetric(encrypted_key=copy.deepcopy(encrypted_key))
        certificate = key_info.find(f"{_DS}X509Data/{_DS}X509Certificate")
        if certificate is None:
            self.problem(
                "The holder-of-key assertion's KeyInfo holds neither an xenc:EncryptedKey nor an "
                "X509Certificate."
            )
            return None
        try:
            der = base64.b64decode("".join((_text(certificate) or "").split()), validate=True)
        except (binascii.Error, ValueError):
            self.problem("The holder-of-key certificate in the assertion is not valid base64.")
            return None
        return HolderOfKeyPublic(certificate_der=der)

    # -- SAML 2.0

    def read_20(self, root: etree._Element) -> AssertionReading:
        if root.get("Version") != "2.0":
            self.problem('The SAML 2.0 assertion does not say Version="2.0".')
        assertion_id = self.required(root.get("ID"), "ID")
        issuer = self.required(_text(root.find(f"{_S2}Issuer")), "Issuer")
        issue_instant = self.instant(root.get("IssueInstant"), "IssueInstant", required=True)
        subject, confirmation = self.subject_20(root.find(f"{_S2}Subject"))
        conditions = self.conditions(
            root.find(f"{_S2}Conditions"), f"{_S2}AudienceRestriction/{_S2}Audience"
        )
        authn = None
        statement = root.find(f"{_S2}AuthnStatement")
        if statement is not None:
            context = statement.find(f"{_S2}AuthnContext")
            method = None
            if context is not None:
                method = _text(context.find(f"{_S2}AuthnContextClassRef")) or _text(
                    context.find(f"{_S2}AuthnContextDeclRef")
                )
            instant = self.instant(statement.get("AuthnInstant"), "AuthnInstant", required=True)
            authn = AuthnInfo(method=method, instant=instant)
        attributes = tuple(
            TokenAttribute(
                name=node.get("Name") or "",
                values=tuple(_text(value) or "" for value in node.iterfind(f"{_S2}AttributeValue")),
                friendly_name=node.get("FriendlyName"),
                name_format=node.get("NameFormat"),
            )
            for node in root.iterfind(f"{_S2}AttributeStatement/{_S2}Attribute")
        )
        if root.find(f"{_S2}AttributeStatement/{_S2}EncryptedAttribute") is not None:
            self.problem("Some attributes are encrypted (EncryptedAttribute); they are not shown.")
        return AssertionReading(
            version=SamlVersion.SAML20, assertion_id=assertion_id, issuer=issuer,
            issue_instant=issue_instant, subject=subject, confirmation=confirmation,
            conditions=conditions, authn=authn, attributes=attributes,
            problems=tuple(self.problems),
        )

    def subject_20(
        self, node: etree._Element | None
    ) -> tuple[SubjectInfo | None, Confirmation | None]:
        if node is None:
            self.problem("The assertion has no Subject.")
            return None, None
        name_id = node.find(f"{_S2}NameID")
        if name_id is None:
            if node.find(f"{_S2}EncryptedID") is not None:
                self.problem("The subject's NameID is encrypted (EncryptedID); it is not shown.")
            else:
                self.problem("The assertion's Subject has no NameID.")
        confirmation_node = node.find(f"{_S2}SubjectConfirmation")
        method = None if confirmation_node is None else confirmation_node.get("Method")
        key_info = None
        if confirmation_node is not None:
            key_info = confirmation_node.find(f"{_S2}SubjectConfirmationData/{_DS}KeyInfo")
        subject = SubjectInfo(
            name_id=_text(name_id),
            name_id_format=name_id.get("Format") if name_id is not None else None,
            confirmation_method=method,
        )
        return subject, self.confirmation(method, key_info)

    # -- SAML 1.1

    def read_11(self, root: etree._Element) -> AssertionReading:
        if root.get("MajorVersion") != "1":
            self.problem('The SAML 1.x assertion does not say MajorVersion="1".')
        assertion_id = self.required(root.get("AssertionID"), "AssertionID")
        issuer = self.required(root.get("Issuer"), "Issuer")
        issue_instant = self.instant(root.get("IssueInstant"), "IssueInstant", required=True)
        # Every statement repeats the subject; the authentication statement's comes first.
        subject_node = next(
            (found for path in (f"{_S1}AuthenticationStatement/{_S1}Subject",
                                f"{_S1}AttributeStatement/{_S1}Subject")
             if (found := root.find(path)) is not None),
            None,
        )
        subject, confirmation = self.subject_11(subject_node)
        conditions = self.conditions(
            root.find(f"{_S1}Conditions"), f"{_S1}AudienceRestrictionCondition/{_S1}Audience"
        )
        authn = None
        statement = root.find(f"{_S1}AuthenticationStatement")
        if statement is not None:
            authn = AuthnInfo(
                method=statement.get("AuthenticationMethod"),
                instant=self.instant(statement.get("AuthenticationInstant"),
                                     "AuthenticationInstant", required=True),
            )
        attributes = tuple(
            TokenAttribute(
                name=node.get("AttributeName") or "",
                values=tuple(_text(value) or "" for value in node.iterfind(f"{_S1}AttributeValue")),
                namespace=node.get("AttributeNamespace"),
            )
            for node in root.iterfind(f"{_S1}AttributeStatement/{_S1}Attribute")
        )
        return AssertionReading(
            version=SamlVersion.SAML11, assertion_id=assertion_id, issuer=issuer,
            issue_instant=issue_instant, subject=subject, confirmation=confirmation,
            conditions=conditions, authn=authn, attributes=attributes,
            problems=tuple(self.problems),
        )

    def subject_11(
        self, node: etree._Element | None
    ) -> tuple[SubjectInfo | None, Confirmation | None]:
        if node is None:
            self.problem("The assertion has no Subject in any statement.")
            return None, None
        name_identifier = node.find(f"{_S1}NameIdentifier")
        if name_identifier is None:
            self.problem("The assertion's Subject has no NameIdentifier.")
        confirmation_node = node.find(f"{_S1}SubjectConfirmation")
        methods: list[str] = []
        key_info = None
        if confirmation_node is not None:
            methods = [
                _text(m) or "" for m in confirmation_node.iterfind(f"{_S1}ConfirmationMethod")
            ]
            key_info = confirmation_node.find(f"{_DS}KeyInfo")
        # SAML 1.1 may list several methods; holder-of-key binds the token, so it wins.
        method = next((m for m in methods if m in HOLDER_OF_KEY_METHODS),
                      next((m for m in methods if m in _BEARER_METHODS),
                           methods[0] if methods else None))
        subject = SubjectInfo(
            name_id=_text(name_identifier),
            name_id_format=name_identifier.get("Format") if name_identifier is not None else None,
            confirmation_method=method,
        )
        return subject, self.confirmation(method, key_info)
