"""WS-SecureConversation derived keys (``wsc:DerivedKeyToken``, P_SHA1) read and made.

A symmetric-binding policy with ``RequireDerivedKeys`` signs and encrypts with keys derived
from the EncryptedKey's secret rather than with the secret itself. Both WS-SC namespaces are
read; the answer uses the one that goes with the policy's WS-SecurityPolicy namespace.
"""

from __future__ import annotations

import base64
import os

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidSecurityError, StsError
from stsdesk.core.psha1 import p_sha1
from stsdesk.core.wssec.errors import BadContextTokenError, UnknownDerivationSourceError
from stsdesk.core.wssec.tokens import WSSE_, WSU_ID, MessageTokens, SymmetricKey
from stsdesk.core.xmlutil import decode_base64

__all__ = ["DERIVED_KEY_TAGS", "read_derived_key", "make_derived_key", "wsc_for"]

DERIVED_KEY_TAGS = frozenset({f"{{{ns.WSC_2005}}}DerivedKeyToken",
                              f"{{{ns.WSC_13}}}DerivedKeyToken"})
_DEFAULT_LABEL = b"WS-SecureConversationWS-SecureConversation"
_DEFAULT_LENGTH = 32
_MAX_LENGTH = 128  # bytes; no algorithm here needs more
_ALGORITHMS = {f"{ns.WSC_2005}/dk/p_sha1", f"{ns.WSC_13}/dk/p_sha1"}


def wsc_for(security_policy_namespace: str) -> str:
    """The WS-SecureConversation namespace that goes with a WS-SecurityPolicy namespace."""
    return ns.WSC_13 if security_policy_namespace == ns.SP_12 else ns.WSC_2005


def read_derived_key(element: etree._Element, tokens: MessageTokens) -> SymmetricKey:
    """The key a DerivedKeyToken derives from the key its reference names (P_SHA1)."""
    wsc = etree.QName(element).namespace
    algorithm = element.get("Algorithm")
    if algorithm is not None and algorithm not in _ALGORITHMS:
        raise InvalidSecurityError(
            f"The DerivedKeyToken uses {algorithm[:120]!r}; only P_SHA1 derivation is accepted."
        )
    reference = element.find(f"{WSSE_}SecurityTokenReference")
    if reference is None:
        raise InvalidSecurityError("The DerivedKeyToken names no key to derive from.")
    try:
        base = tokens.key_named_by(reference)
    except BadContextTokenError as exc:
        # WS-SecureConversation's own fault for a derivation from a context it does not have.
        raise UnknownDerivationSourceError(exc.message) from exc
    nonce = decode_base64(element.findtext(f"{{{wsc}}}Nonce"), "DerivedKeyToken Nonce",
                          InvalidSecurityError)
    if not nonce:
        raise InvalidSecurityError("The DerivedKeyToken has no Nonce.")
    label_text = element.findtext(f"{{{wsc}}}Label")
    label = label_text.encode("utf-8") if label_text is not None else _DEFAULT_LABEL
    length = _number(element, wsc, "Length", _DEFAULT_LENGTH) or 0
    offset = _number(element, wsc, "Offset", None)
    generation = _number(element, wsc, "Generation", None)
    if offset is not None and generation is not None:
        raise InvalidSecurityError("The DerivedKeyToken has both an Offset and a Generation.")
    start = offset if offset is not None else (generation or 0) * length
    if not 0 < length <= _MAX_LENGTH or start > 4 * _MAX_LENGTH:
        raise InvalidSecurityError("The DerivedKeyToken asks for a key of unusable length.")
    try:
        derived = p_sha1(base.key, label + nonce, start + length)[start:]
    except StsError as exc:
        raise InvalidSecurityError(exc.message) from exc
    return SymmetricKey(derived, element.get(WSU_ID), None, derived_from=base.key,
                        context=base.context)


def make_derived_key(
    base_reference: etree._Element, secret: bytes, length: int, *, wsc: str, element_id: str
) -> tuple[etree._Element, bytes]:
    """A DerivedKeyToken over ``secret`` (named by ``base_reference``) and the key it yields."""
    nonce = os.urandom(16)
    element = etree.Element(f"{{{wsc}}}DerivedKeyToken", nsmap={"wsc": wsc})
    element.set(WSU_ID, element_id)
    element.append(base_reference)
    etree.SubElement(element, f"{{{wsc}}}Offset").text = "0"
    etree.SubElement(element, f"{{{wsc}}}Length").text = str(length)
    etree.SubElement(element, f"{{{wsc}}}Nonce").text = base64.b64encode(nonce).decode("ascii")
    return element, p_sha1(secret, _DEFAULT_LABEL + nonce, length)


def _number(element: etree._Element, wsc: str, name: str, default: int | None) -> int | None:
    text = element.findtext(f"{{{wsc}}}{name}")
    if text is None:
        return default
    try:
        return int(text.strip())
    except ValueError as exc:
        raise InvalidSecurityError(f"The DerivedKeyToken {name} is not a number.") from exc
