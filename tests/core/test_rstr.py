"""The STS's responses are written from per-shape templates: each carries its own values only,
escaped, and reads back as the values given."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.rstr import build_issue_response
from stsdesk.core.wstrust import (
    BinarySecretProof,
    ComputedKeyProof,
    EncryptedKeyProof,
    IssuedToken,
    Proof,
    RequestType,
    TokenType,
    TrustVersion,
    parse_response,
)
from stsdesk.core.xmlparse import parse_xml

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _assertion(assertion_id: str) -> bytes:
    assertion = etree.Element(f"{{{ns.SAML2}}}Assertion", nsmap={"saml2": ns.SAML2})
    assertion.set("ID", assertion_id)
    etree.SubElement(assertion, f"{{{ns.SAML2}}}Issuer").text = "localhost"
    return etree.tostring(assertion, encoding="utf-8")


def _encrypted_key(cipher_text: str) -> etree._Element:
    key = etree.Element(f"{{{ns.XENC}}}EncryptedKey", nsmap={"xenc": ns.XENC})
    data = etree.SubElement(key, f"{{{ns.XENC}}}CipherData")
    etree.SubElement(data, f"{{{ns.XENC}}}CipherValue").text = cipher_text
    return key


def _issued(n: int, *, proof_kind: type[Proof] | None = None, applies_to: bool = True,
            key_size: bool = False, address: str | None = None) -> IssuedToken:
    """Token number ``n``: every value it carries names ``n``."""
    secret = bytes([n]) * 32
    proof: Proof | None = None
    if proof_kind is BinarySecretProof:
        proof = BinarySecretProof(secret)
    elif proof_kind is ComputedKeyProof:
        proof = ComputedKeyProof(secret)
    elif proof_kind is EncryptedKeyProof:
        proof = EncryptedKeyProof(_encrypted_key(f"KEY{n}"))
    return IssuedToken(
        token=_assertion(f"_token{n}"), token_type=TokenType.SAML20, token_id=f"_token{n}",
        applies_to=(address or f"https://rp{n}.example.org/") if applies_to else None,
        created=NOW + timedelta(minutes=n), expires=NOW + timedelta(minutes=n + 5),
        proof=proof, key_size=128 + 8 * n if key_size else None,
    )


def _build(version: TrustVersion, issued: IssuedToken, *, context: str | None,
           request_type: RequestType = RequestType.ISSUE) -> etree._Element:
    """The response as a relying party's client reads it: its text, parsed."""
    return parse_xml(build_issue_response(version, issued, context=context,
                                          request_type=request_type))


def _check(response: etree._Element, issued: IssuedToken) -> None:
    """``response`` holds ``issued``'s values and nothing of another token's."""
    read = parse_response(response)
    assert read.token is not None and read.token.get("ID") == issued.token_id
    assert read.attached_reference == read.unattached_reference == issued.token_id
    assert read.applies_to == issued.applies_to
    assert (read.created, read.expires) == (issued.created, issued.expires)
    assert read.key_size == issued.key_size
    proof = issued.proof
    assert read.proof_secret == (proof.key if isinstance(proof, BinarySecretProof) else None)
    assert read.issuer_entropy == (
        proof.issuer_entropy if isinstance(proof, ComputedKeyProof) else None)
    if isinstance(proof, EncryptedKeyProof):
        assert read.proof_encrypted_key is not None
        assert read.proof_encrypted_key.findtext(f".//{{{ns.XENC}}}CipherValue") == \
            proof.encrypted_key.findtext(f".//{{{ns.XENC}}}CipherValue")
    else:
        assert read.proof_encrypted_key is None


SHAPES = list(itertools.product(
    [None, BinarySecretProof, ComputedKeyProof, EncryptedKeyProof], [True, False], [True, False]))


@pytest.mark.parametrize("version", list(TrustVersion))
def test_responses_of_every_shape_carry_only_their_own_values(version: TrustVersion) -> None:
    # Each shape twice, other shapes in between: a template must not keep what an earlier token
    # of its shape or of another shape filled in.
    built = []
    for n, (proof_kind, applies_to, key_size) in enumerate(SHAPES * 2):
        issued = _issued(n, proof_kind=proof_kind, applies_to=applies_to, key_size=key_size)
        context = f"ctx-{n}" if n % 3 == 0 else None
        response = _build(version, issued, context=context)
        rstr = (response.find(f"{{{version.namespace}}}RequestSecurityTokenResponse")
                if version is TrustVersion.WST_13 else response)
        assert rstr.get("Context") == context
        built.append((response, issued))
    for response, issued in built:
        _check(response, issued)


@pytest.mark.parametrize("version", list(TrustVersion))
def test_the_request_s_values_are_escaped_and_read_back_as_sent(version: TrustVersion) -> None:
    # The AppliesTo address and the Context come from the client: markup in them stays text.
    address = 'https://rp.example.org/a?b=1&c=<d>&e="f"\t\r\nend'
    context = 'ctx "quoted" & <tagged>\t\r\nend'
    issued = _issued(1, address=address)
    response = _build(version, issued, context=context)
    rstr = (response.find(f"{{{version.namespace}}}RequestSecurityTokenResponse")
            if version is TrustVersion.WST_13 else response)
    assert rstr.get("Context") == context
    assert parse_response(response).applies_to == address
    assert len(response.findall(f".//{{{ns.SAML2}}}Assertion")) == 1


def test_a_value_xml_cannot_carry_is_refused_by_name() -> None:
    with pytest.raises(InvalidRequestError, match="Context") as caught:
        build_issue_response(TrustVersion.WST_13, _issued(1), context="bell\x07")
    assert "bell" not in caught.value.message


def test_a_renewal_and_an_issue_of_one_version_keep_their_own_roots() -> None:
    renewed = _build(TrustVersion.WST_13, _issued(1), context=None,
                     request_type=RequestType.RENEW)
    issued = _build(TrustVersion.WST_13, _issued(2), context=None)
    assert etree.QName(renewed).localname == "RequestSecurityTokenResponse"
    assert etree.QName(issued).localname == "RequestSecurityTokenResponseCollection"


def test_threads_build_responses_side_by_side() -> None:
    # One template per shape serves every thread.
    failures: list[BaseException] = []

    def build(first: int) -> None:
        try:
            for n in range(first, first + 200):
                issued = _issued(n % 250, proof_kind=BinarySecretProof if n % 2 else None)
                _check(_build(TrustVersion.WST_13, issued, context=None), issued)
        except BaseException as error:  # noqa: BLE001 - reported by the test's thread
            failures.append(error)

    threads = [threading.Thread(target=build, args=(i * 1000,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
