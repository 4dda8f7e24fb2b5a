"""SAML 1.1 and 2.0 assertions: build, sign, verify, encrypt and decrypt (read: samlreader)."""

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
from stsdesk.core.certificates import SigningIdentity
from stsdesk.core.errors import InvalidRequestError, InvalidSecurityTokenError
from stsdesk.core.xsdatetime import format_xs_datetime

__all__ = [
    "SamlVersion", "PASSWORD_AUTHN_20", "PASSWORD_AUTHN_11", "SamlAttribute", "Bearer",
    "HolderOfKeySymmetric", "HolderOfKeyPublic", "Confirmation", "AssertionSpec",
    "new_assertion_id", "build_assertion", "signature_position", "sign_assertion",
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
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


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


# -- building -------------------------------------------------------------------------------


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
    return format_xs_datetime(value)


def _check_spec(spec: AssertionSpec) -> None:
    if not _NCNAME.match(spec.assertion_id or ""):
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


def _key_info(confirmation: HolderOfKeySymmetric | HolderOfKeyPublic) -> etree._Element:
    key_info = etree.Element(_ds("KeyInfo"), nsmap={"ds": ns.DS})
    if isinstance(confirmation, HolderOfKeySymmetric):
        key_info.append(copy.deepcopy(confirmation.encrypted_key))
        # The EncryptedKey's own ds declaration repeats KeyInfo's: one is enough.
        etree.cleanup_namespaces(key_info, top_nsmap={"ds": ns.DS})
    else:
        x509_data = etree.SubElement(key_info, _ds("X509Data"))
        etree.SubElement(x509_data, _ds("X509Certificate")).text = base64.b64encode(
            confirmation.certificate_der
        ).decode("ascii")
    return key_info


def _attribute_value(parent: etree._Element, tag: str, value: str) -> None:
    node = etree.SubElement(parent, tag)
    node.set(_XSI_TYPE, "xs:string")
    node.text = value


def build_assertion(spec: AssertionSpec) -> etree._Element:
    """The unsigned assertion described by ``spec`` (schema-valid for its SAML version)."""
    _check_spec(spec)
    if spec.version not in _SAML_PREFIX:
        raise InvalidRequestError(
            f"SAML version {spec.version!r} is not supported; use 1.1 or 2.0."
        )
    nsmap = _root_nsmap(spec)
    root = _build_20(spec, nsmap) if spec.version == SamlVersion.SAML20 else _build_11(spec, nsmap)
    # Whatever is declared and not used goes; xs is used only inside xsi:type values, which a
    # namespace cleanup cannot see, so it is kept by name when attribute values need it.
    etree.cleanup_namespaces(
        root, top_nsmap=nsmap, keep_ns_prefixes=["xs"] if "xs" in nsmap else None
    )
    return root


def _root_nsmap(spec: AssertionSpec) -> dict[str, str]:
    prefix, uri = _SAML_PREFIX[spec.version]
    nsmap = {prefix: uri}
    has_values = any(attribute.values for attribute in spec.attributes)
    # SAML 2.0 holder-of-key names its SubjectConfirmationData type with xsi:type.
    typed_confirmation = spec.version == SamlVersion.SAML20 and not isinstance(
        spec.confirmation, Bearer
    )
    if has_values or typed_confirmation:
        nsmap["xsi"] = ns.XSI
    if has_values:
        nsmap["xs"] = ns.XS
    return nsmap


def _build_20(spec: AssertionSpec, nsmap: dict[str, str]) -> etree._Element:
    root = etree.Element(
        _s2("Assertion"),
        nsmap=nsmap,
        ID=spec.assertion_id,
        IssueInstant=_instant(spec.issue_instant, "IssueInstant"),
        Version="2.0",
    )
    etree.SubElement(root, _s2("Issuer")).text = spec.issuer
    subject = etree.SubElement(root, _s2("Subject"))
    name_id = etree.SubElement(subject, _s2("NameID"))
    if spec.name_id_format:
        name_id.set("Format", spec.name_id_format)
    name_id.text = spec.subject_name
    confirmation = etree.SubElement(subject, _s2("SubjectConfirmation"))
    if isinstance(spec.confirmation, Bearer):
        confirmation.set("Method", CM_BEARER_20)
    else:
        confirmation.set("Method", CM_HOLDER_OF_KEY_20)
        data = etree.SubElement(confirmation, _s2("SubjectConfirmationData"))
        data.set(_XSI_TYPE, "saml2:KeyInfoConfirmationDataType")
        data.append(_key_info(spec.confirmation))
    conditions = etree.SubElement(
        root,
        _s2("Conditions"),
        NotBefore=_instant(spec.not_before, "NotBefore"),
        NotOnOrAfter=_instant(spec.not_on_or_after, "NotOnOrAfter"),
    )
    if spec.audiences:
        restriction = etree.SubElement(conditions, _s2("AudienceRestriction"))
        for audience in spec.audiences:
            etree.SubElement(restriction, _s2("Audience")).text = audience
    statement = etree.SubElement(
        root, _s2("AuthnStatement"), AuthnInstant=_instant(spec.authn_instant, "AuthnInstant")
    )
    context = etree.SubElement(statement, _s2("AuthnContext"))
    etree.SubElement(context, _s2("AuthnContextClassRef")).text = spec.authn_method
    if spec.attributes:
        attributes = etree.SubElement(root, _s2("AttributeStatement"))
        for attribute in spec.attributes:
            node = etree.SubElement(
                attributes, _s2("Attribute"), Name=attribute.name, NameFormat=ATTRNAME_FORMAT_URI
            )
            for value in attribute.values:
                _attribute_value(node, _s2("AttributeValue"), value)
    return root


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


def _subject_11(parent: etree._Element, spec: AssertionSpec) -> None:
    subject = etree.SubElement(parent, _s1("Subject"))
    name_identifier = etree.SubElement(subject, _s1("NameIdentifier"))
    if spec.name_id_format:
        name_identifier.set("Format", spec.name_id_format)
    name_identifier.text = spec.subject_name
    confirmation = etree.SubElement(subject, _s1("SubjectConfirmation"))
    if isinstance(spec.confirmation, Bearer):
        etree.SubElement(confirmation, _s1("ConfirmationMethod")).text = CM_BEARER_11
    else:
        etree.SubElement(confirmation, _s1("ConfirmationMethod")).text = CM_HOLDER_OF_KEY_11
        confirmation.append(_key_info(spec.confirmation))


def _build_11(spec: AssertionSpec, nsmap: dict[str, str]) -> etree._Element:
    root = etree.Element(
        _s1("Assertion"),
        nsmap=nsmap,
        MajorVersion="1",
        MinorVersion="1",
        AssertionID=spec.assertion_id,
        Issuer=spec.issuer,
        IssueInstant=_instant(spec.issue_instant, "IssueInstant"),
    )
    conditions = etree.SubElement(
        root,
        _s1("Conditions"),
        NotBefore=_instant(spec.not_before, "NotBefore"),
        NotOnOrAfter=_instant(spec.not_on_or_after, "NotOnOrAfter"),
    )
    if spec.audiences:
        restriction = etree.SubElement(conditions, _s1("AudienceRestrictionCondition"))
        for audience in spec.audiences:
            etree.SubElement(restriction, _s1("Audience")).text = audience
    statement = etree.SubElement(
        root,
        _s1("AuthenticationStatement"),
        AuthenticationMethod=spec.authn_method,
        AuthenticationInstant=_instant(spec.authn_instant, "AuthenticationInstant"),
    )
    _subject_11(statement, spec)
    # SAML 1.1 requires at least one value per attribute; a claim with none is left out.
    valued = [attribute for attribute in spec.attributes if attribute.values]
    if valued:
        attributes = etree.SubElement(root, _s1("AttributeStatement"))
        _subject_11(attributes, spec)
        for attribute in valued:
            namespace, local = split_claim_uri(attribute.name)
            node = etree.SubElement(
                attributes, _s1("Attribute"), AttributeName=local, AttributeNamespace=namespace
            )
            for value in attribute.values:
                _attribute_value(node, _s1("AttributeValue"), value)
    return root


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
    version = saml_version_of(element)
    encrypted_data = xmlenc.encrypt_element(
        element, certificate, block=block, key_transport=key_transport
    )
    if version == SamlVersion.SAML11:
        return encrypted_data
    # Only saml2 on the wrapper; the EncryptedData declares what it uses itself.
    wrapper = etree.Element(_s2("EncryptedAssertion"), nsmap={"saml2": ns.SAML2})
    wrapper.append(encrypted_data)
    return wrapper


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
