"""Decoding tokens made in the test by several means: the right verdict, and the fields still read."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import CanonicalizationMethod

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.saml import (
    PASSWORD_AUTHN_11,
    PASSWORD_AUTHN_20,
    AssertionSpec,
    HolderOfKeyPublic,
    HolderOfKeySymmetric,
    SamlAttribute,
    SamlVersion,
    build_assertion,
    encrypt_assertion,
    new_assertion_id,
    sign_assertion,
)
from stsdesk.core.tokeninfo import (
    DEFAULT_CLOCK_SKEW_SECONDS,
    ProofKind,
    SignatureStatus,
    ValidityState,
    decode_token,
)
from stsdesk.core.tokeninput import TokenForm, extract_token
from stsdesk.core.tokenjson import to_dict, to_json
from stsdesk.core.xmldsig import DigestAlgorithm, SignatureAlgorithm
from stsdesk.core.xmlenc import encrypt_element, encrypt_key
from tests.core.pki import identity

STS = identity("tokeninfo-sts")
STRANGER = identity("tokeninfo-stranger")
RP = identity("tokeninfo-rp")
OTHER_RP = identity("tokeninfo-other-rp")
CLIENT = identity("tokeninfo-client")
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
EMAIL = "http://wso2.org/claims/emailaddress"
TRUSTED = {"wso2carbon": STS.certificate}


def _spec(version=SamlVersion.SAML20, **changes) -> AssertionSpec:
    values = dict(
        version=version,
        assertion_id=new_assertion_id(),
        issuer="localhost",
        issue_instant=NOW,
        not_before=NOW,
        not_on_or_after=NOW + dt.timedelta(minutes=5),
        subject_name="alice",
        name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        audiences=("https://rp.example.org",),
        authn_instant=NOW,
        authn_method=PASSWORD_AUTHN_20 if version is SamlVersion.SAML20 else PASSWORD_AUTHN_11,
        attributes=(SamlAttribute(EMAIL, ("alice@example.org",)),),
    )
    values.update(changes)
    return AssertionSpec(**values)


def _signed(version=SamlVersion.SAML20, signer=STS, **changes) -> etree._Element:
    element = build_assertion(_spec(version, **changes))
    sign_assertion(element, signer)
    return element


def _decode(element: etree._Element, **options):
    return decode_token(extract_token(etree.tostring(element)), **options)


# -- signature verdicts -------------------------------------------------------------------------


@pytest.mark.parametrize("version", [SamlVersion.SAML11, SamlVersion.SAML20])
def test_token_signed_by_trusted_certificate_is_valid_and_read(version):
    decoded = _decode(_signed(version), trusted=TRUSTED)
    assert decoded.signature.status is SignatureStatus.VALID
    assert decoded.signature.trusted_alias == "wso2carbon"
    assert decoded.signature.algorithm == SignatureAlgorithm.RSA_SHA256.value
    assert decoded.signature.digest_algorithm == DigestAlgorithm.SHA256.value
    assert decoded.signature.reference == f"#{decoded.assertion_id}"
    assert decoded.signature.digest_value
    assert not decoded.signature.weak_algorithm
    assert decoded.signature.certificate.subject == "CN=tokeninfo-sts"
    assert decoded.version is version
    assert decoded.issuer == "localhost"
    assert decoded.subject.name_id == "alice"
    assert decoded.subject.confirmation_method.endswith("cm:bearer")
    assert decoded.holder_of_key.kind is ProofKind.BEARER
    assert decoded.conditions.audiences == ("https://rp.example.org",)
    assert decoded.conditions.not_on_or_after - decoded.conditions.not_before == dt.timedelta(
        minutes=5
    )
    assert decoded.authn.instant == NOW
    assert [a.claim_uri for a in decoded.attributes] == [EMAIL]
    assert decoded.attributes[0].values == ("alice@example.org",)
    assert decoded.problems == ()
    assert decoded.encryption is None


def test_saml11_attribute_namespace_is_kept_apart():
    decoded = _decode(_signed(SamlVersion.SAML11), trusted=TRUSTED)
    attribute = decoded.attributes[0]
    assert attribute.namespace == "http://wso2.org/claims"
    assert attribute.name == "emailaddress"
    assert attribute.claim_uri == EMAIL


def test_without_trusted_certificates_the_carried_one_gives_untrusted():
    decoded = _decode(_signed())
    assert decoded.signature.status is SignatureStatus.UNTRUSTED
    assert "not one you trust" in decoded.signature.reason
    assert decoded.signature.certificate.subject == "CN=tokeninfo-sts"
    assert decoded.signature.trusted_alias is None


def test_signed_by_another_key_is_untrusted_not_valid():
    decoded = _decode(_signed(signer=STRANGER), trusted=TRUSTED)
    assert decoded.signature.status is SignatureStatus.UNTRUSTED
    assert decoded.signature.certificate.subject == "CN=tokeninfo-stranger"
    assert decoded.subject.name_id == "alice"


def test_signed_by_another_key_claiming_the_trusted_certificate_is_invalid():
    element = _signed(signer=STRANGER)
    carried = element.find(f".//{{{ns.DS}}}X509Certificate")
    carried.text = "".join(
        STS.certificate.public_bytes(serialization.Encoding.PEM)
        .decode()
        .splitlines()[1:-1]
    )
    decoded = _decode(element, trusted=TRUSTED)
    assert decoded.signature.status is SignatureStatus.INVALID
    assert "wrong for the key" in decoded.signature.reason


@pytest.mark.parametrize("version", [SamlVersion.SAML11, SamlVersion.SAML20])
def test_tampered_after_signing_is_invalid_with_digest_reason_and_still_shown(version):
    element = _signed(version)
    name = element.find(f".//{{{ns.SAML2}}}NameID") if version is SamlVersion.SAML20 else (
        element.find(f".//{{{ns.SAML11}}}NameIdentifier")
    )
    name.text = "mallory"
    for trusted in (TRUSTED, {}):
        decoded = _decode(element, trusted=trusted)
        assert decoded.signature.status is SignatureStatus.INVALID
        assert "digest mismatch" in decoded.signature.reason
        assert decoded.subject.name_id == "mallory"
        assert decoded.signature.certificate is not None


def test_unsigned_token():
    decoded = _decode(build_assertion(_spec()), trusted=TRUSTED)
    assert decoded.signature.status is SignatureStatus.UNSIGNED
    assert "no signature" in decoded.signature.reason
    assert decoded.subject.name_id == "alice"


def test_signature_wrapping_duplicate_id_is_invalid():
    element = _signed()
    envelope = etree.Element("{urn:example}Wrapper")
    envelope.append(element)
    decoy = copy.deepcopy(element)
    decoy.remove(decoy.find(f"{{{ns.DS}}}Signature"))
    envelope.append(decoy)
    extracted = extract_token(etree.tostring(element))
    # put the extracted token back into a document where its ID appears twice
    document = etree.fromstring(etree.tostring(envelope))
    extracted = type(extracted)(
        element=document[0], form=extracted.form, encoding=extracted.encoding,
        container="test", document=document,
    )
    decoded = decode_token(extracted, trusted=TRUSTED)
    assert decoded.signature.status is SignatureStatus.INVALID
    assert "signature wrapping" in decoded.signature.reason


def test_token_signed_by_signxml_verifies():
    element = build_assertion(_spec())
    key_pem = STS.private_key_pem()
    cert_pem = STS.certificate_pem()
    signer = XMLSigner(
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(element, key=key_pem, cert=cert_pem, id_attribute="ID")
    decoded = decode_token(extract_token(etree.tostring(signed)), trusted=TRUSTED)
    assert decoded.signature.status is SignatureStatus.VALID, decoded.signature.reason


def test_sha1_signature_is_flagged_weak():
    element = build_assertion(_spec())
    sign_assertion(
        element, STS, signature_algorithm=SignatureAlgorithm.RSA_SHA1,
        digest_algorithm=DigestAlgorithm.SHA1,
    )
    decoded = _decode(element, trusted=TRUSTED)
    assert decoded.signature.status is SignatureStatus.VALID
    assert decoded.signature.weak_algorithm


# -- validity -----------------------------------------------------------------------------------


def test_expired_token_timeline():
    past = NOW - dt.timedelta(hours=2)
    element = _signed(issue_instant=past, not_before=past, not_on_or_after=past
                      + dt.timedelta(minutes=5), authn_instant=past)
    timeline = _decode(element, trusted=TRUSTED).validity(NOW)
    assert timeline.state is ValidityState.EXPIRED
    assert timeline.expired
    assert timeline.remaining_seconds == pytest.approx(-(115 * 60))
    assert "Expired" in timeline.note
    assert timeline.lifetime_seconds == 300


def test_timeline_valid_within_skew_and_not_yet_valid():
    decoded = _decode(_signed(), trusted=TRUSTED)
    fresh = decoded.validity(NOW + dt.timedelta(seconds=60))
    assert fresh.state is ValidityState.VALID and not fresh.within_skew
    assert fresh.remaining_seconds == pytest.approx(240)
    late = decoded.validity(NOW + dt.timedelta(minutes=6))
    assert late.state is ValidityState.VALID and late.within_skew
    assert "clock-skew" in late.note
    assert decoded.validity(NOW + dt.timedelta(minutes=6), skew_seconds=0).expired
    early = decoded.validity(NOW - dt.timedelta(seconds=DEFAULT_CLOCK_SKEW_SECONDS + 60))
    assert early.not_yet_valid
    assert "check the clocks" in early.note


# -- encryption ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [SamlVersion.SAML11, SamlVersion.SAML20])
def test_encrypted_token_decrypted_with_the_right_key(version):
    element = encrypt_assertion(_signed(version), RP.certificate)
    decoded = _decode(
        element, trusted=TRUSTED, private_keys=[OTHER_RP.private_key, RP.private_key],
        known={"rp-cert": RP.certificate},
    )
    assert decoded.encryption.decrypted
    assert decoded.encryption.recipient_alias == "rp-cert"
    assert decoded.encryption.data_algorithm.endswith("aes256-gcm")
    assert decoded.encryption.key_transport.endswith("rsa-oaep-mgf1p")
    assert decoded.signature.status is SignatureStatus.VALID
    assert decoded.subject.name_id == "alice"
    assert decoded.readable and "alice" in decoded.assertion_xml()


def test_encrypted_for_a_different_certificate_says_for_which():
    element = encrypt_assertion(_signed(), RP.certificate)
    decoded = _decode(
        element, trusted=TRUSTED, private_keys=[OTHER_RP.private_key],
        known={"rp-cert": RP.certificate},
    )
    thumbprint = RP.certificate.fingerprint(hashes.SHA1())
    assert decoded.form is TokenForm.ENCRYPTED_ASSERTION
    assert not decoded.encryption.decrypted
    assert decoded.encryption.recipient_thumbprint == thumbprint.hex(":").upper()
    assert "'rp-cert'" in decoded.encryption.reason
    assert "none of the given private keys" in decoded.encryption.reason
    assert decoded.signature.status is SignatureStatus.NOT_CHECKED
    assert not decoded.readable
    assert decoded.subject is None


def test_encrypted_without_keys_names_the_certificate():
    decoded = _decode(encrypt_assertion(_signed(SamlVersion.SAML11), RP.certificate))
    assert decoded.form is TokenForm.ENCRYPTED_DATA
    assert "give that certificate's private key" in decoded.encryption.reason
    assert decoded.encryption.recipient_thumbprint in decoded.encryption.reason


# -- holder of key ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [SamlVersion.SAML11, SamlVersion.SAML20])
def test_symmetric_holder_of_key_names_the_relying_party_and_unwraps(version):
    proof = bytes(range(32))
    element = _signed(
        version, confirmation=HolderOfKeySymmetric(encrypt_key(proof, RP.certificate))
    )
    decoded = _decode(element, trusted=TRUSTED, known={"rp-cert": RP.certificate})
    hok = decoded.holder_of_key
    assert hok.kind is ProofKind.SYMMETRIC
    assert hok.recipient_alias == "rp-cert"
    assert hok.key_bits is None and hok.proof_key is None
    assert "rp-cert" in hok.relying_party_view
    opened = _decode(element, private_keys=[RP.private_key]).holder_of_key
    assert opened.key_bits == 256 and opened.proof_key == proof
    assert proof.hex() not in repr(opened) and repr(proof) not in repr(opened)


def test_public_key_holder_of_key_shows_the_client_certificate():
    element = _signed(confirmation=HolderOfKeyPublic(CLIENT.certificate_der()))
    hok = _decode(element, trusted=TRUSTED).holder_of_key
    assert hok.kind is ProofKind.PUBLIC
    assert hok.certificate.subject == "CN=tokeninfo-client"
    assert hok.key_bits == 2048


# -- malformed but XML --------------------------------------------------------------------------


def test_missing_parts_are_listed_not_raised():
    element = etree.Element(f"{{{ns.SAML2}}}Assertion", Version="2.0", IssueInstant="yesterday")
    decoded = _decode(element)
    assert decoded.signature.status is SignatureStatus.UNSIGNED
    joined = " ".join(decoded.problems)
    for missing in ("no ID", "no Issuer", "no Subject", "no Conditions", "'yesterday'"):
        assert missing in joined
    assert decoded.validity(NOW).state is ValidityState.UNKNOWN


def test_encrypted_data_that_is_not_an_assertion_is_refused():
    data = encrypt_element(etree.Element("{urn:example}Secret"), RP.certificate)
    with pytest.raises(InvalidRequestError, match="not a SAML assertion"):
        decode_token(extract_token(etree.tostring(data)), private_keys=[RP.private_key])


# -- output -------------------------------------------------------------------------------------


def test_json_has_the_verdict_and_no_key_material():
    proof = bytes(range(32))
    element = encrypt_assertion(
        _signed(confirmation=HolderOfKeySymmetric(encrypt_key(proof, RP.certificate))),
        RP.certificate,
    )
    decoded = _decode(element, trusted=TRUSTED, private_keys=[RP.private_key])
    text = to_json(decoded, now=NOW)
    data = json.loads(text)
    assert data["signature"]["status"] == "valid"
    assert data["subject"]["name_id"] == "alice"
    assert data["validity"]["state"] == "valid"
    assert data["encryption"]["decrypted"] is True
    assert data["holder_of_key"]["key_bits"] == 256
    assert data["attributes"][0]["values"] == ["alice@example.org"]
    assert proof.hex() not in text and "proof_key" not in text
    assert to_dict(decoded, now=NOW) == data
