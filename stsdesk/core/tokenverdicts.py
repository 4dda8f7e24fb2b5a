"""The inspector's verdicts on a token: its signature, encryption, proof key and validity."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificate_description import describe_certificate
from stsdesk.core.certificates import certificate_fingerprint
from stsdesk.core.errors import (
    CryptoError,
    InvalidRequestError,
    InvalidSecurityTokenError,
    StsError,
)
from stsdesk.core.saml import (
    Confirmation,
    HolderOfKeyPublic,
    HolderOfKeySymmetric,
    decrypt_assertion,
    verify_assertion,
)
from stsdesk.core.samlreader import HOLDER_OF_KEY_METHODS, SubjectInfo
from stsdesk.core.xmlenc import decrypt_key, key_info_thumbprint

__all__ = [
    "SignatureStatus", "ProofKind", "ValidityState", "CertificateSummary", "SignatureVerdict",
    "EncryptionInfo", "HolderOfKeyInfo", "ValidityTimeline", "PrivateKey",
    "summarize_certificate", "check_signature", "open_encrypted", "holder_of_key_info",
    "validity_timeline", "DEFAULT_CLOCK_SKEW_SECONDS",
]

# The STS's own default allowance (server model: clock_skew_seconds), used unless told otherwise.
DEFAULT_CLOCK_SKEW_SECONDS = 300

PrivateKey = rsa.RSAPrivateKey

_S2 = f"{{{ns.SAML2}}}"
_DS = f"{{{ns.DS}}}"
_XENC = f"{{{ns.XENC}}}"
_WSSE = f"{{{ns.WSSE}}}"
_WEAK_ALGORITHMS = {ns.RSA_SHA1, ns.SHA1}

class SignatureStatus(StrEnum):
    VALID = "valid"  # verified by a certificate the caller trusts
    INVALID = "invalid"  # altered, wrong key, or malformed: see the reason
    UNSIGNED = "unsigned"
    UNTRUSTED = "untrusted"  # verifies, but only with the certificate carried in the token
    NOT_CHECKED = "not checked"  # encrypted and not decrypted: the signature is out of sight


class ProofKind(StrEnum):
    BEARER = "bearer"
    SYMMETRIC = "symmetric"  # an xenc:EncryptedKey for the relying party
    PUBLIC = "public key"  # the client's certificate or public key


class ValidityState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not yet valid"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    issuer: str
    sha256_fingerprint: str
    sha1_thumbprint: str
    not_before: dt.datetime
    not_after: dt.datetime
    der: bytes = field(repr=False, compare=False)


@dataclass(frozen=True)
class SignatureVerdict:
    status: SignatureStatus
    reason: str
    algorithm: str | None = None
    digest_algorithm: str | None = None
    digest_value: str | None = None  # base64, as in the token
    reference: str | None = None
    certificate: CertificateSummary | None = None  # the verifying one, else the one carried
    trusted_alias: str | None = None
    weak_algorithm: bool = False  # SHA-1 signature or digest

    @property
    def ok(self) -> bool:
        return self.status is SignatureStatus.VALID


@dataclass(frozen=True)
class EncryptionInfo:
    data_algorithm: str | None
    key_transport: str | None
    recipient_thumbprint: str | None  # SHA-1 of the recipient certificate, hex pairs
    recipient_alias: str | None  # the known certificate it matches
    decrypted: bool
    reason: str
    # The right private key was given (it belongs to the named recipient) and still the
    # wrapped key would not open: the token is broken, not meant for someone else.
    damaged: bool = False


@dataclass(frozen=True)
class HolderOfKeyInfo:
    kind: ProofKind
    key_transport: str | None = None  # symmetric: how the proof key is wrapped
    recipient_thumbprint: str | None = None  # symmetric: the relying party's certificate
    recipient_alias: str | None = None
    certificate: CertificateSummary | None = None  # public: the client's certificate
    key_bits: int | None = None  # symmetric: when unwrapped; public: the RSA modulus size
    proof_key: bytes | None = field(default=None, repr=False)  # symmetric, when unwrapped

    @property
    def relying_party_view(self) -> str:
        """What the relying party finds in the token to check possession of the key."""
        if self.kind is ProofKind.SYMMETRIC:
            who = self.recipient_alias or self.recipient_thumbprint or "an unnamed certificate"
            return f"an EncryptedKey it decrypts with the private key of {who}"
        if self.kind is ProofKind.PUBLIC:
            if self.certificate is not None:
                return f"the client's certificate {self.certificate.subject}"
            return "the client's public key"
        return "no key: whoever presents the token may use it"


@dataclass(frozen=True)
class ValidityTimeline:
    now: dt.datetime
    not_before: dt.datetime | None
    not_on_or_after: dt.datetime | None
    skew_seconds: int
    state: ValidityState
    remaining_seconds: float | None  # until NotOnOrAfter; negative once past it
    lifetime_seconds: float | None
    within_skew: bool  # accepted only thanks to the clock-skew allowance
    note: str
    # The times are the RSTR's wst:Lifetime, not the token's own conditions (which an
    # encrypted token hides until it is decrypted).
    from_response: bool = False

    @property
    def expired(self) -> bool:
        return self.state is ValidityState.EXPIRED

    @property
    def not_yet_valid(self) -> bool:
        return self.state is ValidityState.NOT_YET_VALID


# -- certificates -------------------------------------------------------------------------------


def summarize_certificate(cert: x509.Certificate) -> CertificateSummary:
    description = describe_certificate(cert)
    return CertificateSummary(
        subject=description.subject,
        issuer=description.issuer,
        sha256_fingerprint=description.sha256_fingerprint,
        sha1_thumbprint=certificate_fingerprint(cert, "sha1"),
        not_before=description.not_before,
        not_after=description.not_after,
        der=cert.public_bytes(serialization.Encoding.DER),
    )


def _text(node: etree._Element | None) -> str | None:
    # All text nodes: a comment inside a value must not cut it short (see samlreader).
    return None if node is None else "".join(node.itertext()).strip()


def _certificate_from_der(der: bytes | None) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(der) if der else None
    except ValueError:
        return None


def _certificate_from_text(text: str | None) -> x509.Certificate | None:
    try:
        der = base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return _certificate_from_der(der)


def _alias_for(cert: x509.Certificate, catalogue: Mapping[str, x509.Certificate]) -> str | None:
    for alias, candidate in catalogue.items():
        if candidate == cert or _same_key(candidate, cert):
            return alias
    return None


def _same_key(first: x509.Certificate, second: x509.Certificate) -> bool:
    try:
        a, b = first.public_key(), second.public_key()
    except ValueError:
        return False
    return (isinstance(a, rsa.RSAPublicKey) and isinstance(b, rsa.RSAPublicKey)
            and a.public_numbers() == b.public_numbers())


def _alias_for_thumbprint(
    thumbprint: str | None, catalogue: Mapping[str, x509.Certificate]
) -> str | None:
    if thumbprint is None:
        return None
    for alias, cert in catalogue.items():
        if certificate_fingerprint(cert, "sha1") == thumbprint:
            return alias
    return None


def _thumbprint_of_key_info(key_info: etree._Element | None) -> str | None:
    if key_info is None:
        return None
    named = key_info_thumbprint(key_info)
    if named is not None:
        return named
    cert = _certificate_from_text(_text(key_info.find(f"{_DS}X509Data/{_DS}X509Certificate")))
    if cert is None:
        cert = _certificate_from_text(
            _text(key_info.find(
                f"{_WSSE}SecurityTokenReference/{_DS}X509Data/{_DS}X509Certificate"
            ))
        )
    return certificate_fingerprint(cert, "sha1") if cert is not None else None


def _key_of(key: PrivateKey, certificate: x509.Certificate) -> bool:
    """True when ``key`` is the private half of ``certificate``'s public key."""
    public = certificate.public_key()
    return isinstance(public, rsa.RSAPublicKey) and (
        public.public_numbers() == key.public_key().public_numbers())


def _recipient_text(thumbprint: str | None, alias: str | None) -> str:
    if alias and thumbprint:
        return f"the certificate '{alias}' (SHA-1 thumbprint {thumbprint})"
    if thumbprint:
        return f"the certificate with SHA-1 thumbprint {thumbprint}"
    return "a certificate the token does not name"


# -- encryption ---------------------------------------------------------------------------------


def open_encrypted(
    element: etree._Element,
    keys: Sequence[PrivateKey],
    catalogue: Mapping[str, x509.Certificate],
) -> tuple[EncryptionInfo, etree._Element | None]:
    """What the encrypted token says of itself, and the assertion inside when a key opens it.

    Raises InvalidRequestError when it is not an encrypted assertion (it decrypts to
    something else, or an EncryptedAssertion holds no EncryptedData).
    """
    if element.tag == f"{_S2}EncryptedAssertion":
        encrypted_data = element.find(f"{_XENC}EncryptedData")
        if encrypted_data is None:
            raise InvalidRequestError(
                "The EncryptedAssertion holds no xenc:EncryptedData; paste the whole token."
            )
    else:
        encrypted_data = element
    encrypted_key = encrypted_data.find(f"{_DS}KeyInfo/{_XENC}EncryptedKey")
    if encrypted_key is None:
        encrypted_key = element.find(f"{_XENC}EncryptedKey")  # beside the data
    data_method = encrypted_data.find(f"{_XENC}EncryptionMethod")
    key_method = (encrypted_key.find(f"{_XENC}EncryptionMethod")
                  if encrypted_key is not None else None)
    thumbprint = _thumbprint_of_key_info(
        encrypted_key.find(f"{_DS}KeyInfo") if encrypted_key is not None else None
    )
    alias = _alias_for_thumbprint(thumbprint, catalogue)
    recipient = _recipient_text(thumbprint, alias)

    def info(decrypted: bool, reason: str, *, damaged: bool = False) -> EncryptionInfo:
        return EncryptionInfo(
            data_algorithm=data_method.get("Algorithm") if data_method is not None else None,
            key_transport=key_method.get("Algorithm") if key_method is not None else None,
            recipient_thumbprint=thumbprint,
            recipient_alias=alias,
            decrypted=decrypted,
            reason=reason,
            damaged=damaged,
        )

    if encrypted_key is None:
        reason = "The token carries no EncryptedKey, so no private key can open it."
        return info(False, reason), None
    if not keys:
        return info(
            False,
            f"It is encrypted for {recipient}; give that certificate's private key (PEM or "
            "PKCS#12) to read it.",
        ), None
    last_error = ""
    recipient_certificate = catalogue.get(alias) if alias else None
    for key in keys:
        try:
            inner = decrypt_assertion(element, key)
        except CryptoError as exc:
            if recipient_certificate is not None and _key_of(key, recipient_certificate):
                # The key is the recipient's own: "encrypted for another certificate" (quoting
                # the very thumbprint of the key given) would send the person looking for a
                # key they already have.
                return info(
                    False,
                    f"The token is damaged: it is encrypted for {recipient}, whose private key "
                    "was given, but its encrypted key or data does not decrypt with it. The "
                    "token was altered or broken on the way; request a new one.",
                    damaged=True,
                ), None
            last_error = exc.message
            continue
        except InvalidSecurityTokenError as exc:  # it opened, but holds no assertion
            raise InvalidRequestError(exc.message) from exc
        return info(True, f"Decrypted with the private key of {recipient}."), inner
    return info(
        False,
        f"It is encrypted for {recipient}, and none of the given private keys opens it "
        f"({last_error.rstrip('.')}). Give the private key of that certificate.",
    ), None


# -- holder of key ------------------------------------------------------------------------------


def holder_of_key_info(
    subject: SubjectInfo | None,
    confirmation: Confirmation | None,
    keys: Sequence[PrivateKey],
    catalogue: Mapping[str, x509.Certificate],
) -> HolderOfKeyInfo | None:
    """Which key the presenter proves, from the subject's confirmation the reader found."""
    if subject is None:
        return None
    if subject.confirmation_method not in HOLDER_OF_KEY_METHODS:
        return HolderOfKeyInfo(kind=ProofKind.BEARER)
    if isinstance(confirmation, HolderOfKeySymmetric):
        encrypted_key = confirmation.encrypted_key
        thumbprint = _thumbprint_of_key_info(encrypted_key.find(f"{_DS}KeyInfo"))
        method_node = encrypted_key.find(f"{_XENC}EncryptionMethod")
        proof_key = None
        for key in keys:
            try:
                proof_key = decrypt_key(encrypted_key, key)
                break
            except CryptoError:
                continue
        return HolderOfKeyInfo(
            kind=ProofKind.SYMMETRIC,
            key_transport=method_node.get("Algorithm") if method_node is not None else None,
            recipient_thumbprint=thumbprint,
            recipient_alias=_alias_for_thumbprint(thumbprint, catalogue),
            key_bits=len(proof_key) * 8 if proof_key is not None else None,
            proof_key=proof_key,
        )
    if isinstance(confirmation, HolderOfKeyPublic):
        cert = _certificate_from_der(confirmation.certificate_der)
        if cert is not None:
            public = cert.public_key()
            return HolderOfKeyInfo(
                kind=ProofKind.PUBLIC,
                certificate=summarize_certificate(cert),
                key_bits=public.key_size if isinstance(public, rsa.RSAPublicKey) else None,
            )
    # Holder-of-key with no key this reader could name (the problems say why).
    return HolderOfKeyInfo(kind=ProofKind.PUBLIC)


# -- signature ----------------------------------------------------------------------------------


def check_signature(
    assertion: etree._Element, trusted: Mapping[str, x509.Certificate]
) -> SignatureVerdict:
    """The assertion's signature judged against ``trusted`` (alias -> certificate)."""
    signatures = [child for child in assertion if child.tag == f"{_DS}Signature"]
    if not signatures:
        return SignatureVerdict(
            SignatureStatus.UNSIGNED,
            "The token carries no signature: anyone could have written it. A relying party "
            "must refuse it.",
        )
    details = _signature_details(signatures[0])
    carried = _certificate_from_text(
        _text(signatures[0].find(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate"))
    )
    first_reason: str | None = None
    if trusted:
        try:
            verified = verify_assertion(assertion, trusted_certificates=list(trusted.values()))
        except StsError as exc:
            first_reason = exc.message
        else:
            alias = _alias_for(verified.certificate, trusted)
            return SignatureVerdict(
                SignatureStatus.VALID,
                f"The signature is valid, made with the trusted certificate '{alias}'.",
                certificate=summarize_certificate(verified.certificate),
                trusted_alias=alias,
                **details,
            )
    try:
        verified = verify_assertion(assertion, trusted_certificates=None)
    except StsError as exc:
        return SignatureVerdict(
            SignatureStatus.INVALID,
            first_reason or exc.message,
            certificate=summarize_certificate(carried) if carried is not None else None,
            **details,
        )
    return SignatureVerdict(
        SignatureStatus.UNTRUSTED,
        "The signature is intact, but only the certificate carried inside the token vouches "
        "for it, and that certificate is not one you trust. Check it against the issuer's "
        "certificate from the trust store or a file.",
        certificate=summarize_certificate(verified.certificate),
        **details,
    )


def _signature_details(signature: etree._Element) -> dict[str, Any]:
    signed_info = signature.find(f"{_DS}SignedInfo")
    method = signed_info.find(f"{_DS}SignatureMethod") if signed_info is not None else None
    reference = signed_info.find(f"{_DS}Reference") if signed_info is not None else None
    digest_method = reference.find(f"{_DS}DigestMethod") if reference is not None else None
    algorithm = method.get("Algorithm") if method is not None else None
    digest_algorithm = digest_method.get("Algorithm") if digest_method is not None else None
    return {
        "algorithm": algorithm,
        "digest_algorithm": digest_algorithm,
        "digest_value": (_text(reference.find(f"{_DS}DigestValue"))
                         if reference is not None else None),
        "reference": reference.get("URI") if reference is not None else None,
        "weak_algorithm": algorithm in _WEAK_ALGORITHMS or digest_algorithm in _WEAK_ALGORITHMS,
    }


# -- validity -----------------------------------------------------------------------------------


def validity_timeline(
    now: dt.datetime,
    not_before: dt.datetime | None,
    not_on_or_after: dt.datetime | None,
    skew_seconds: int,
) -> ValidityTimeline:
    """Where ``now`` stands in the token's validity period, allowing ``skew_seconds``."""
    skew = dt.timedelta(seconds=skew_seconds)
    remaining = (not_on_or_after - now).total_seconds() if not_on_or_after else None
    lifetime = (
        (not_on_or_after - not_before).total_seconds() if not_before and not_on_or_after else None
    )
    within_skew = False
    if not_on_or_after is None and not_before is None:
        state, note = ValidityState.UNKNOWN, "The token states no validity period."
    elif not_on_or_after is not None and now >= not_on_or_after + skew:
        state = ValidityState.EXPIRED
        note = f"Expired {_duration(-(remaining or 0))} ago (at {_when(not_on_or_after)})."
    elif not_before is not None and now < not_before - skew:
        state = ValidityState.NOT_YET_VALID
        note = (f"Not valid for another {_duration((not_before - now).total_seconds())} "
                f"(from {_when(not_before)}); check the clocks.")
    else:
        state = ValidityState.VALID
        within_skew = (not_on_or_after is not None and now >= not_on_or_after) or (
            not_before is not None and now < not_before
        )
        if within_skew:
            note = (f"Accepted only within the {skew_seconds} s clock-skew allowance; the "
                    "clocks of the STS and this machine differ, or the token is at its edge.")
        elif remaining is not None:
            note = f"Valid for another {_duration(remaining)} (until {_when(not_on_or_after)})."
        else:
            note = "Valid, with no end time."
    return ValidityTimeline(
        now=now,
        not_before=not_before,
        not_on_or_after=not_on_or_after,
        skew_seconds=skew_seconds,
        state=state,
        remaining_seconds=remaining,
        lifetime_seconds=lifetime,
        within_skew=within_skew,
        note=note,
    )


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "?"


def _duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"
