"""SAML 1.1/2.0 assertions: schema-valid, verified by signxml when cut out, encrypted, read back."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import re

import pytest
import signxml
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier

from stsdesk.core import ns
from stsdesk.core.errors import CryptoError, InvalidRequestError, InvalidSecurityTokenError
from stsdesk.core.saml import (
    ATTRNAME_FORMAT_URI,
    CM_BEARER_11,
    CM_BEARER_20,
    CM_HOLDER_OF_KEY_11,
    CM_HOLDER_OF_KEY_20,
    PASSWORD_AUTHN_11,
    PASSWORD_AUTHN_20,
    AssertionSpec,
    Bearer,
    HolderOfKeyPublic,
    HolderOfKeySymmetric,
    SamlAttribute,
    SamlVersion,
    assertion_id_of,
    build_assertion,
    decrypt_assertion,
    encrypt_assertion,
    new_assertion_id,
    saml_version_of,
    sign_assertion,
    signature_position,
    verify_assertion,
)
from stsdesk.core.samlreader import read_assertion_spec
from stsdesk.core.xmldsig import DigestAlgorithm, SignatureAlgorithm
from stsdesk.core.xmlenc import BlockEncryption, KeyTransport, decrypt_key, encrypt_key
from stsdesk.core.xmlparse import parse_xml
from tests.core.pki import SCHEMAS, identity, independent_decrypt
from tests.helpers.xmlshape import declarations, unused_declarations

STS = identity("saml-sts")
RP = identity("saml-relying-party")
CLIENT = identity("saml-client")
STRANGER = identity("saml-stranger")
NOW = dt.datetime(2025, 3, 4, 5, 6, 7, 891234, tzinfo=dt.UTC)
SAML2, SAML11, DS, XENC = ns.SAML2, ns.SAML11, ns.DS, ns.XENC
EMAIL = "http://wso2.org/claims/emailaddress"


@pytest.fixture(scope="module")
def schemas() -> dict[SamlVersion, etree.XMLSchema]:
    return {
        SamlVersion.SAML20: etree.XMLSchema(
            etree.parse(str(SCHEMAS / "saml-schema-assertion-2.0.xsd"))
        ),
        SamlVersion.SAML11: etree.XMLSchema(
            etree.parse(str(SCHEMAS / "oasis-sstc-saml-schema-assertion-1.1.xsd"))
        ),
    }


def _spec(version: SamlVersion = SamlVersion.SAML20, confirmation=None, **changes) -> AssertionSpec:
    spec = AssertionSpec(
        version=version,
        assertion_id=new_assertion_id(),
        issuer="localhost",
        issue_instant=NOW,
        not_before=NOW,
        not_on_or_after=NOW + dt.timedelta(minutes=5),
        subject_name="admin",
        name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        audiences=("https://localhost:10443/services/echo",),
        authn_instant=NOW,
        authn_method=PASSWORD_AUTHN_20 if version == SamlVersion.SAML20 else PASSWORD_AUTHN_11,
        attributes=(
            SamlAttribute(EMAIL, ("admin@wso2.com",)),
            SamlAttribute("http://wso2.org/claims/role", ("admin", "Internal/everyone")),
        ),
        confirmation=confirmation if confirmation is not None else Bearer(),
    )
    return dataclasses.replace(spec, **changes)


def _confirmations():
    return {
        "bearer": lambda: Bearer(),
        "hok-symmetric": lambda: HolderOfKeySymmetric(encrypt_key(b"p" * 32, RP.certificate)),
        "hok-public": lambda: HolderOfKeyPublic(CLIENT.certificate_der()),
    }


def _signxml_verify(assertion: etree._Element, *, sha1: bool = False):
    """signxml on the assertion serialised alone, after being cut out of a SOAP-like wrapper."""
    wrapper = etree.fromstring(
        b'<s:Envelope xmlns:s="urn:s"><s:Body>'
        + etree.tostring(assertion)
        + b"</s:Body></s:Envelope>"
    )
    alone = etree.tostring(wrapper[0][0])
    methods = {signxml.SignatureMethod(a.value) for a in SignatureAlgorithm}
    digests = {signxml.DigestAlgorithm(d.value) for d in DigestAlgorithm}
    if not sha1:
        methods.discard(signxml.SignatureMethod(SignatureAlgorithm.RSA_SHA1.value))
        digests.discard(signxml.DigestAlgorithm(DigestAlgorithm.SHA1.value))
    version = saml_version_of(assertion)
    return XMLVerifier().verify(
        alone,
        x509_cert=STS.certificate_pem().decode(),
        id_attribute="ID" if version == SamlVersion.SAML20 else "AssertionID",
        expect_config=SignatureConfiguration(
            location="./",
            signature_methods=frozenset(methods),
            digest_algorithms=frozenset(digests),
        ),
    )


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


@pytest.mark.parametrize("version", list(SamlVersion))
@pytest.mark.parametrize("kind", list(_confirmations()))
def test_round_trip(version: SamlVersion, kind: str, schemas) -> None:
    spec = _spec(version, _confirmations()[kind]())
    assertion = build_assertion(spec)
    schema = schemas[version]
    assert schema.validate(assertion), schema.error_log  # unsigned

    sign_assertion(assertion, STS)
    assert schema.validate(assertion), schema.error_log  # signed
    signature = assertion.find(f"{{{DS}}}Signature")
    if version == SamlVersion.SAML20:
        assert assertion[1] is signature and assertion[0].tag == f"{{{SAML2}}}Issuer"
    else:
        assert assertion[-1] is signature

    # WSO2's (OpenSAML's), ADFS's and Shibboleth's shape: ds declared on ds:Signature itself,
    # nothing declared that is not used, nothing declared again where it is in force
    serialised = etree.tostring(assertion)
    found = declarations(serialised)
    assert unused_declarations(serialised) == []
    own = "saml2" if version == SamlVersion.SAML20 else "saml"
    assert {d.prefix for d in found if d.element.endswith(":Assertion")} <= {own, "xsi", "xs"}
    assert [(d.prefix, d.uri) for d in found if d.element == "ds:Signature"] == [("ds", DS)]

    result = _signxml_verify(assertion)
    assert result.signed_xml is not None
    verified = verify_assertion(assertion, trusted_certificates=[STS.certificate])
    assert verified.certificate == STS.certificate
    assert verified.reference_uri == f"#{spec.assertion_id}"

    back = read_assertion_spec(assertion)
    if kind == "hok-symmetric":
        assert isinstance(back.confirmation, HolderOfKeySymmetric)
        assert _c14n(back.confirmation.encrypted_key) == _c14n(spec.confirmation.encrypted_key)
        assert decrypt_key(back.confirmation.encrypted_key, RP.private_key) == b"p" * 32
        back = dataclasses.replace(back, confirmation=spec.confirmation)
    expected = dataclasses.replace(
        spec,
        issue_instant=NOW.replace(microsecond=891000),
        not_before=NOW.replace(microsecond=891000),
        not_on_or_after=(NOW + dt.timedelta(minutes=5)).replace(microsecond=891000),
        authn_instant=NOW.replace(microsecond=891000),
    )
    assert back == expected


def test_saml20_shape() -> None:
    spec = _spec(confirmation=HolderOfKeyPublic(CLIENT.certificate_der()))
    assertion = build_assertion(spec)
    q = {"saml2": SAML2, "ds": DS, "xsi": ns.XSI}
    assert assertion.get("Version") == "2.0" and assertion.get("ID") == spec.assertion_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", assertion.get("IssueInstant"))
    assert assertion.get("IssueInstant") == "2025-03-04T05:06:07.891Z"
    confirmation = assertion.find("saml2:Subject/saml2:SubjectConfirmation", q)
    assert confirmation.get("Method") == CM_HOLDER_OF_KEY_20
    data = confirmation.find("saml2:SubjectConfirmationData", q)
    assert data.get(f"{{{ns.XSI}}}type") == "saml2:KeyInfoConfirmationDataType"
    cert = data.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=q)
    assert base64.b64decode(cert) == CLIENT.certificate_der()
    attribute = assertion.find("saml2:AttributeStatement/saml2:Attribute", q)
    assert attribute.get("Name") == EMAIL
    assert attribute.get("NameFormat") == ATTRNAME_FORMAT_URI
    assert assertion.findtext(
        "saml2:AuthnStatement/saml2:AuthnContext/saml2:AuthnContextClassRef", namespaces=q
    ) == PASSWORD_AUTHN_20
    audiences = assertion.findall("saml2:Conditions/saml2:AudienceRestriction/saml2:Audience", q)
    assert [a.text for a in audiences] == ["https://localhost:10443/services/echo"]
    bearer = build_assertion(_spec())
    assert bearer.find("saml2:Subject/saml2:SubjectConfirmation", q).get("Method") == CM_BEARER_20


def test_saml11_shape() -> None:
    spec = _spec(
        SamlVersion.SAML11,
        HolderOfKeySymmetric(encrypt_key(b"p" * 32, RP.certificate)),
        attributes=(
            SamlAttribute(EMAIL, ("admin@wso2.com",)),
            SamlAttribute("urn:example/claims/role", ("admin",)),
            SamlAttribute("http://example.org/empty", ()),
        ),
    )
    assertion = build_assertion(spec)
    q = {"saml": SAML11, "ds": DS, "xenc": XENC}
    assert (assertion.get("MajorVersion"), assertion.get("MinorVersion")) == ("1", "1")
    assert assertion.get("AssertionID") == spec.assertion_id
    assert assertion.get("Issuer") == "localhost"
    statement = assertion.find("saml:AuthenticationStatement", q)
    assert statement.get("AuthenticationMethod") == PASSWORD_AUTHN_11
    assert statement.get("AuthenticationInstant") == "2025-03-04T05:06:07.891Z"
    confirmation = statement.find("saml:Subject/saml:SubjectConfirmation", q)
    assert confirmation.findtext("saml:ConfirmationMethod", namespaces=q) == CM_HOLDER_OF_KEY_11
    assert confirmation.find("ds:KeyInfo/xenc:EncryptedKey", q) is not None
    attributes = assertion.findall("saml:AttributeStatement/saml:Attribute", q)
    assert [(a.get("AttributeNamespace"), a.get("AttributeName")) for a in attributes] == [
        ("http://wso2.org/claims", "emailaddress"),
        ("urn:example/claims", "role"),  # split at the last "/", as WSO2 and WIF do
    ]  # the claim without values is left out: SAML 1.1 needs at least one
    assert [a.name for a in read_assertion_spec(assertion).attributes] == [
        EMAIL, "urn:example/claims/role",
    ]
    bearer = build_assertion(_spec(SamlVersion.SAML11))
    assert bearer.findtext(".//saml:ConfirmationMethod", namespaces=q) == CM_BEARER_11
    assert bearer.find(
        "saml:Conditions/saml:AudienceRestrictionCondition/saml:Audience", q
    ).text == "https://localhost:10443/services/echo"


@pytest.mark.parametrize("version", list(SamlVersion))
def test_no_audiences_and_no_attributes_are_left_out(version, schemas) -> None:
    assertion = build_assertion(_spec(version, audiences=(), attributes=()))
    assert schemas[version].validate(assertion), schemas[version].error_log
    text = etree.tostring(assertion)
    assert b"Audience" not in text and b"AttributeStatement" not in text
    back = read_assertion_spec(assertion)
    assert back.audiences == () and back.attributes == ()


def test_times_are_written_in_utc() -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assertion = build_assertion(_spec(issue_instant=NOW.astimezone(plus_two)))
    assert assertion.get("IssueInstant") == "2025-03-04T05:06:07.891Z"


@pytest.mark.parametrize("version", list(SamlVersion))
def test_renew_flow_read_replace_build_sign(version) -> None:
    original = build_assertion(_spec(version, HolderOfKeyPublic(CLIENT.certificate_der())))
    sign_assertion(original, STS)
    later = NOW + dt.timedelta(minutes=3)
    renewed_spec = dataclasses.replace(
        read_assertion_spec(original),
        assertion_id=new_assertion_id(),
        issue_instant=later,
        not_before=later,
        not_on_or_after=later + dt.timedelta(minutes=5),
    )
    renewed = build_assertion(renewed_spec)
    sign_assertion(renewed, STS)
    assert assertion_id_of(renewed) != assertion_id_of(original)
    _signxml_verify(renewed)
    assert read_assertion_spec(renewed).confirmation == HolderOfKeyPublic(CLIENT.certificate_der())


@pytest.mark.parametrize("version", list(SamlVersion))
def test_sha1_for_legacy_relying_parties_verifies_with_signxml(version) -> None:
    assertion = build_assertion(_spec(version))
    sign_assertion(
        assertion, STS,
        signature_algorithm=SignatureAlgorithm.RSA_SHA1, digest_algorithm=DigestAlgorithm.SHA1,
    )
    _signxml_verify(assertion, sha1=True)
    with pytest.raises(signxml.exceptions.InvalidInput):
        _signxml_verify(assertion, sha1=False)  # signxml refuses SHA-1 unless allowed
    verified = verify_assertion(assertion, trusted_certificates=[STS.certificate])
    assert verified.signature_algorithm == SignatureAlgorithm.RSA_SHA1.value
    with pytest.raises(InvalidSecurityTokenError, match="not allowed"):
        verify_assertion(
            assertion,
            trusted_certificates=[STS.certificate],
            allowed_signature_algorithms=frozenset({SignatureAlgorithm.RSA_SHA256.value}),
        )


def test_signature_position() -> None:
    two = build_assertion(_spec())
    one = build_assertion(_spec(SamlVersion.SAML11))
    assert signature_position(two) == 1
    assert signature_position(one) == len(one)


# -- encryption -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", list(SamlVersion))
@pytest.mark.parametrize("block", [BlockEncryption.AES256_GCM, BlockEncryption.AES256_CBC])
def test_encrypted_assertion_decrypts_independently_and_still_verifies(version, block) -> None:
    assertion = build_assertion(_spec(version))
    sign_assertion(assertion, STS)
    encrypted = encrypt_assertion(assertion, RP.certificate, block=block)
    if version == SamlVersion.SAML20:
        assert encrypted.tag == f"{{{SAML2}}}EncryptedAssertion"
        encrypted_data = encrypted[0]
    else:
        encrypted_data = encrypted  # SAML 1.1 has no wrapper element
    assert encrypted_data.tag == f"{{{XENC}}}EncryptedData"
    # as OpenSAML writes it: saml2 on the wrapper, xenc on EncryptedData, ds on each KeyInfo,
    # wsse on the key's SecurityTokenReference; nothing unused, nothing declared twice
    serialised = etree.tostring(encrypted)
    assert unused_declarations(serialised) == []
    assert {(d.element, d.prefix) for d in declarations(serialised)} == {
        *((("saml2:EncryptedAssertion", "saml2"),) if version == SamlVersion.SAML20 else ()),
        ("xenc:EncryptedData", "xenc"), ("ds:KeyInfo", "ds"),
        ("wsse:SecurityTokenReference", "wsse"),
    }

    plaintext = independent_decrypt(encrypted_data, RP.private_key)
    recovered = parse_xml(plaintext)
    assert _c14n(recovered) == _c14n(assertion)
    verify_assertion(recovered, trusted_certificates=[STS.certificate])
    _signxml_verify(recovered)

    ours = decrypt_assertion(encrypted, RP.private_key)
    verify_assertion(ours, trusted_certificates=[STS.certificate])
    assert read_assertion_spec(ours) == read_assertion_spec(assertion)


def test_decrypt_assertion_accepts_a_bare_encrypted_data_and_a_sibling_key() -> None:
    assertion = build_assertion(_spec())
    sign_assertion(assertion, STS)
    wrapped = encrypt_assertion(assertion, RP.certificate, key_transport=KeyTransport.RSA_OAEP)
    bare = decrypt_assertion(wrapped[0], RP.private_key)
    assert assertion_id_of(bare) == assertion_id_of(assertion)
    # EncryptedKey beside the EncryptedData, as some SAML 2.0 producers write it
    key_info = wrapped[0].find(f"{{{DS}}}KeyInfo")
    wrapped.append(key_info[0])
    wrapped[0].remove(key_info)
    beside = decrypt_assertion(wrapped, RP.private_key)
    verify_assertion(beside, trusted_certificates=[STS.certificate])


def test_decrypt_assertion_with_the_wrong_key_is_a_crypto_error() -> None:
    encrypted = encrypt_assertion(build_assertion(_spec()), RP.certificate)
    with pytest.raises(CryptoError, match="encrypted for another certificate"):
        decrypt_assertion(encrypted, STRANGER.private_key)
    with pytest.raises(InvalidSecurityTokenError, match="not an encrypted assertion"):
        decrypt_assertion(build_assertion(_spec()), RP.private_key)


def test_decrypted_content_that_is_not_an_assertion_is_refused() -> None:
    from stsdesk.core.xmlenc import encrypt_element

    encrypted = encrypt_element(etree.Element("{urn:x}NotAnAssertion"), RP.certificate)
    with pytest.raises(InvalidSecurityTokenError, match="not a SAML assertion"):
        decrypt_assertion(encrypted, RP.private_key)


# -- verification refusals on assertions ------------------------------------------------------


def test_tampered_attribute_is_a_digest_mismatch() -> None:
    assertion = build_assertion(_spec())
    sign_assertion(assertion, STS)
    value = assertion.find(f".//{{{SAML2}}}AttributeValue")
    value.text = "root@evil.example"
    with pytest.raises(InvalidSecurityTokenError, match="digest mismatch"):
        verify_assertion(assertion, trusted_certificates=[STS.certificate])


def test_assertion_signed_by_a_stranger_is_untrusted() -> None:
    assertion = build_assertion(_spec(SamlVersion.SAML11))
    sign_assertion(assertion, STRANGER)
    with pytest.raises(InvalidSecurityTokenError, match="does not trust"):
        verify_assertion(assertion, trusted_certificates=[STS.certificate])


def test_wrapping_inside_a_response_is_refused() -> None:
    # A signed assertion moved into an Advice of an unsigned, forged assertion with the same ID.
    signed = build_assertion(_spec())
    sign_assertion(signed, STS)
    forged = build_assertion(
        dataclasses.replace(_spec(), assertion_id=assertion_id_of(signed), subject_name="root")
    )
    advice = etree.SubElement(forged, f"{{{SAML2}}}Advice")
    advice.append(signed)
    with pytest.raises(InvalidSecurityTokenError, match="not signed"):
        verify_assertion(forged, trusted_certificates=[STS.certificate])
    with pytest.raises(InvalidSecurityTokenError, match="appears 2 times"):
        verify_assertion(advice[0], trusted_certificates=[STS.certificate])


@pytest.mark.parametrize("version", list(SamlVersion))
def test_comment_in_the_name_cannot_truncate_what_is_read(version) -> None:
    # CVE-2017-11427 family: "admin@example.com<!---->.evil.org" must not read as
    # "admin@example.com". exc-c14n without comments does not sign comments, so the signature
    # stays valid; read_assertion joins all text nodes, which is exactly the signed text.
    assertion = build_assertion(_spec(version, subject_name="admin@example.com.evil.org"))
    sign_assertion(assertion, STS)
    tag = f"{{{SAML2}}}NameID" if version == SamlVersion.SAML20 else f"{{{SAML11}}}NameIdentifier"
    for name in assertion.iter(tag):
        name.text = "admin@example.com"
        comment = etree.Comment("")
        comment.tail = ".evil.org"
        name.append(comment)
    received = parse_xml(etree.tostring(assertion))  # comments survive the parser
    assert received.find(f".//{tag}").text == "admin@example.com"  # the naive reading
    verify_assertion(received, trusted_certificates=[STS.certificate])
    assert read_assertion_spec(received).subject_name == "admin@example.com.evil.org"
    # changing the text itself (not just adding a comment) breaks the signature
    for name in received.iter(tag):
        name[0].tail = ".evil.org.example"
    with pytest.raises(InvalidSecurityTokenError, match="digest mismatch"):
        verify_assertion(received, trusted_certificates=[STS.certificate])


# -- reading and building errors -------------------------------------------------------------


def test_saml_version_of() -> None:
    assert saml_version_of(build_assertion(_spec())) == SamlVersion.SAML20
    assert saml_version_of(build_assertion(_spec(SamlVersion.SAML11))) == SamlVersion.SAML11
    with pytest.raises(InvalidSecurityTokenError, match="not a SAML assertion"):
        saml_version_of(etree.Element("{urn:x}Token"))


def test_new_assertion_id_is_a_random_ncname() -> None:
    ids = {new_assertion_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"_[0-9a-f]{32}", value) for value in ids)


@pytest.mark.parametrize(
    ("path", "match"),
    [
        (f"{{{SAML2}}}Subject", "no Subject"),
        (f"{{{SAML2}}}Conditions", "no Conditions"),
        (f"{{{SAML2}}}AuthnStatement", "no AuthnStatement"),
        (f"{{{SAML2}}}Issuer", "no Issuer"),
    ],
)
def test_read_assertion_names_what_is_missing(path: str, match: str) -> None:
    assertion = build_assertion(_spec())
    assertion.remove(assertion.find(path))
    with pytest.raises(InvalidSecurityTokenError, match=match):
        read_assertion_spec(assertion)


def test_read_assertion_refuses_bad_times_and_methods() -> None:
    assertion = build_assertion(_spec())
    assertion.find(f"{{{SAML2}}}Conditions").set("NotOnOrAfter", "tomorrow")
    with pytest.raises(InvalidSecurityTokenError, match="NotOnOrAfter"):
        read_assertion_spec(assertion)
    assertion = build_assertion(_spec())
    del assertion.find(f"{{{SAML2}}}Conditions").attrib["NotOnOrAfter"]
    with pytest.raises(InvalidSecurityTokenError, match="NotOnOrAfter"):
        read_assertion_spec(assertion)
    assertion = build_assertion(_spec())
    assertion.find(f".//{{{SAML2}}}SubjectConfirmation").set(
        "Method", "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"
    )
    with pytest.raises(InvalidSecurityTokenError, match="sender-vouches"):
        read_assertion_spec(assertion)
    assertion = build_assertion(_spec(SamlVersion.SAML11, HolderOfKeyPublic(b"\x30")))
    key_info = assertion.find(f".//{{{DS}}}KeyInfo")
    key_info.remove(key_info[0])
    with pytest.raises(InvalidSecurityTokenError, match="neither"):
        read_assertion_spec(assertion)


def test_read_assertion_accepts_other_time_forms() -> None:
    assertion = build_assertion(_spec())
    assertion.set("IssueInstant", "2025-03-04T07:06:07+02:00")
    assert read_assertion_spec(assertion).issue_instant == NOW.replace(microsecond=0)
    assertion.set("IssueInstant", "2025-03-04T05:06:07.8912345Z")
    assert read_assertion_spec(assertion).issue_instant == NOW


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"issue_instant": dt.datetime(2025, 1, 1)}, "time zone"),
        ({"assertion_id": "1-not-an-ncname"}, "not a valid XML ID"),
        ({"not_on_or_after": NOW}, "later than its NotBefore"),
        ({"subject_name": ""}, "subject name"),
        ({"issuer": ""}, "issuer"),
    ],
)
def test_build_assertion_refuses_bad_specs(changes: dict, match: str) -> None:
    with pytest.raises(InvalidRequestError, match=match):
        build_assertion(_spec(**changes))
