"""Enveloped XML signatures (exclusive c14n, RSA) that resist signature wrapping."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.c14ntext import escape_attribute
from stsdesk.core.certificates import SigningIdentity
from stsdesk.core.errors import (
    CryptoError,
    InvalidRequestError,
    InvalidSecurityTokenError,
    StsError,
)
from stsdesk.core.xmlparse import parse_xml
from stsdesk.core.xmlutil import algorithm

__all__ = [
    "SignatureAlgorithm", "DigestAlgorithm", "VerifiedSignature", "sign_enveloped",
    "enveloped_signature",
    "verify_enveloped", "ENVELOPED_SIGNATURE", "DEFAULT_SIGNATURE_ALGORITHMS",
]

logger = logging.getLogger("stsdesk.core.xmldsig")

ENVELOPED_SIGNATURE = ns.ENVELOPED_SIGNATURE
_INCLUSIVE_NAMESPACES = f"{{{ns.EXC_C14N}}}InclusiveNamespaces"


class SignatureAlgorithm(StrEnum):
    RSA_SHA256 = ns.RSA_SHA256
    RSA_SHA512 = ns.RSA_SHA512
    RSA_SHA1 = ns.RSA_SHA1  # legacy relying parties only


class DigestAlgorithm(StrEnum):
    SHA256 = ns.SHA256
    SHA512 = ns.SHA512
    SHA1 = ns.SHA1


# Verification accepts all three RSA methods unless the caller narrows the set: the STS must be
# able to validate and renew the SHA-1 tokens it issued for legacy relying parties.
DEFAULT_SIGNATURE_ALGORITHMS: frozenset[str] = frozenset(a.value for a in SignatureAlgorithm)

_SIGN_TRANSFORMS = {
    SignatureAlgorithm.RSA_SHA256: xmlsec.constants.TransformRsaSha256,
    SignatureAlgorithm.RSA_SHA512: xmlsec.constants.TransformRsaSha512,
    SignatureAlgorithm.RSA_SHA1: xmlsec.constants.TransformRsaSha1,
}
_DIGEST_TRANSFORMS = {
    DigestAlgorithm.SHA256: xmlsec.constants.TransformSha256,
    DigestAlgorithm.SHA512: xmlsec.constants.TransformSha512,
    DigestAlgorithm.SHA1: xmlsec.constants.TransformSha1,
}
_DIGEST_HASHLIB = {
    DigestAlgorithm.SHA256: "sha256",
    DigestAlgorithm.SHA512: "sha512",
    DigestAlgorithm.SHA1: "sha1",
}


@dataclass(frozen=True)
class VerifiedSignature:
    """What a successful verification proved; ``certificate`` is the key that verified."""

    certificate: x509.Certificate
    signature_algorithm: str
    digest_algorithm: str
    reference_uri: str


def _q(local: str) -> str:
    return f"{{{ns.DS}}}{local}"


# The RSA padding and hash of each signature method, for signing with the identity's own key
# object: cryptography keeps the key's precomputed (Montgomery) state between signatures, where
# handing xmlsec the key duplicated it, and lost that state, for every token.
_SIGN_HASHES: dict[SignatureAlgorithm, type[hashes.HashAlgorithm]] = {
    SignatureAlgorithm.RSA_SHA256: hashes.SHA256,
    SignatureAlgorithm.RSA_SHA512: hashes.SHA512,
    SignatureAlgorithm.RSA_SHA1: hashes.SHA1,
}


def _exc_c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def sign_enveloped(
    element: etree._Element,
    identity: SigningIdentity,
    *,
    id_attribute: str,
    position: int,
    signature_algorithm: SignatureAlgorithm | str = SignatureAlgorithm.RSA_SHA256,
    digest_algorithm: DigestAlgorithm | str = DigestAlgorithm.SHA256,
) -> etree._Element:
    """Sign ``element`` in place with an enveloped ds:Signature inserted as child ``position``.

    One Reference to ``#<id>``, transforms enveloped-signature then exc-c14n, SignedInfo in
    exc-c14n, and the signing certificate in KeyInfo/X509Data. Returns the ds:Signature.

    The element is canonicalised with libxml2's exc-c14n (through lxml), the same code xmlsec
    runs, and signed by :func:`enveloped_signature`, as a token written as text is;
    verification stays with xmlsec.
    """
    element_id = element.get(id_attribute)
    if not element_id:
        raise InvalidRequestError(
            f"The element to sign has no {id_attribute} attribute, so a signature cannot "
            "refer to it."
        )
    if any(child.tag == _q("Signature") for child in element):
        raise InvalidRequestError("The element is already signed; sign a fresh copy instead.")
    # The enveloped-signature transform followed by exc-c14n yields the element's exclusive
    # canonical form without its signature: exactly what is serialised here before the
    # signature goes in. Exclusive canonicalisation leaves out the namespaces of whatever
    # document the element sits in, so the digest does not depend on its place either.
    text = enveloped_signature(
        _exc_c14n(element),
        identity,
        reference_id=element_id,
        signature_algorithm=signature_algorithm,
        digest_algorithm=digest_algorithm,
    )
    signature = parse_xml(text.encode("utf-8"))
    element.insert(position, signature)
    return signature


def enveloped_signature(
    canonical: bytes,
    identity: SigningIdentity,
    *,
    reference_id: str,
    signature_algorithm: SignatureAlgorithm | str = SignatureAlgorithm.RSA_SHA256,
    digest_algorithm: DigestAlgorithm | str = DigestAlgorithm.SHA256,
) -> str:
    """The ds:Signature, as exclusive canonical text, for the element whose ID is
    ``reference_id`` and whose exclusive canonical form, without the signature, is
    ``canonical``.

    Spliced into that element's text (anywhere between its children) it makes an enveloped
    signature :func:`verify_enveloped` accepts: the enveloped-signature transform removes exactly
    this text again before exc-c14n, so the digest over ``canonical`` is the one a verifier
    computes. ``ds`` is declared on the Signature itself, even when an ancestor declares it too,
    as OpenSAML, ADFS and Shibboleth do: verifiers that take the Signature out of its document as
    text (xml-crypto up to 0.8.1) then still canonicalise SignedInfo in the ds namespace.
    """
    sign_method = algorithm(SignatureAlgorithm, signature_algorithm, "signature algorithm")
    digest_method = algorithm(DigestAlgorithm, digest_algorithm, "digest algorithm")
    digest = hashlib.new(_DIGEST_HASHLIB[digest_method], canonical).digest()
    reference_uri = escape_attribute(f"#{reference_id}", "signed element's ID")
    signed_info = (
        f'<ds:CanonicalizationMethod Algorithm="{ns.EXC_C14N}"></ds:CanonicalizationMethod>'
        f'<ds:SignatureMethod Algorithm="{sign_method.value}"></ds:SignatureMethod>'
        f'<ds:Reference URI="{reference_uri}"><ds:Transforms>'
        f'<ds:Transform Algorithm="{ENVELOPED_SIGNATURE}"></ds:Transform>'
        f'<ds:Transform Algorithm="{ns.EXC_C14N}"></ds:Transform></ds:Transforms>'
        f'<ds:DigestMethod Algorithm="{digest_method.value}"></ds:DigestMethod>'
        f"<ds:DigestValue>{_b64(digest)}</ds:DigestValue></ds:Reference>"
    )
    # SignedInfo canonicalised on its own declares ds (it uses it and has no output ancestor);
    # inside the Signature it inherits the Signature's declaration, which a verifier's exc-c14n
    # of SignedInfo renders in the same place: the signed octets are the same either way.
    try:
        value = identity.private_key.sign(
            f'<ds:SignedInfo xmlns:ds="{ns.DS}">{signed_info}</ds:SignedInfo>'.encode(),
            padding.PKCS1v15(),
            _SIGN_HASHES[sign_method](),
        )
    except (ValueError, TypeError) as exc:
        raise CryptoError(
            f"The token could not be signed ({exc}); check the signing key in the keystore."
        ) from exc
    certificate = _certificate_text(identity.certificate_der())
    return (
        f'<ds:Signature xmlns:ds="{ns.DS}"><ds:SignedInfo>{signed_info}</ds:SignedInfo>'
        f"<ds:SignatureValue>{_b64(value)}</ds:SignatureValue><ds:KeyInfo><ds:X509Data>"
        f"<ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</ds:Signature>"
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@lru_cache(maxsize=16)
def _certificate_text(certificate_der: bytes) -> str:
    # The signing certificate is the same bytes object for every token the identity signs.
    return _b64(certificate_der)


def verify_enveloped(
    element: etree._Element,
    *,
    id_attribute: str,
    trusted_certificates: Sequence[x509.Certificate] | None = None,
    allowed_signature_algorithms: frozenset[str] | None = None,
) -> VerifiedSignature:
    """Verify the enveloped signature that is a direct child of ``element``.

    The signature must be the only ds:Signature child, hold exactly one Reference to
    ``#`` + the element's own ``id_attribute`` (unique in the whole document), and use only the
    enveloped-signature and exc-c14n transforms. With ``trusted_certificates`` the verifying key
    must be one of theirs (KeyInfo is never trusted); with None the KeyInfo certificate is used
    and the caller must treat the result as untrusted.

    Comments are not signed (exc-c14n without comments), so inserting one does not break the
    signature; readers must therefore take all text nodes of a value (``itertext``), which is the
    signed text, never only the text before a comment.

    The caller's tree is never modified: the cryptographic check runs on a private copy.
    """
    allowed = (
        DEFAULT_SIGNATURE_ALGORITHMS
        if allowed_signature_algorithms is None
        else frozenset(allowed_signature_algorithms)
    )
    checked = _check_structure(element, id_attribute=id_attribute, allowed=allowed)
    work = _private_copy(element)
    signature = next(child for child in work if child.tag == _q("Signature"))
    keyinfo_cert = _keyinfo_certificate(signature, required=trusted_certificates is None)

    candidates: list[x509.Certificate]
    if trusted_certificates is None:
        candidates = [keyinfo_cert] if keyinfo_cert is not None else []
    else:
        # The KeyInfo only orders the attempts (the matching trusted key is tried first); trust
        # comes from the list alone.
        candidates = sorted(
            trusted_certificates,
            key=lambda cert: not _same_public_key(cert, keyinfo_cert),
        )

    context_id = element.get(id_attribute)
    for cert in candidates:
        if _xmlsec_verify(work, signature, cert, id_attribute, checked):
            return VerifiedSignature(
                certificate=cert,
                signature_algorithm=checked.signature_algorithm,
                digest_algorithm=checked.digest_algorithm,
                reference_uri=f"#{context_id}",
            )
    raise InvalidSecurityTokenError(
        _failure_reason(work, signature, checked, trusted_certificates, keyinfo_cert)
    )


@dataclass(frozen=True)
class _CheckedSignature:
    signature_algorithm: str
    digest_algorithm: str
    digest_value: bytes
    inclusive_prefixes: tuple[str, ...]


def _fail(reason: str) -> InvalidSecurityTokenError:
    return InvalidSecurityTokenError(reason)


def _check_structure(
    element: etree._Element, *, id_attribute: str, allowed: frozenset[str]
) -> _CheckedSignature:
    signatures = [child for child in element if child.tag == _q("Signature")]
    if not signatures:
        raise _fail("The token is not signed. Send the token exactly as the STS issued it.")
    if len(signatures) > 1:
        raise _fail(
            "The token carries more than one signature; this STS accepts exactly one enveloped "
            "signature per token."
        )
    signature = signatures[0]
    element_id = element.get(id_attribute)
    if not element_id:
        raise _fail(
            f"The token has no {id_attribute} attribute, so its signature cannot refer to it."
        )
    occurrences = _count_id(element.getroottree().getroot(), element_id)
    if occurrences > 1:
        raise _fail(
            f"The identifier {element_id!r} appears {occurrences} times in the message (possible "
            "signature wrapping); the token's ID must be unique."
        )

    children = [child for child in signature if isinstance(child.tag, str)]
    names = [etree.QName(child).localname if child.tag.startswith(f"{{{ns.DS}}}") else child.tag
             for child in children]
    if names[:2] != ["SignedInfo", "SignatureValue"] or any(
        name not in ("KeyInfo",) for name in names[2:]
    ):
        if "Object" in names:
            raise _fail("The token's signature contains a ds:Object, which this STS refuses.")
        raise _fail(
            "The token's signature is malformed: it needs SignedInfo, SignatureValue and at most "
            "a KeyInfo."
        )
    signed_info = children[0]

    c14n = signed_info.find(_q("CanonicalizationMethod"))
    if c14n is None or c14n.get("Algorithm") != ns.EXC_C14N:
        found = None if c14n is None else c14n.get("Algorithm")
        raise _fail(
            f"The token's SignedInfo uses canonicalisation {found!r}; only exclusive "
            f"canonicalisation ({ns.EXC_C14N}) is accepted."
        )
    _only_inclusive_namespaces(c14n)
    method = signed_info.find(_q("SignatureMethod"))
    signature_algorithm = None if method is None else method.get("Algorithm")
    if method is None or signature_algorithm not in allowed or len(method):
        # Children of SignatureMethod (HMACOutputLength) are refused: RSA methods take none.
        raise _fail(
            f"The token is signed with {signature_algorithm!r}, which is not allowed here; "
            f"allowed: {', '.join(sorted(allowed)) or 'none'}."
        )

    references = signed_info.findall(_q("Reference"))
    if len(references) != 1:
        raise _fail(
            f"The token's signature has {len(references)} references; exactly one, to the token "
            "itself, is required."
        )
    reference = references[0]
    uri = reference.get("URI")
    if uri != f"#{element_id}":
        raise _fail(
            f"The token's signature refers to {uri!r}, not to the token itself "
            f"(#{element_id}); the signature does not cover this token."
        )
    prefixes = _check_transforms(reference)
    digest_method = reference.find(_q("DigestMethod"))
    digest_algorithm = None if digest_method is None else digest_method.get("Algorithm")
    allowed_digests = {d.value for d in DigestAlgorithm}
    if SignatureAlgorithm.RSA_SHA1.value not in allowed:
        allowed_digests.discard(DigestAlgorithm.SHA1.value)
    if digest_algorithm not in allowed_digests:
        raise _fail(
            f"The token's signature uses digest {digest_algorithm!r}, which is not allowed here."
        )
    digest_node = reference.find(_q("DigestValue"))
    try:
        digest_value = base64.b64decode("".join((digest_node.text or "").split()), validate=True)
    except (AttributeError, binascii.Error) as exc:
        raise _fail("The token's signature has no readable DigestValue.") from exc
    return _CheckedSignature(
        signature_algorithm=signature_algorithm,
        digest_algorithm=digest_algorithm,
        digest_value=digest_value,
        inclusive_prefixes=prefixes,
    )


def _check_transforms(reference: etree._Element) -> tuple[str, ...]:
    transforms_node = reference.find(_q("Transforms"))
    transforms = [] if transforms_node is None else [
        t for t in transforms_node if isinstance(t.tag, str)
    ]
    algorithms = [t.get("Algorithm") for t in transforms]
    if any(t.tag != _q("Transform") for t in transforms) or algorithms not in (
        [ENVELOPED_SIGNATURE],
        [ENVELOPED_SIGNATURE, ns.EXC_C14N],
    ):
        raise _fail(
            f"The token's signature uses the transforms {algorithms}; only enveloped-signature "
            "followed by exclusive canonicalisation is accepted."
        )
    if len(transforms[0]):
        raise _fail("The token's enveloped-signature transform has unexpected content.")
    if len(transforms) == 2:
        return _only_inclusive_namespaces(transforms[1])
    return ()


def _only_inclusive_namespaces(method: etree._Element) -> tuple[str, ...]:
    children = [child for child in method if isinstance(child.tag, str)]
    if not children:
        return ()
    if len(children) > 1 or children[0].tag != _INCLUSIVE_NAMESPACES:
        raise _fail("The token's canonicalisation method has unexpected content.")
    return tuple((children[0].get("PrefixList") or "").split())


_ID_NAMES = frozenset({"ID", "Id", "id", "AssertionID"})
_XML_ID = f"{{{ns.XML}}}id"


def _count_id(root: etree._Element, value: str) -> int:
    count = 0
    for node in root.iter(tag=etree.Element):
        for name, attribute_value in node.attrib.items():
            if attribute_value == value and (
                name == _XML_ID or etree.QName(name).localname in _ID_NAMES
            ):
                count += 1
                break
    return count


def _private_copy(element: etree._Element) -> etree._Element:
    # Serialising keeps every in-scope namespace declaration (deepcopy keeps only used ones),
    # which InclusiveNamespaces prefix lists may need; parsing again yields a fresh document.
    try:
        return parse_xml(etree.tostring(element))
    except StsError as exc:
        raise _fail(f"The token could not be read for verification: {exc.message}") from exc


def _keyinfo_certificate(
    signature: etree._Element, *, required: bool
) -> x509.Certificate | None:
    certs = signature.findall(f"{_q('KeyInfo')}/{_q('X509Data')}/{_q('X509Certificate')}")
    if len(certs) != 1:
        if required:
            raise _fail(
                "The token's signature does not carry exactly one certificate in its KeyInfo, "
                "so it cannot be checked without a trusted certificate."
            )
        return None
    try:
        der = base64.b64decode("".join((certs[0].text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError) as exc:
        if required:
            raise _fail("The certificate in the token's signature could not be read.") from exc
        return None


def _same_public_key(cert: x509.Certificate, other: x509.Certificate | None) -> bool:
    if other is None:
        return False
    try:
        mine, theirs = cert.public_key(), other.public_key()
    except ValueError:
        return False
    if not isinstance(mine, rsa.RSAPublicKey) or not isinstance(theirs, rsa.RSAPublicKey):
        return False
    return mine.public_numbers() == theirs.public_numbers()


def _xmlsec_verify(
    work: etree._Element,
    signature: etree._Element,
    cert: x509.Certificate,
    id_attribute: str,
    checked: _CheckedSignature,
) -> bool:
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        return False
    context = xmlsec.SignatureContext()
    try:
        context.register_id(work, id_attribute)
        # Only what _check_structure allowed may run, in case xmlsec reads more than we did.
        context.enable_reference_transform(xmlsec.constants.TransformEnveloped)
        context.enable_reference_transform(xmlsec.constants.TransformExclC14N)
        for digest in _DIGEST_TRANSFORMS.values():
            context.enable_reference_transform(digest)
        context.enable_signature_transform(xmlsec.constants.TransformExclC14N)
        context.enable_signature_transform(
            _SIGN_TRANSFORMS[SignatureAlgorithm(checked.signature_algorithm)]
        )
        context.key = _xmlsec_public_key(cert.public_bytes(Encoding.DER))
        context.verify(signature)
    except xmlsec.VerificationError:
        return False
    except xmlsec.Error as exc:
        logger.debug("xmlsec could not process a signature: %s", exc)
        return False
    return True


@lru_cache(maxsize=64)
def _xmlsec_public_key(cert_der: bytes) -> xmlsec.Key:
    return xmlsec.Key.from_memory(cert_der, xmlsec.constants.KeyDataFormatCertDer)


def _failure_reason(
    work: etree._Element,
    signature: etree._Element,
    checked: _CheckedSignature,
    trusted_certificates: Sequence[x509.Certificate] | None,
    keyinfo_cert: x509.Certificate | None,
) -> str:
    # Tell the reader which part failed: a digest mismatch means the content changed; otherwise
    # the signature value does not fit the key (or the key is not one we trust).
    signature.getparent().remove(signature)
    canonical = etree.tostring(
        work,
        method="c14n",
        exclusive=True,
        with_comments=False,
        inclusive_ns_prefixes=list(checked.inclusive_prefixes) or None,
    )
    digest = hashlib.new(_DIGEST_HASHLIB[DigestAlgorithm(checked.digest_algorithm)], canonical)
    if not hmac.compare_digest(digest.digest(), checked.digest_value):
        return (
            "The token's signature does not match (digest mismatch: the token was altered after "
            "signing). Request a new token."
        )
    if trusted_certificates is not None and not any(
        _same_public_key(cert, keyinfo_cert) for cert in trusted_certificates
    ):
        return (
            "The token is signed by a certificate this STS does not trust. Import the issuer's "
            "certificate into the trust store, or request the token from this STS."
        )
    return (
        "The token's signature value is wrong for the key (the signature was damaged or made "
        "with another key). Request a new token."
    )

