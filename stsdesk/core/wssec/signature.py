"""Detached WS-Security signatures (XML-DSig over wsu:Id references), checked and made.

Verification runs xmlsec on a private copy of the whole envelope and reports the *live*
elements each reference resolved to: identifiers are unique (``element_ids``), so those are
exactly the elements whose bytes were digested. Callers decide what must have been signed by
identity (``element in signed``), never by looking an element up again by name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import CryptoError, InvalidSecurityError, StsError
from stsdesk.core.wssec.algorithms import Algorithm, UnsupportedAlgorithmError
from stsdesk.core.wssec.errors import FailedCheckError
from stsdesk.core.wssec.tokens import DS_, ID_ATTRIBUTES, element_ids
from stsdesk.core.xmlparse import parse_xml
from stsdesk.core.xmlutil import decode_base64

logger = logging.getLogger("stsdesk.core.wssec.signature")

__all__ = ["SignatureKey", "CheckedSignature", "verify_signature", "sign_detached"]

_SIGNATURE_TRANSFORMS = {
    Algorithm.RSA_SHA1: xmlsec.constants.TransformRsaSha1,
    Algorithm.RSA_SHA256: xmlsec.constants.TransformRsaSha256,
    Algorithm.HMAC_SHA1: xmlsec.constants.TransformHmacSha1,
    Algorithm.HMAC_SHA256: xmlsec.constants.TransformHmacSha256,
}
_DIGEST_TRANSFORMS = {
    Algorithm.SHA1: xmlsec.constants.TransformSha1,
    Algorithm.SHA256: xmlsec.constants.TransformSha256,
}


@dataclass(frozen=True)
class SignatureKey:
    """The key a signature is checked or made with: a certificate's RSA key or HMAC bytes."""

    certificate: x509.Certificate | None = None
    secret: bytes | None = None
    private_key_pem: bytes | None = None  # signing only

    def xmlsec_key(self) -> xmlsec.Key:
        if self.secret is not None:
            return xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac, self.secret)
        if self.private_key_pem is not None:
            return xmlsec.Key.from_memory(self.private_key_pem, xmlsec.constants.KeyDataFormatPem)
        if self.certificate is None:
            raise CryptoError("No key was given for the signature.")
        return xmlsec.Key.from_memory(
            self.certificate.public_bytes(Encoding.DER), xmlsec.constants.KeyDataFormatCertDer
        )


@dataclass(frozen=True)
class CheckedSignature:
    """A signature that verified: what it covered and its value (for SignatureConfirmation)."""

    signed: tuple[etree._Element, ...]
    value: bytes
    method: str


def _d(local: str) -> str:
    return f"{DS_}{local}"


def verify_signature(
    signature: etree._Element,
    key: SignatureKey,
    *,
    signature_methods: frozenset[str],
    digest_method: str,
) -> CheckedSignature:
    """Verify ``signature`` (in its live envelope) with ``key``; the methods are the policy's."""
    root = signature.getroottree().getroot()
    ids = element_ids(root)
    signed_info = signature.find(_d("SignedInfo"))
    if signed_info is None or signature.find(_d("SignatureValue")) is None:
        raise InvalidSecurityError("The ds:Signature has no SignedInfo or SignatureValue.")
    if signature.find(_d("Object")) is not None:
        raise InvalidSecurityError("The ds:Signature carries a ds:Object, which is refused.")
    c14n = signed_info.find(_d("CanonicalizationMethod"))
    if c14n is None or c14n.get("Algorithm") != ns.EXC_C14N:
        raise UnsupportedAlgorithmError(
            "The signature's SignedInfo is not canonicalised with exclusive c14n "
            f"({ns.EXC_C14N}), as the security policy requires."
        )
    method_el = signed_info.find(_d("SignatureMethod"))
    method = None if method_el is None else method_el.get("Algorithm")
    if method not in signature_methods:
        raise UnsupportedAlgorithmError(
            f"The message is signed with {str(method)[:120]!r}; the security policy's algorithm "
            f"suite allows {', '.join(sorted(signature_methods))}."
        )
    if method_el is not None and len(method_el):
        # HMACOutputLength would let a sender truncate the MAC to a guessable length.
        raise UnsupportedAlgorithmError("The SignatureMethod has parameters; none are accepted.")
    signed: list[etree._Element] = []
    for reference in signed_info.findall(_d("Reference")):
        signed.append(_referenced(reference, ids, digest_method))
    if not signed:
        raise InvalidSecurityError("The ds:Signature signs nothing (no ds:Reference).")
    value = decode_base64(signature.findtext(_d("SignatureValue")), "SignatureValue",
                          InvalidSecurityError)
    work_root = _private_copy(root)
    work_signature = _same_place(work_root, signature)
    context = xmlsec.SignatureContext()
    try:
        _register_ids(context, work_root)
        context.enable_reference_transform(xmlsec.constants.TransformExclC14N)
        context.enable_reference_transform(_DIGEST_TRANSFORMS[Algorithm(digest_method)])
        context.enable_signature_transform(xmlsec.constants.TransformExclC14N)
        context.enable_signature_transform(_SIGNATURE_TRANSFORMS[Algorithm(method)])
        context.key = key.xmlsec_key()
        context.verify(work_signature)
    except xmlsec.VerificationError as exc:
        raise FailedCheckError(
            "The message signature does not verify: a signed part was changed after signing, or "
            "it was signed with another key."
        ) from exc
    except xmlsec.Error as exc:
        # No library text in the fault: it would tell the client how its altered input failed.
        logger.debug("the message signature could not be checked: %s", exc)
        raise FailedCheckError("The message signature could not be checked.") from exc
    return CheckedSignature(tuple(signed), value, str(method))


def _referenced(
    reference: etree._Element, ids: dict[str, etree._Element], digest_method: str
) -> etree._Element:
    uri = (reference.get("URI") or "").strip()
    if not uri.startswith("#") or len(uri) < 2 or "(" in uri:
        raise InvalidSecurityError(
            f"The signature reference {uri[:80]!r} is not a same-document #id reference; only "
            "those are accepted."
        )
    target = ids.get(uri[1:])
    if target is None:
        raise InvalidSecurityError(
            f"The signature refers to {uri[:80]!r}, which is not in the message."
        )
    transforms = reference.find(_d("Transforms"))
    algorithms = [] if transforms is None else [
        t.get("Algorithm") for t in transforms if isinstance(t.tag, str)
    ]
    if any(algorithm != ns.EXC_C14N for algorithm in algorithms):
        raise UnsupportedAlgorithmError(
            f"The signature reference {uri[:80]!r} uses transforms {algorithms}; only exclusive "
            "canonicalisation is accepted."
        )
    digest = reference.find(_d("DigestMethod"))
    if digest is None or digest.get("Algorithm") != digest_method:
        found = None if digest is None else digest.get("Algorithm")
        raise UnsupportedAlgorithmError(
            f"The signature reference {uri[:80]!r} uses digest {str(found)[:120]!r}; the "
            f"security policy's algorithm suite requires {digest_method}."
        )
    return target


def _private_copy(root: etree._Element) -> etree._Element:
    try:
        return parse_xml(etree.tostring(root))
    except StsError as exc:  # pragma: no cover - the live tree was parsed the same way
        raise InvalidSecurityError(f"The message could not be re-read: {exc.message}") from exc


def _same_place(work_root: etree._Element, live: etree._Element) -> etree._Element:
    """The element of the private copy at ``live``'s position (child indices from the root)."""
    path: list[int] = []
    node = live
    while (parent := node.getparent()) is not None:
        path.append(parent.index(node))
        node = parent
    found = work_root
    for position in reversed(path):
        found = found[position]
    return found


def _register_ids(context: xmlsec.SignatureContext, root: etree._Element) -> None:
    for element in root.iter(tag=etree.Element):
        for local, namespace in ID_ATTRIBUTES:
            name = f"{{{namespace}}}{local}" if namespace else local
            if element.get(name) is not None:
                context.register_id(element, local, namespace)


def sign_detached(
    security: etree._Element,
    targets: Sequence[etree._Element],
    key: SignatureKey,
    *,
    signature_method: str,
    digest_method: str,
    key_info: etree._Element,
    position: int | None = None,
) -> etree._Element:
    """Sign ``targets`` (each with a wsu:Id, all in ``security``'s document) into ``security``.

    The ds:Signature is inserted at ``position`` (appended when None) with exclusive c14n for
    SignedInfo and each reference, and ``key_info`` as its KeyInfo. Returns the Signature.
    """
    signature = etree.Element(_d("Signature"), nsmap={"ds": ns.DS})
    signed_info = etree.SubElement(signature, _d("SignedInfo"))
    etree.SubElement(signed_info, _d("CanonicalizationMethod"), Algorithm=ns.EXC_C14N)
    etree.SubElement(signed_info, _d("SignatureMethod"), Algorithm=signature_method)
    for target in targets:
        target_id = next(
            (target.get(f"{{{n}}}{local}" if n else local) for local, n in ID_ATTRIBUTES
             if target.get(f"{{{n}}}{local}" if n else local)), None)
        if target_id is None:
            raise CryptoError("A part to sign has no identifier.")
        reference = etree.SubElement(signed_info, _d("Reference"), URI=f"#{target_id}")
        transforms = etree.SubElement(reference, _d("Transforms"))
        etree.SubElement(transforms, _d("Transform"), Algorithm=ns.EXC_C14N)
        etree.SubElement(reference, _d("DigestMethod"), Algorithm=digest_method)
        etree.SubElement(reference, _d("DigestValue"))
    etree.SubElement(signature, _d("SignatureValue"))
    signature.append(key_info)
    if position is None:
        security.append(signature)
    else:
        security.insert(position, signature)
    context = xmlsec.SignatureContext()
    try:
        _register_ids(context, security.getroottree().getroot())
        context.key = key.xmlsec_key()
        context.sign(signature)
    except xmlsec.Error as exc:
        raise CryptoError(f"The response could not be signed ({exc}).") from exc
    return signature

