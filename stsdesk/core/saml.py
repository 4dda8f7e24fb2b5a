"""SAML 1.1 and 2.0 assertions: write, sign, verify, encrypt and decrypt (read: samlreader)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from stsdesk.core import ns, xmldsig, xmlenc
from stsdesk.core.c14ntext import escape_attribute, escape_text
from stsdesk.core.certificates import SigningIdentity
from stsdesk.core.errors import InvalidRequestError, InvalidSecurityTokenError
from stsdesk.core.xmlparse import OWN_TEXT_LIMITS, parse_xml
from stsdesk.core.xsdatetime import format_xs_datetime

__all__ = [
    "SamlVersion", "PASSWORD_AUTHN_20", "PASSWORD_AUTHN_11", "SamlAttribute", "Bearer",
    "HolderOfKeySymmetric", "HolderOfKeyPublic", "Confirmation", "AssertionSpec",
    "new_assertion_id", "WrittenAssertion", "write_assertion", "build_assertion",
    "write_signed_assertion", "read_signed_assertion",
    "signature_position", "sign_assertion", "encrypt_assertion_text",
    "verify_assertion", "assertion_id_of", "saml_version_of", "encrypt_assertion",
    "decrypt_assertion", "split_claim_uri", "join_claim_uri", "CM_BEARER_20", "CM_HOLDER_OF_KEY_20",
    "CM_BEARER_11", "CM_HOLDER_OF_KEY_11", "ATTRNAME_FORMAT_URI", "NAMEID_UNSPECIFIED",
]

# Authentication method URIs, not passwords.
PASSWORD_AUTHN_20 = ns.SAML2_AC_PASSWORD_PROTECTED_TRANSPORT
PASSWORD_AUTHN_11 = ns.SAML11_AM_PASSWORD
CM_BEARER_20 = ns.SAML2_CM_BEARER
CM_HOLDER_OF_KEY_20 = ns.SAML2_CM_HOLDER_OF_KEY
CM_BEARER_11 = ns.SAML11_CM_BEARER
CM_HOLDER_OF_KEY_11 = ns.SAML11_CM_HOLDER_OF_KEY
ATTRNAME_FORMAT_URI = ns.SAML2_ATTRNAME_FORMAT_URI
NAMEID_UNSPECIFIED = ns.NAMEID_UNSPECIFIED
_XSI_TYPE = f"{{{ns.XSI}}}type"

# The shape WSO2 (OpenSAML), ADFS and Shibboleth give an assertion, which every verifier in the
# wild accepts: the root declares its own SAML namespace and, when attributes or a holder-of-key
# confirmation need them, xsi and xs (used in xsi:type values); ds, xenc and wsse are declared
# on the elements that use them (ds:KeyInfo here, ds:Signature by xmldsig), never on the root.
# Verifiers that take the ds:Signature out of its document as text (xml-crypto up to 0.8.1 and
# the SAML validators built on it) otherwise canonicalise SignedInfo without the ds namespace.
_SAML_PREFIX = {"2.0": ("saml2", ns.SAML2), "1.1": ("saml", ns.SAML11)}
# Matched whole (fullmatch): "$" would also match before a final line feed, and the ID is
# written into the token's text unescaped.
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")


class SamlVersion(StrEnum):
    SAML11 = "1.1"
    SAML20 = "2.0"


@dataclass(frozen=True)
class SamlAttribute:
    name: str  # the full claim URI, e.g. http://wso2.org/claims/emailaddress
    values: tuple[str, ...]


@dataclass(frozen=True)
class Bearer:
    """Whoever presents the token may use it."""


@dataclass(frozen=True)
class HolderOfKeySymmetric:
    """The presenter proves a symmetric key, given to the relying party encrypted."""

    encrypted_key: etree._Element  # an xenc:EncryptedKey (xmlenc.encrypt_key); copied on use


@dataclass(frozen=True)
class HolderOfKeyPublic:
    """The presenter proves the private key of this certificate."""

    certificate_der: bytes


Confirmation = Bearer | HolderOfKeySymmetric | HolderOfKeyPublic


@dataclass(frozen=True)
class AssertionSpec:
    version: SamlVersion
    assertion_id: str
    issuer: str
    issue_instant: dt.datetime  # aware; written in UTC as ...Z with millisecond precision
    not_before: dt.datetime
    not_on_or_after: dt.datetime
    subject_name: str
    name_id_format: str
    audiences: tuple[str, ...]  # empty: no audience restriction
    authn_instant: dt.datetime
    authn_method: str  # PASSWORD_AUTHN_20 / PASSWORD_AUTHN_11 style URI
    attributes: tuple[SamlAttribute, ...] = ()
    confirmation: Confirmation = Bearer()


def new_assertion_id() -> str:
    """A fresh assertion ID: "_" and 32 random hex digits (a valid xs:ID)."""
    return "_" + secrets.token_hex(16)


# -- writing -------------------------------------------------------------------------------
#
# An assertion is written directly as text, in its exclusive canonical form (Exclusive XML
# Canonicalization 1.0): attributes in canonical order, empty elements as start and end tags,
# values escaped as c14n escapes them (c14ntext), and each namespace declared where exc-c14n
# renders it, on the first element on the way down that uses it. That text is what the
# signature's digest covers, so signing needs no canonicalisation of a tree, and the signed token
# is that text with the ds:Signature spliced in.
#
# The token that leaves the STS declares two namespaces differently (the shape the comment at the
# top describes): xsi and xs on the root rather than xsi on every element whose xsi:type uses it,
# and xs at all, which exc-c14n never renders since only xsi:type values name it. Its exclusive
# canonical form is the canonical text again, so the digest holds for it.


def _s2(local: str) -> str:
    return f"{{{ns.SAML2}}}{local}"


def _s1(local: str) -> str:
    return f"{{{ns.SAML11}}}{local}"


def _ds(local: str) -> str:
    return f"{{{ns.DS}}}{local}"


def _instant(value: dt.datetime, what: str) -> str:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRequestError(
            f"The assertion's {what} must be a time with a time zone (UTC); got {value!r}."
        )
    return format_xs_datetime(value)  # which formats each instant once (a token has two)


def _check_spec(spec: AssertionSpec) -> None:
    if spec.version not in _SAML_PREFIX:
        raise InvalidRequestError(
            f"SAML version {spec.version!r} is not supported; use 1.1 or 2.0."
        )
    if not _NCNAME.fullmatch(spec.assertion_id or ""):
        raise InvalidRequestError(
            f"The assertion ID {spec.assertion_id!r} is not a valid XML ID; use new_assertion_id()."
        )
    if not spec.issuer:
        raise InvalidRequestError("The assertion needs an issuer name; set the resident IdP's.")
    if not spec.subject_name:
        raise InvalidRequestError("The assertion needs a subject name.")
    if spec.not_on_or_after <= spec.not_before:
        raise InvalidRequestError(
            "The assertion's NotOnOrAfter must be later than its NotBefore; check the lifetime."
        )
    if not isinstance(spec.confirmation, Bearer | HolderOfKeySymmetric | HolderOfKeyPublic):
        raise InvalidRequestError("The assertion's subject confirmation is not a known kind.")
    if isinstance(spec.confirmation, HolderOfKeySymmetric) and (
        spec.confirmation.encrypted_key.tag != f"{{{ns.XENC}}}EncryptedKey"
    ):
        raise InvalidRequestError(
            "A symmetric holder-of-key confirmation needs an xenc:EncryptedKey."
        )


_XSI_DECLARATION = f' xmlns:xsi="{ns.XSI}"'
_DS_DECLARATION = f' xmlns:ds="{ns.DS}"'


@dataclass(frozen=True)
class WrittenAssertion:
    """An unsigned assertion written as text (:func:`write_assertion`)."""

    canonical: bytes  # its exclusive canonical form: what an enveloped signature's digest covers
    head: str  # the token's text up to where the ds:Signature goes
    tail: str  # and from there to its end

    @property
    def text(self) -> bytes:
        """The unsigned token as UTF-8 text; its exclusive canonical form is ``canonical``."""
        return (self.head + self.tail).encode("utf-8")


class _Writer:
    """Collects the canonical text's parts, marking those the token's text writes otherwise."""

    __slots__ = ("parts", "xsi_declarations", "signature_at")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.xsi_declarations: list[int] = []  # parts that declare xsi below the root
        self.signature_at = 0  # the ds:Signature goes before this part

    def declare_xsi(self) -> None:
        self.xsi_declarations.append(len(self.parts))
        self.parts.append(_XSI_DECLARATION)

    def finish(self, root_declarations: str) -> WrittenAssertion:
        parts = self.parts
        canonical = "".join(parts).encode("utf-8")
        # parts[0] is the root's start tag up to its own namespace declaration.
        parts[0] += root_declarations
        for index in self.xsi_declarations:
            parts[index] = ""
        return WrittenAssertion(
            canonical,
            "".join(parts[: self.signature_at]),
            "".join(parts[self.signature_at :]),
        )


def write_assertion(spec: AssertionSpec) -> WrittenAssertion:
    """``spec`` written as text (see the comment above); its values are checked and escaped.

    Raises InvalidRequestError for a spec no token can express, naming the field: a missing
    issuer or subject, a time without a time zone, a character XML cannot carry.
    """
    _check_spec(spec)
    writer = _Writer()
    if spec.version == SamlVersion.SAML20:
        _write_20(spec, writer)
    else:
        _write_11(spec, writer)
    has_values = any(attribute.values for attribute in spec.attributes)
    # SAML 2.0 holder-of-key names its SubjectConfirmationData type with xsi:type.
    typed_confirmation = spec.version == SamlVersion.SAML20 and not isinstance(
        spec.confirmation, Bearer
    )
    root_declarations = f' xmlns:xs="{ns.XS}"' if has_values else ""
    if has_values or typed_confirmation:
        root_declarations += _XSI_DECLARATION
    return writer.finish(root_declarations)


def _write_20(spec: AssertionSpec, writer: _Writer) -> None:
    out = writer.parts.append
    out(f'<saml2:Assertion xmlns:saml2="{ns.SAML2}"')
    out(
        f' ID="{spec.assertion_id}"'
        f' IssueInstant="{_instant(spec.issue_instant, "IssueInstant")}" Version="2.0">'
        f"<saml2:Issuer>{escape_text(spec.issuer, 'issuer name')}</saml2:Issuer>"
    )
    writer.signature_at = len(writer.parts)
    out(f"<saml2:Subject><saml2:NameID{_format(spec)}>")
    out(f"{escape_text(spec.subject_name, 'subject name')}</saml2:NameID>")
    if isinstance(spec.confirmation, Bearer):
        out(f'<saml2:SubjectConfirmation Method="{CM_BEARER_20}"></saml2:SubjectConfirmation>')
    else:
        out(f'<saml2:SubjectConfirmation Method="{CM_HOLDER_OF_KEY_20}">')
        out("<saml2:SubjectConfirmationData")
        writer.declare_xsi()
        out(' xsi:type="saml2:KeyInfoConfirmationDataType">')
        out(_key_info(spec.confirmation, spec.version))
        out("</saml2:SubjectConfirmationData></saml2:SubjectConfirmation>")
    out("</saml2:Subject>")
    out(_conditions(spec, "saml2", "AudienceRestriction"))
    out(
        f'<saml2:AuthnStatement AuthnInstant="{_instant(spec.authn_instant, "AuthnInstant")}">'
        "<saml2:AuthnContext><saml2:AuthnContextClassRef>"
        f"{escape_text(spec.authn_method, 'authentication method')}"
        "</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>"
    )
    if spec.attributes:
        out("<saml2:AttributeStatement>")
        for attribute in spec.attributes:
            out(
                f'<saml2:Attribute Name="{escape_attribute(attribute.name, "claim name")}"'
                f' NameFormat="{ATTRNAME_FORMAT_URI}">'
            )
            _write_values(writer, "saml2", attribute)
            out("</saml2:Attribute>")
        out("</saml2:AttributeStatement>")
    out("</saml2:Assertion>")


def _write_11(spec: AssertionSpec, writer: _Writer) -> None:
    out = writer.parts.append
    out(f'<saml:Assertion xmlns:saml="{ns.SAML11}"')
    out(
        f' AssertionID="{spec.assertion_id}"'
        f' IssueInstant="{_instant(spec.issue_instant, "IssueInstant")}"'
        f' Issuer="{escape_attribute(spec.issuer, "issuer name")}"'
        ' MajorVersion="1" MinorVersion="1">'
    )
    out(_conditions(spec, "saml", "AudienceRestrictionCondition"))
    instant = _instant(spec.authn_instant, "AuthenticationInstant")
    method = escape_attribute(spec.authn_method, "authentication method")
    subject = _subject_11(spec)
    out(
        f'<saml:AuthenticationStatement AuthenticationInstant="{instant}"'
        f' AuthenticationMethod="{method}">{subject}</saml:AuthenticationStatement>'
    )
    # SAML 1.1 requires at least one value per attribute; a claim with none is left out.
    valued = [attribute for attribute in spec.attributes if attribute.values]
    if valued:
        out(f"<saml:AttributeStatement>{subject}")
        for attribute in valued:
            namespace, local = split_claim_uri(attribute.name)
            out(
                f'<saml:Attribute AttributeName="{escape_attribute(local, "claim name")}"'
                f' AttributeNamespace="{escape_attribute(namespace, "claim name")}">'
            )
            _write_values(writer, "saml", attribute)
            out("</saml:Attribute>")
        out("</saml:AttributeStatement>")
    writer.signature_at = len(writer.parts)
    out("</saml:Assertion>")


def _subject_11(spec: AssertionSpec) -> str:
    if isinstance(spec.confirmation, Bearer):
        confirmation = f"<saml:ConfirmationMethod>{CM_BEARER_11}</saml:ConfirmationMethod>"
    else:
        confirmation = (
            f"<saml:ConfirmationMethod>{CM_HOLDER_OF_KEY_11}</saml:ConfirmationMethod>"
            + _key_info(spec.confirmation, spec.version)
        )
    return (
        f"<saml:Subject><saml:NameIdentifier{_format(spec)}>"
        f"{escape_text(spec.subject_name, 'subject name')}</saml:NameIdentifier>"
        f"<saml:SubjectConfirmation>{confirmation}</saml:SubjectConfirmation></saml:Subject>"
    )


def _format(spec: AssertionSpec) -> str:
    if not spec.name_id_format:
        return ""
    return f' Format="{escape_attribute(spec.name_id_format, "name identifier format")}"'


def _conditions(spec: AssertionSpec, prefix: str, restriction: str) -> str:
    conditions = (
        f'<{prefix}:Conditions NotBefore="{_instant(spec.not_before, "NotBefore")}"'
        f' NotOnOrAfter="{_instant(spec.not_on_or_after, "NotOnOrAfter")}">'
    )
    if spec.audiences:
        audiences = "".join(
            f"<{prefix}:Audience>{escape_text(audience, 'audience')}</{prefix}:Audience>"
            for audience in spec.audiences
        )
        conditions += f"<{prefix}:{restriction}>{audiences}</{prefix}:{restriction}>"
    return conditions + f"</{prefix}:Conditions>"


def _write_values(writer: _Writer, prefix: str, attribute: SamlAttribute) -> None:
    if not attribute.values:
        return
    what = f"value of the claim {attribute.name[:200]!r}"
    for value in attribute.values:
        writer.parts.append(f"<{prefix}:AttributeValue")
        writer.declare_xsi()
        writer.parts.append(
            f' xsi:type="xs:string">{escape_text(value, what)}</{prefix}:AttributeValue>'
        )


def _key_info(confirmation: Confirmation, version: SamlVersion) -> str:
    """The holder-of-key ds:KeyInfo as canonical text (it declares ds itself)."""
    if isinstance(confirmation, HolderOfKeyPublic):
        certificate = base64.b64encode(confirmation.certificate_der).decode("ascii")
        return (
            f"<ds:KeyInfo{_DS_DECLARATION}><ds:X509Data><ds:X509Certificate>{certificate}"
            "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        )
    if not isinstance(confirmation, HolderOfKeySymmetric):  # pragma: no cover - _check_spec
        raise InvalidRequestError("The assertion's subject confirmation is not a known kind.")
    # The EncryptedKey is an element (the caller's: it is copied, never moved). Exclusive c14n
    # renders a namespace on the first element that uses it unless an output ancestor already
    # did, so the KeyInfo is canonicalised below a stand-in for the ancestors that render
    # namespaces inside the assertion (the root's SAML namespace; in SAML 2.0 also xsi, on
    # SubjectConfirmationData) and its text cut out from between the stand-in's tags.
    prefix, uri = _SAML_PREFIX[version]
    if version == SamlVersion.SAML20:
        holder = etree.Element(_s2("SubjectConfirmationData"), nsmap={prefix: uri, "xsi": ns.XSI})
        holder.set(_XSI_TYPE, "saml2:KeyInfoConfirmationDataType")
    else:
        holder = etree.Element(_s1("SubjectConfirmation"), nsmap={prefix: uri})
    key_info = etree.SubElement(holder, _ds("KeyInfo"), nsmap={"ds": ns.DS})
    key_info.append(copy.deepcopy(confirmation.encrypted_key))
    text = etree.tostring(holder, method="c14n", exclusive=True, with_comments=False).decode()
    return text[text.index(">") + 1 : text.rindex("</")]


def build_assertion(spec: AssertionSpec) -> etree._Element:
    """The unsigned assertion described by ``spec`` (schema-valid for its SAML version)."""
    written = write_assertion(spec)
    return _read_own(written.text)


def write_signed_assertion(
    spec: AssertionSpec,
    identity: SigningIdentity,
    *,
    signature_algorithm: xmldsig.SignatureAlgorithm | str = xmldsig.SignatureAlgorithm.RSA_SHA256,
    digest_algorithm: xmldsig.DigestAlgorithm | str = xmldsig.DigestAlgorithm.SHA256,
) -> bytes:
    """The assertion described by ``spec``, signed with ``identity``, as UTF-8 text.

    What :func:`build_assertion` then :func:`sign_assertion` make, without a tree: the digest
    is taken over the canonical text as written and the ds:Signature's text is spliced in where
    the schema wants it (SAML 2.0 right after Issuer, SAML 1.1 last). Read it with
    :func:`read_signed_assertion` or encrypt it with :func:`encrypt_assertion_text`.
    """
    written = write_assertion(spec)
    signature = xmldsig.enveloped_signature(
        written.canonical,
        identity,
        reference_id=spec.assertion_id,
        signature_algorithm=signature_algorithm,
        digest_algorithm=digest_algorithm,
    )
    return (written.head + signature + written.tail).encode("utf-8")


def read_signed_assertion(data: bytes) -> etree._Element:
    """The element of an assertion from :func:`write_signed_assertion`."""
    return _read_own(data)


def _read_own(data: bytes) -> etree._Element:
    return parse_xml(data, OWN_TEXT_LIMITS)


def split_claim_uri(uri: str) -> tuple[str, str]:
    """SAML 1.1's AttributeNamespace and AttributeName for a claim URI: split at its last "/".

    WSO2, Apache CXF and WIF all name SAML 1.1 attributes so (and join them back with "/"), so
    a relying party reads the claim URI that was issued. A URI with no "/" to split at, or
    ending in one, has no such name: InvalidRequestError says to use SAML 2.0 for it.
    """
    namespace, _, name = uri.rpartition("/")
    if not namespace or not name:
        raise InvalidRequestError(
            f"The claim {uri!r} cannot be named in a SAML 1.1 token: SAML 1.1 splits a claim "
            "URI at its last '/' into namespace and name. Request a SAML 2.0 token for it."
        )
    return namespace, name


def join_claim_uri(namespace: str, name: str) -> str:
    """The claim URI a SAML 1.1 attribute carries: the inverse of :func:`split_claim_uri`."""
    return f"{namespace}/{name}" if namespace else name


# -- identity, signing, verification -------------------------------------------------------


def saml_version_of(element: etree._Element) -> SamlVersion:
    """The SAML version of an assertion, from its root element's namespace."""
    if element.tag == _s2("Assertion"):
        return SamlVersion.SAML20
    if element.tag == _s1("Assertion"):
        return SamlVersion.SAML11
    raise InvalidSecurityTokenError(
        f"The token is not a SAML assertion (its root is {str(element.tag)[:120]}); send a "
        "SAML 1.1 or 2.0 assertion."
    )


def _id_attribute(version: SamlVersion) -> str:
    return "ID" if version == SamlVersion.SAML20 else "AssertionID"


def assertion_id_of(element: etree._Element) -> str:
    """The assertion's ID (SAML 2.0 ``ID``, SAML 1.1 ``AssertionID``)."""
    attribute = _id_attribute(saml_version_of(element))
    value = element.get(attribute)
    if not value:
        raise InvalidSecurityTokenError(f"The assertion has no {attribute} attribute.")
    return value


def signature_position(element: etree._Element) -> int:
    """Where ds:Signature goes: SAML 2.0 right after Issuer, SAML 1.1 as the last child."""
    if saml_version_of(element) == SamlVersion.SAML11:
        return len(element)
    for index, child in enumerate(element):
        if child.tag == _s2("Issuer"):
            return index + 1
    raise InvalidSecurityTokenError("The SAML 2.0 assertion has no Issuer element.")


def sign_assertion(
    element: etree._Element,
    identity: SigningIdentity,
    *,
    signature_algorithm: xmldsig.SignatureAlgorithm | str = xmldsig.SignatureAlgorithm.RSA_SHA256,
    digest_algorithm: xmldsig.DigestAlgorithm | str = xmldsig.DigestAlgorithm.SHA256,
) -> None:
    """Sign the assertion in place with an enveloped signature where its schema wants it."""
    xmldsig.sign_enveloped(
        element,
        identity,
        id_attribute=_id_attribute(saml_version_of(element)),
        position=signature_position(element),
        signature_algorithm=signature_algorithm,
        digest_algorithm=digest_algorithm,
    )


def verify_assertion(
    element: etree._Element,
    *,
    trusted_certificates: Sequence[x509.Certificate] | None = None,
    allowed_signature_algorithms: frozenset[str] | None = None,
) -> xmldsig.VerifiedSignature:
    """Verify the assertion's enveloped signature (see xmldsig.verify_enveloped)."""
    return xmldsig.verify_enveloped(
        element,
        id_attribute=_id_attribute(saml_version_of(element)),
        trusted_certificates=trusted_certificates,
        allowed_signature_algorithms=allowed_signature_algorithms,
    )


# -- encryption -----------------------------------------------------------------------------


def encrypt_assertion(
    element: etree._Element,
    certificate: x509.Certificate,
    *,
    block: xmlenc.BlockEncryption | str = xmlenc.BlockEncryption.AES256_GCM,
    key_transport: xmlenc.KeyTransport | str = xmlenc.KeyTransport.RSA_OAEP_MGF1P,
) -> etree._Element:
    """SAML 2.0: saml2:EncryptedAssertion around the EncryptedData; SAML 1.1: the EncryptedData.

    SAML 1.1 has no wrapper element, so its encrypted form is the xenc:EncryptedData itself.
    """
    # etree.tostring keeps every namespace declaration in scope, so the plaintext is a complete
    # document even when the element sat inside a larger one.
    plaintext = etree.tostring(element, encoding="UTF-8", xml_declaration=False)
    return _read_own(encrypt_assertion_text(
        plaintext, saml_version_of(element), certificate, block=block, key_transport=key_transport
    ))


def encrypt_assertion_text(
    data: bytes,
    version: SamlVersion,
    certificate: x509.Certificate,
    *,
    block: xmlenc.BlockEncryption | str = xmlenc.BlockEncryption.AES256_GCM,
    key_transport: xmlenc.KeyTransport | str = xmlenc.KeyTransport.RSA_OAEP_MGF1P,
) -> bytes:
    """:func:`encrypt_assertion` for an assertion of ``version`` from
    :func:`write_signed_assertion`, encrypted from its bytes and written as UTF-8 text."""
    encrypted = xmlenc.encrypted_data_text(
        data, certificate, block=block, key_transport=key_transport
    )
    if version == SamlVersion.SAML11:
        return encrypted
    # Only saml2 on the wrapper; the EncryptedData declares what it uses itself.
    return _ENCRYPTED_ASSERTION_OPEN + encrypted + _ENCRYPTED_ASSERTION_CLOSE


_ENCRYPTED_ASSERTION_OPEN = f'<saml2:EncryptedAssertion xmlns:saml2="{ns.SAML2}">'.encode()
_ENCRYPTED_ASSERTION_CLOSE = b"</saml2:EncryptedAssertion>"


def decrypt_assertion(element: etree._Element, private_key: rsa.RSAPrivateKey) -> etree._Element:
    """The assertion inside a saml2:EncryptedAssertion or a bare xenc:EncryptedData."""
    encrypted_key = None
    if element.tag == _s2("EncryptedAssertion"):
        encrypted_data = element.find(f"{{{ns.XENC}}}EncryptedData")
        if encrypted_data is None:
            raise InvalidSecurityTokenError(
                "The EncryptedAssertion holds no xenc:EncryptedData; send the whole encrypted "
                "token."
            )
        if encrypted_data.find(f"{_ds('KeyInfo')}/{{{ns.XENC}}}EncryptedKey") is None:
            encrypted_key = element.find(f"{{{ns.XENC}}}EncryptedKey")  # beside the data
    elif element.tag == f"{{{ns.XENC}}}EncryptedData":
        encrypted_data = element
    else:
        raise InvalidSecurityTokenError(
            f"The token is not an encrypted assertion (its root is {str(element.tag)[:120]})."
        )
    assertion = xmlenc.decrypt_element(encrypted_data, private_key, encrypted_key=encrypted_key)
    saml_version_of(assertion)
    return assertion
