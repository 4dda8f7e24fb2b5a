"""Enveloped signatures: round trips checked by signxml, and signature-wrapping refusals."""

from __future__ import annotations

import base64
import copy

import pytest
import signxml
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, InvalidSecurityTokenError
from stsdesk.core.xmldsig import (
    DigestAlgorithm,
    SignatureAlgorithm,
    sign_enveloped,
    verify_enveloped,
)
from tests.core.pki import identity

DS = ns.DS
SIGNER = identity("dsig-signer")
STRANGER = identity("dsig-stranger")
TOKEN_NS = "urn:example:token"


def _token(token_id: str = "_t1", text: str = "alice") -> etree._Element:
    root = etree.Element(f"{{{TOKEN_NS}}}Token", nsmap={"t": TOKEN_NS, "ds": DS}, ID=token_id)
    etree.SubElement(root, f"{{{TOKEN_NS}}}Issuer").text = "sts"
    etree.SubElement(root, f"{{{TOKEN_NS}}}Name").text = text
    return root


def _signed(token_id: str = "_t1", **kwargs) -> etree._Element:
    root = _token(token_id)
    sign_enveloped(root, SIGNER, id_attribute="ID", position=1, **kwargs)
    return root


def _ds(local: str) -> str:
    return f"{{{DS}}}{local}"


def _signxml_config(sha1: bool = False) -> SignatureConfiguration:
    methods = {signxml.SignatureMethod(a.value) for a in SignatureAlgorithm}
    digests = {signxml.DigestAlgorithm(d.value) for d in DigestAlgorithm}
    if not sha1:
        methods.discard(signxml.SignatureMethod(SignatureAlgorithm.RSA_SHA1.value))
        digests.discard(signxml.DigestAlgorithm(DigestAlgorithm.SHA1.value))
    return SignatureConfiguration(
        location="./", signature_methods=frozenset(methods), digest_algorithms=frozenset(digests)
    )


@pytest.mark.parametrize(
    ("signature_algorithm", "digest_algorithm"),
    [
        (SignatureAlgorithm.RSA_SHA256, DigestAlgorithm.SHA256),
        (SignatureAlgorithm.RSA_SHA512, DigestAlgorithm.SHA512),
        (SignatureAlgorithm.RSA_SHA1, DigestAlgorithm.SHA1),
    ],
)
def test_round_trip_verified_by_signxml(signature_algorithm, digest_algorithm) -> None:
    root = _token()
    signature = sign_enveloped(
        root, SIGNER, id_attribute="ID", position=1,
        signature_algorithm=signature_algorithm, digest_algorithm=digest_algorithm,
    )
    assert root[1] is signature and signature.tag == _ds("Signature")
    reference = signature.find(f"{_ds('SignedInfo')}/{_ds('Reference')}")
    assert reference.get("URI") == "#_t1"
    transforms = [t.get("Algorithm") for t in reference.iter(_ds("Transform"))]
    assert transforms == ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", ns.EXC_C14N]
    c14n = signature.find(f"{_ds('SignedInfo')}/{_ds('CanonicalizationMethod')}")
    assert c14n.get("Algorithm") == ns.EXC_C14N

    # Independent check: signxml on the element serialised inside a foreign wrapper.
    wrapped = etree.fromstring(
        b"<w:Envelope xmlns:w='urn:w'>" + etree.tostring(root) + b"</w:Envelope>"
    )
    result = XMLVerifier().verify(
        etree.tostring(wrapped[0]),
        x509_cert=SIGNER.certificate_pem().decode(),
        id_attribute="ID",
        expect_config=_signxml_config(sha1=signature_algorithm == SignatureAlgorithm.RSA_SHA1),
    )
    assert result.signed_xml.find(f"{{{TOKEN_NS}}}Name").text == "alice"

    verified = verify_enveloped(root, id_attribute="ID", trusted_certificates=[SIGNER.certificate])
    assert verified.certificate == SIGNER.certificate
    assert verified.signature_algorithm == signature_algorithm.value
    assert verified.digest_algorithm == digest_algorithm.value
    assert verified.reference_uri == "#_t1"


def test_verification_inside_a_larger_document_and_cut_out() -> None:
    envelope = etree.Element("{urn:w}Envelope", nsmap={"w": "urn:w"})
    body = etree.SubElement(envelope, "{urn:w}Body")
    body.append(_signed())
    token = body[0]
    verify_enveloped(token, id_attribute="ID", trusted_certificates=[SIGNER.certificate])
    cut = etree.fromstring(etree.tostring(token))
    verify_enveloped(cut, id_attribute="ID", trusted_certificates=[SIGNER.certificate])


def test_sign_inside_a_document_that_does_not_declare_ds() -> None:
    envelope = etree.Element("{urn:w}Envelope", nsmap={"w": "urn:w"})
    token = etree.SubElement(envelope, f"{{{TOKEN_NS}}}Token", nsmap={"t": TOKEN_NS}, ID="_x")
    etree.SubElement(token, f"{{{TOKEN_NS}}}Issuer").text = "sts"
    sign_enveloped(token, SIGNER, id_attribute="ID", position=1)
    XMLVerifier().verify(
        etree.tostring(token), x509_cert=SIGNER.certificate_pem().decode(),
        id_attribute="ID", expect_config=_signxml_config(),
    )


def test_without_trusted_certificates_the_keyinfo_certificate_is_reported() -> None:
    verified = verify_enveloped(_signed(), id_attribute="ID")
    assert verified.certificate == SIGNER.certificate


def test_trusted_list_picks_the_matching_certificate() -> None:
    verified = verify_enveloped(
        _signed(), id_attribute="ID",
        trusted_certificates=[STRANGER.certificate, SIGNER.certificate],
    )
    assert verified.certificate == SIGNER.certificate


def test_verify_does_not_modify_the_callers_tree() -> None:
    root = _signed()
    before = etree.tostring(root)
    verify_enveloped(root, id_attribute="ID")
    assert etree.tostring(root) == before


def test_signing_a_second_time_or_without_id_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="already signed"):
        sign_enveloped(_signed(), SIGNER, id_attribute="ID", position=1)
    with pytest.raises(InvalidRequestError, match="no ID attribute"):
        sign_enveloped(etree.Element("x"), SIGNER, id_attribute="ID", position=0)
    with pytest.raises(InvalidRequestError, match="not supported"):
        sign_enveloped(_token(), SIGNER, id_attribute="ID", position=1, signature_algorithm="hmac")


# -- refusals -------------------------------------------------------------------------------


def _refused(element: etree._Element, match: str, **kwargs) -> InvalidSecurityTokenError:
    with pytest.raises(InvalidSecurityTokenError, match=match) as info:
        verify_enveloped(element, id_attribute="ID", **kwargs)
    return info.value


def test_unsigned_is_refused() -> None:
    _refused(_token(), "The token is not signed")


def test_altered_content_is_a_digest_mismatch() -> None:
    root = _signed()
    root.find(f"{{{TOKEN_NS}}}Name").text = "mallory"
    _refused(root, r"digest mismatch: the token was altered after signing")
    _refused(root, "digest mismatch", trusted_certificates=[SIGNER.certificate])


def test_altered_signature_value_is_reported_as_wrong_for_the_key() -> None:
    root = _signed()
    value = root.find(f"{_ds('Signature')}/{_ds('SignatureValue')}")
    text = "".join(value.text.split())
    value.text = ("B" if text[0] != "B" else "C") + text[1:]
    _refused(root, "signature value is wrong for the key")
    _refused(root, "signature value is wrong", trusted_certificates=[SIGNER.certificate])


def test_signed_by_another_key_is_untrusted() -> None:
    root = _token()
    sign_enveloped(root, STRANGER, id_attribute="ID", position=1)
    verify_enveloped(root, id_attribute="ID")  # valid in itself ...
    _refused(  # ... but not by a key this STS trusts
        root, "signed by a certificate this STS does not trust",
        trusted_certificates=[SIGNER.certificate],
    )


def test_keyinfo_swapped_to_a_trusted_certificate_does_not_help() -> None:
    root = _token()
    sign_enveloped(root, STRANGER, id_attribute="ID", position=1)
    cert = root.find(f".//{_ds('X509Certificate')}")
    cert.text = base64.b64encode(SIGNER.certificate_der()).decode()
    _refused(root, "signature value is wrong", trusted_certificates=[SIGNER.certificate])


def test_duplicate_id_in_the_document_is_refused() -> None:
    envelope = etree.Element("{urn:w}Envelope")
    envelope.append(_signed())
    evil = _token(text="mallory")
    envelope.append(evil)
    _refused(envelope[0], "appears 2 times")
    _refused(evil, "not signed")


def test_signed_token_moved_into_a_wrapper_is_not_the_token_read() -> None:
    # XSW: the signed assertion is hidden in an extension element while an unsigned forgery
    # with the same ID stands where the application looks.
    signed = _signed()
    forged = _token(text="mallory")
    hiding = etree.SubElement(forged, "{urn:evil}Extensions")
    hiding.append(signed)
    _refused(forged, "not signed")
    _refused(forged.find("{urn:evil}Extensions")[0], "appears 2 times")
    # and with a different ID on the forgery, verifying the forgery still finds no signature
    forged.set("ID", "_forged")
    _refused(forged, "not signed")


def test_signature_moved_onto_another_element_refers_elsewhere() -> None:
    document = etree.Element("{urn:w}Envelope")
    signed = _signed("_a")
    other = _token("_b", text="mallory")
    document.append(signed)
    document.append(other)
    other.insert(1, signed.find(_ds("Signature")))
    _refused(other, r"refers to '#_a', not to the token itself \(#_b\)")


def test_an_extra_transform_is_refused() -> None:
    root = _signed()
    transforms = root.find(f".//{_ds('Transforms')}")
    xpath = etree.SubElement(
        transforms, _ds("Transform"), Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"
    )
    etree.SubElement(xpath, _ds("XPath")).text = "not(ancestor-or-self::t:Name)"
    _refused(root, "only enveloped-signature followed by exclusive canonicalisation")


def test_missing_enveloped_transform_is_refused() -> None:
    root = _signed()
    transforms = root.find(f".//{_ds('Transforms')}")
    transforms.remove(transforms[0])
    _refused(root, "transforms")


def test_two_references_are_refused() -> None:
    root = _signed()
    signed_info = root.find(f".//{_ds('SignedInfo')}")
    signed_info.append(copy.deepcopy(signed_info.find(_ds("Reference"))))
    _refused(root, "2 references")


def test_two_signatures_are_refused() -> None:
    root = _signed()
    root.append(copy.deepcopy(root.find(_ds("Signature"))))
    _refused(root, "more than one signature")


def test_object_in_signature_is_refused() -> None:
    root = _signed()
    etree.SubElement(root.find(_ds("Signature")), _ds("Object")).text = "x"
    _refused(root, "ds:Object")


def test_inclusive_canonicalisation_and_hmac_are_refused() -> None:
    root = _signed()
    c14n = root.find(f".//{_ds('CanonicalizationMethod')}")
    c14n.set("Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    _refused(root, "only exclusive canonicalisation")
    root = _signed()
    method = root.find(f".//{_ds('SignatureMethod')}")
    method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
    _refused(root, "not allowed here")


def test_sha1_can_be_excluded_by_the_caller() -> None:
    root = _signed(
        signature_algorithm=SignatureAlgorithm.RSA_SHA1, digest_algorithm=DigestAlgorithm.SHA1
    )
    verify_enveloped(root, id_attribute="ID")  # accepted by default (legacy relying parties)
    _refused(
        root, "not allowed here",
        allowed_signature_algorithms=frozenset({SignatureAlgorithm.RSA_SHA256.value}),
    )
    mixed = _signed(digest_algorithm=DigestAlgorithm.SHA1)
    _refused(
        mixed, "digest",
        allowed_signature_algorithms=frozenset({SignatureAlgorithm.RSA_SHA256.value}),
    )


def test_missing_id_attribute_is_refused() -> None:
    root = _signed()
    del root.attrib["ID"]
    _refused(root, "no ID attribute")


def test_comment_outside_the_signed_text_keeps_the_signature_valid() -> None:
    # exc-c14n without comments: a comment is not signed content. What the application reads
    # must therefore be all text nodes (see test_saml for the NameID case).
    root = _signed()
    name = root.find(f"{{{TOKEN_NS}}}Name")
    name.text = "ali"
    comment = etree.Comment("x")
    name.append(comment)
    comment.tail = "ce"
    verify_enveloped(root, id_attribute="ID", trusted_certificates=[SIGNER.certificate])
    assert "".join(name.itertext()) == "alice"
    comment.tail = "ce.evil.example"
    _refused(root, "digest mismatch")
