"""Every assertion an administrator's own policy gets accepted with is one the engine enforces:
nothing the verdict accepts may be dropped on the way into the model the engine reads."""

from __future__ import annotations

from stsdesk.core import ns
from stsdesk.core.wssec.policy import TokenKind
from stsdesk.core.wssec.policy_support import check_policy
from tests.helpers.data import DATA

SCENARIO5 = (DATA / "own-policies" / "signed-encrypted-sha256.xml").read_text()
BODY_SIGNED = "<s12:SignedParts>\n      <s12:Body/>\n    </s12:SignedParts>"
BODY_ENCRYPTED = "<s12:EncryptedParts>\n      <s12:Body/>\n    </s12:EncryptedParts>"
ADDRESSING = f'<s12:Header Namespace="{ns.WSA_2005}"/>'


def verdict_of(document: str):
    verdict = check_policy(document.encode())
    assert verdict.enforceable, [i.describe() for i in verdict.unenforceable]
    assert verdict.model is not None
    return verdict.model


def test_a_second_signedparts_adds_to_the_first_rather_than_replacing_it():
    # Two SignedParts assertions both hold (WS-SecurityPolicy: every assertion of the
    # alternative applies): the Body stays required signed beside the addressing headers.
    document = SCENARIO5.replace(
        BODY_SIGNED, f"{BODY_SIGNED}<s12:SignedParts>{ADDRESSING}</s12:SignedParts>")
    model = verdict_of(document)
    assert model.signed_parts.body
    assert (None, ns.WSA_2005) in model.signed_parts.headers


def test_a_second_encryptedparts_does_not_drop_the_encrypted_body():
    document = SCENARIO5.replace(
        BODY_ENCRYPTED, f"{BODY_ENCRYPTED}<s12:EncryptedParts/>")
    assert verdict_of(document).encrypted_parts.body


def test_parts_written_inside_a_nested_policy_are_read_as_the_verdict_read_them():
    # The verdict looks through wsp:Policy inside SignedParts; so must the model, or the Body
    # the verdict accepted as signed would not be required signed at all.
    document = SCENARIO5.replace(
        BODY_SIGNED, "<s12:SignedParts><p:Policy><s12:Body/></p:Policy></s12:SignedParts>"
    ).replace(BODY_ENCRYPTED,
              "<s12:EncryptedParts><p:All><s12:Body/></p:All></s12:EncryptedParts>")
    model = verdict_of(document)
    assert model.signed_parts.body and model.encrypted_parts.body


def test_a_username_token_required_in_two_protections_is_refused_not_half_enforced():
    # The engine reads one UsernameToken and holds it to the first group's protection: a
    # policy asking for one unsigned and one signed-and-encrypted would have the second
    # silently ignored.
    document = SCENARIO5.replace(
        BODY_SIGNED,
        f"{BODY_SIGNED}"
        "<s12:SupportingTokens><p:Policy><s12:UsernameToken/></p:Policy></s12:SupportingTokens>"
        "<s12:SignedEncryptedSupportingTokens><p:Policy><s12:UsernameToken/></p:Policy>"
        "</s12:SignedEncryptedSupportingTokens>")
    verdict = check_policy(document.encode())
    assert not verdict.enforceable
    assert any("UsernameToken" in item.reason for item in verdict.unenforceable)


def test_one_username_token_group_is_still_accepted():
    document = SCENARIO5.replace(
        BODY_SIGNED,
        f"{BODY_SIGNED}<s12:SignedEncryptedSupportingTokens><p:Policy><s12:UsernameToken/>"
        "</p:Policy></s12:SignedEncryptedSupportingTokens>")
    group, _ = verdict_of(document).supporting_of(TokenKind.USERNAME)
    assert group.signed and group.encrypted
