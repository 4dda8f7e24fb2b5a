"""The STS's responses are copies of per-shape skeletons: each carries its own values only."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from stsdesk.core import ns
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

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _assertion(assertion_id: str) -> etree._Element:
    assertion = etree.Element(f"{{{ns.SAML2}}}Assertion", nsmap={"saml2": ns.SAML2})
    assertion.set("ID", assertion_id)
    etree.SubElement(assertion, f"{{{ns.SAML2}}}Issuer").text = "localhost"
    return assertion


def _encrypted_key(cipher_text: str) -> etree._Element:
    key = etree.Element(f"{{{ns.XENC}}}EncryptedKey", nsmap={"xenc": ns.XENC})
    data = etree.SubElement(key, f"{{{ns.XENC}}}CipherData")
    etree.SubElement(data, f"{{{ns.XENC}}}CipherValue").text = cipher_text
    return key


def _issued(n: int, *, proof_kind: type[Proof] | None = None, applies_to: bool = True,
            key_size: bool = False) -> IssuedToken:
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
        applies_to=f"https://rp{n}.example.org/" if applies_to else None,
        created=NOW + timedelta(minutes=n), expires=NOW + timedelta(minutes=n + 5),
        proof=proof, key_size=128 + 8 * n if key_size else None,
    )


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
    # Each shape twice, other shapes in between: a copy must not keep what an earlier token of
    # its shape or of another shape filled in.
    built = []
    for n, (proof_kind, applies_to, key_size) in enumerate(SHAPES * 2):
        issued = _issued(n, proof_kind=proof_kind, applies_to=applies_to, key_size=key_size)
        context = f"ctx-{n}" if n % 3 == 0 else None
        response = build_issue_response(version, issued, context=context)
        rstr = (response.find(f"{{{version.namespace}}}RequestSecurityTokenResponse")
                if version is TrustVersion.WST_13 else response)
        assert rstr.get("Context") == context
        built.append((response, issued))
    for response, issued in built:
        _check(response, issued)


def test_the_token_is_moved_into_the_rstr_not_copied() -> None:
    issued = _issued(1, proof_kind=EncryptedKeyProof)
    response = build_issue_response(TrustVersion.WST_13, issued, context=None)
    wst = f"{{{ns.WST_13}}}"
    [holder] = response.iter(f"{wst}RequestedSecurityToken")
    [proof] = response.iter(f"{wst}RequestedProofToken")
    # The caller's elements are now the RSTR's: the answer holds them, not copies of them.
    assert issued.token.getparent() is holder
    assert issued.proof is not None and isinstance(issued.proof, EncryptedKeyProof)
    assert issued.proof.encrypted_key.getparent() is proof


def test_a_renewal_and_an_issue_of_one_version_keep_their_own_roots() -> None:
    renewed = build_issue_response(TrustVersion.WST_13, _issued(1), context=None,
                                   request_type=RequestType.RENEW)
    issued = build_issue_response(TrustVersion.WST_13, _issued(2), context=None)
    assert etree.QName(renewed).localname == "RequestSecurityTokenResponse"
    assert etree.QName(issued).localname == "RequestSecurityTokenResponseCollection"


def test_threads_build_responses_side_by_side() -> None:
    # Each thread keeps its own skeletons (lxml trees are not shared between threads).
    failures: list[BaseException] = []

    def build(first: int) -> None:
        try:
            for n in range(first, first + 200):
                issued = _issued(n % 250, proof_kind=BinarySecretProof if n % 2 else None)
                _check(build_issue_response(TrustVersion.WST_13, issued, context=None), issued)
        except BaseException as error:  # noqa: BLE001 - reported by the test's thread
            failures.append(error)

    threads = [threading.Thread(target=build, args=(i * 1000,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
