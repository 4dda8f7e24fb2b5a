"""The decoded-token model: a SAML token read, decrypted and checked, ready to show or print.

The parts: :mod:`stsdesk.core.samlreader` reads the assertion (leniently: what cannot be read
is listed in ``problems``), :mod:`stsdesk.core.tokenverdicts` judges its signature, encryption,
proof key and validity, and :mod:`stsdesk.core.tokenjson` prints the result. Private keys to
decrypt with come from :func:`stsdesk.core.certificate_files.load_private_key`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from cryptography import x509
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.saml import SamlVersion
from stsdesk.core.samlreader import (
    AuthnInfo,
    ConditionsInfo,
    SubjectInfo,
    TokenAttribute,
    read_assertion,
)
from stsdesk.core.tokeninput import ExtractedToken, InputEncoding, TokenForm
from stsdesk.core.tokenverdicts import (
    DEFAULT_CLOCK_SKEW_SECONDS,
    CertificateSummary,
    EncryptionInfo,
    HolderOfKeyInfo,
    PrivateKey,
    ProofKind,
    SignatureStatus,
    SignatureVerdict,
    ValidityState,
    ValidityTimeline,
    check_signature,
    holder_of_key_info,
    open_encrypted,
    summarize_certificate,
    validity_timeline,
)
from stsdesk.core.xmlutil import pretty

__all__ = [
    "SignatureStatus", "CertificateSummary", "SignatureVerdict", "EncryptionInfo",
    "ProofKind", "HolderOfKeyInfo", "SubjectInfo", "ConditionsInfo", "AuthnInfo",
    "TokenAttribute", "ResponseInfo", "ValidityState", "ValidityTimeline", "DecodedToken",
    "PrivateKey", "decode_token", "summarize_certificate", "DEFAULT_CLOCK_SKEW_SECONDS",
    "Severity", "TokenVerdict",
]

_ASSERTIONS = {f"{{{ns.SAML2}}}Assertion", f"{{{ns.SAML11}}}Assertion"}


class Severity(StrEnum):
    """How the token as a whole stands; one value that every view of it takes its colour from."""

    OK = "ok"  # readable, signed by a trusted certificate, nothing wrong found
    WARNING = "warning"  # usable with care: untrusted signer, fields that could not be read
    ERROR = "error"  # do not rely on it: invalid, unsigned or damaged
    UNKNOWN = "unknown"  # encrypted and not opened: nothing can be said yet


@dataclass(frozen=True)
class TokenVerdict:
    """The one verdict on a token: its severity and every problem behind it, in words."""

    severity: Severity
    problems: tuple[str, ...]


_SIGNATURE_SEVERITY = {
    SignatureStatus.VALID: Severity.OK,
    SignatureStatus.UNTRUSTED: Severity.WARNING,
    SignatureStatus.INVALID: Severity.ERROR,
    SignatureStatus.UNSIGNED: Severity.ERROR,
    SignatureStatus.NOT_CHECKED: Severity.UNKNOWN,
}
_RANK = (Severity.OK, Severity.UNKNOWN, Severity.WARNING, Severity.ERROR)


@dataclass(frozen=True)
class ResponseInfo:
    """The RSTR around the token, when the input was one."""

    token_type: str | None
    applies_to: str | None
    created: dt.datetime | None
    expires: dt.datetime | None
    attached_reference: str | None


@dataclass(frozen=True)
class DecodedToken:
    form: TokenForm
    encoding: InputEncoding
    container: str
    version: SamlVersion | None
    assertion_id: str | None
    issuer: str | None
    issue_instant: dt.datetime | None
    subject: SubjectInfo | None
    holder_of_key: HolderOfKeyInfo | None
    conditions: ConditionsInfo | None
    authn: AuthnInfo | None
    attributes: tuple[TokenAttribute, ...]
    signature: SignatureVerdict
    encryption: EncryptionInfo | None
    response: ResponseInfo | None
    problems: tuple[str, ...]
    token: etree._Element = field(repr=False, compare=False)
    assertion: etree._Element | None = field(repr=False, compare=False)  # decrypted if it was

    @property
    def verdict(self) -> TokenVerdict:
        """The summary's problems and the headline's colour both come from here, so they
        cannot disagree (a Summary of "Problems: none" beside an invalid signature)."""
        signature = self.signature
        severity = _SIGNATURE_SEVERITY[signature.status]
        problems: list[str] = []
        if signature.status is SignatureStatus.INVALID:
            problems.append(f"The signature is invalid: {signature.reason}")
        elif signature.status is SignatureStatus.UNSIGNED:
            problems.append("The token is not signed: anyone could have written it.")
        elif signature.status is SignatureStatus.UNTRUSTED:
            problems.append(f"The signature is not from a trusted certificate: "
                            f"{signature.reason}")
        if self.encryption is not None and self.encryption.damaged:
            severity = Severity.ERROR
            problems.append(self.encryption.reason)
        if self.problems:
            problems.extend(self.problems)
            severity = max(severity, Severity.WARNING, key=_RANK.index)
        return TokenVerdict(severity, tuple(problems))

    @property
    def readable(self) -> bool:
        """False when the token is encrypted and no given key opened it."""
        return self.assertion is not None

    def validity(
        self, now: dt.datetime | None = None, skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS
    ) -> ValidityTimeline:
        now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        conditions = self.conditions or ConditionsInfo(None, None, ())
        response = self.response
        if (conditions.not_before is None and conditions.not_on_or_after is None
                and response is not None and (response.created or response.expires)):
            # The token's own conditions are out of sight (encrypted) or absent; the RSTR's
            # wst:Lifetime still says what the STS issued it for, marked as such.
            timeline = validity_timeline(now, response.created, response.expires, skew_seconds)
            return replace(timeline, from_response=True,
                           note=f"From the response's wst:Lifetime: {timeline.note}")
        return validity_timeline(
            now, conditions.not_before, conditions.not_on_or_after, skew_seconds
        )

    def assertion_xml(self) -> str | None:
        """The readable assertion, pretty-printed."""
        if self.assertion is None:
            return None
        return pretty(self.assertion)

    def token_xml(self) -> str:
        return pretty(self.token)

    def exact_bytes(self) -> bytes:
        """The readable assertion (else the token) as it came: its whitespace untouched, so a
        copy still verifies; only namespaces declared on enclosing elements are added."""
        element = self.assertion if self.assertion is not None else self.token
        return etree.tostring(element, encoding="utf-8")


def decode_token(
    extracted: ExtractedToken,
    *,
    trusted: Mapping[str, x509.Certificate] | None = None,
    private_keys: Sequence[PrivateKey] = (),
    known: Mapping[str, x509.Certificate] | None = None,
) -> DecodedToken:
    """Decrypt (when a given key fits), verify against ``trusted`` and read ``extracted``.

    ``trusted`` maps aliases to the certificates whose signatures count as valid; the
    certificate carried in the token alone gives "untrusted". ``known`` names further
    certificates (e.g. the whole trust store) so encryption recipients can be shown by alias.
    Fields are read even when the signature fails; what cannot be read is listed in
    ``problems``. Raises :class:`InvalidRequestError` only when the token is not a SAML
    assertion at all (e.g. it decrypts to something else).
    """
    trusted = dict(trusted or {})
    catalogue = {**(known or {}), **trusted}
    keys = tuple(private_keys)
    encryption: EncryptionInfo | None = None
    assertion: etree._Element | None = extracted.element
    if extracted.encrypted:
        encryption, assertion = open_encrypted(extracted.element, keys, catalogue)
    response = _response_info(extracted)
    if assertion is None and encryption is not None:
        return DecodedToken(
            form=extracted.form, encoding=extracted.encoding, container=extracted.container,
            version=SamlVersion.SAML20 if extracted.form is TokenForm.ENCRYPTED_ASSERTION else None,
            assertion_id=response.attached_reference if response else None,
            issuer=None, issue_instant=None, subject=None, holder_of_key=None,
            conditions=None, authn=None, attributes=(),
            signature=SignatureVerdict(
                SignatureStatus.NOT_CHECKED,
                "The token is encrypted, so its signature cannot be checked until it is "
                "decrypted. " + encryption.reason,
            ),
            encryption=encryption, response=response, problems=(), token=extracted.element,
            assertion=None,
        )
    if assertion is None or assertion.tag not in _ASSERTIONS:
        raise InvalidRequestError(
            f"The token is {etree.QName(extracted.element).localname!r}, not a SAML 1.1 or 2.0 "
            "assertion."
        )
    reading = read_assertion(assertion, lenient=True)
    return DecodedToken(
        form=extracted.form,
        encoding=extracted.encoding,
        container=extracted.container,
        version=reading.version,
        assertion_id=reading.assertion_id,
        issuer=reading.issuer,
        issue_instant=reading.issue_instant,
        subject=reading.subject,
        holder_of_key=holder_of_key_info(reading.subject, reading.confirmation, keys, catalogue),
        conditions=reading.conditions,
        authn=reading.authn,
        attributes=reading.attributes,
        signature=check_signature(assertion, trusted),
        encryption=encryption,
        response=response,
        problems=reading.problems,
        token=extracted.element,
        assertion=assertion,
    )


def _response_info(extracted: ExtractedToken) -> ResponseInfo | None:
    response = extracted.response
    if response is None:
        return None
    return ResponseInfo(
        token_type=response.token_type,
        applies_to=response.applies_to,
        created=response.created,
        expires=response.expires,
        attached_reference=response.attached_reference,
    )
