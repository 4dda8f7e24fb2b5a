"""The engine's verdict on an administrator's own WS-SecurityPolicy (core.wssec.policy_support)."""

from __future__ import annotations

import pytest

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, XmlInputError
from stsdesk.core.scenarios import SCENARIOS, policy_document
from stsdesk.core.wssec.policy import Binding, TokenKind, read_policy
from stsdesk.core.wssec.policy_support import check_policy
from tests.helpers.data import DATA

OWN = DATA / "own-policies"
SP = ns.SP_2005
WSP = ns.WSP_2004


def policy(*assertions: str, wsp: str = WSP, sp: str = SP) -> bytes:
    """A policy document with ``assertions`` (XML text using the sp: and wsp: prefixes)."""
    body = "".join(assertions)
    return (f'<wsp:Policy xmlns:wsp="{wsp}" xmlns:sp="{sp}" xmlns:wsu="{ns.WSU}" '
            f'wsu:Id="Own"><wsp:ExactlyOne><wsp:All>{body}</wsp:All></wsp:ExactlyOne>'
            "</wsp:Policy>").encode()


TRANSPORT = (
    "<sp:TransportBinding><wsp:Policy><sp:TransportToken><wsp:Policy>"
    '<sp:HttpsToken RequireClientCertificate="false"/></wsp:Policy></sp:TransportToken>'
    "<sp:AlgorithmSuite><wsp:Policy><sp:Basic256/></wsp:Policy></sp:AlgorithmSuite>"
    "<sp:IncludeTimestamp/></wsp:Policy></sp:TransportBinding>"
)
USERNAME = ("<sp:SignedSupportingTokens><wsp:Policy><sp:UsernameToken/></wsp:Policy>"
            "</sp:SignedSupportingTokens>")


def names(document: bytes) -> list[str]:
    return [item.name for item in check_policy(document).unenforceable]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_every_built_in_scenario_gets_the_catalogues_verdict(scenario):
    # The catalogue's enforceable scenarios are what the engine enforces; the others are not,
    # whether they come as a scenario or as an own document.
    if scenario.category.value in ("sc", "kerberos") or scenario.id in {
            f"scenario{n}" for n in (*range(9, 16), 20)}:
        pytest.xfail("the own-policy check does not yet read SecureConversation and Kerberos "
                     "tokens, which the engine now enforces")
    assert check_policy(policy_document(scenario.id)).enforceable is scenario.enforceable


def test_a_policy_written_differently_reads_as_the_scenario_it_means():
    verdict = check_policy((OWN / "signed-encrypted-sha256.xml").read_bytes())
    assert verdict.enforceable, [i.describe() for i in verdict.unenforceable]
    scenario5 = read_policy(policy_document("scenario5"))
    own = verdict.model
    assert own is not None
    assert own.binding is scenario5.binding is Binding.ASYMMETRIC
    assert own.initiator_token.kind is TokenKind.X509
    assert own.initiator_token.inclusion == scenario5.initiator_token.inclusion
    assert (own.signed_parts, own.encrypted_parts) == (
        scenario5.signed_parts, scenario5.encrypted_parts)
    assert own.include_timestamp and own.signature_confirmation
    assert own.algorithm_suite.name == "Basic256Sha256"
    assert verdict.policy_id == "PartnerSignEncryptSha256"
    assert verdict.asks_for == ("keystores",)
    # Rampart's own configuration is read and set aside, with a note saying so.
    assert any("RampartConfig" in note for note in verdict.notes)


def test_unsupported_tokens_and_unknown_assertions_are_named_with_their_place():
    verdict = check_policy((OWN / "kerberos.xml").read_bytes())
    assert not verdict.enforceable
    found = {item.assertion: item for item in verdict.unenforceable}
    assert set(found) == {
        f"{{{SP}}}KerberosToken", f"{{{SP}}}EndorsingSupportingTokens",
        "{urn:example:own-assertions}AuditEveryRequest",
    }
    kerberos = found[f"{{{SP}}}KerberosToken"]
    assert kerberos.name == "sp:KerberosToken"
    assert kerberos.path.endswith("sp:SymmetricBinding/wsp:Policy/sp:ProtectionToken/"
                                  "wsp:Policy/sp:KerberosToken")
    assert kerberos.line == 13
    assert "Kerberos" in kerberos.reason
    assert "unknown" in found["{urn:example:own-assertions}AuditEveryRequest"].reason
    assert "sp:KerberosToken at /wsp:Policy" in kerberos.describe()


def test_an_spnego_token_where_the_engine_would_look_is_named():
    document = policy(TRANSPORT, "<sp:SignedSupportingTokens><wsp:Policy>"
                      "<sp:SpnegoContextToken/></wsp:Policy></sp:SignedSupportingTokens>")
    assert names(document) == ["sp:SpnegoContextToken"]


def test_scenario1_written_by_hand_is_enforceable_and_asks_for_roles():
    verdict = check_policy(policy(TRANSPORT, USERNAME))
    assert verdict.enforceable
    assert verdict.asks_for == ("roles",)
    assert verdict.model.binding is Binding.TRANSPORT


@pytest.mark.parametrize(("assertions", "expected"), [
    # Two alternatives: the engine enforces one set of requirements.
    (("<wsp:ExactlyOne><wsp:All>" + USERNAME + "</wsp:All><wsp:All/></wsp:ExactlyOne>",),
     "wsp:ExactlyOne"),
    (('<wsp:PolicyReference URI="#Elsewhere"/>',), "wsp:PolicyReference"),
    ((USERNAME.replace("<sp:UsernameToken/>", '<sp:UsernameToken wsp:Optional="true"/>'),),
     "sp:UsernameToken"),
    ((USERNAME.replace("<sp:UsernameToken/>", "<sp:UsernameToken><wsp:Policy><sp:HashPassword/>"
                       "</wsp:Policy></sp:UsernameToken>"),), "sp:HashPassword"),
    (("<sp:SignedElements><sp:XPath>//x</sp:XPath></sp:SignedElements>",), "sp:SignedElements"),
])
def test_what_the_engine_cannot_enforce_is_refused_by_name(assertions, expected):
    assert expected in names(policy(TRANSPORT, USERNAME, *assertions))


def test_an_assertion_marked_not_optional_is_simply_required():
    required = USERNAME.replace("<sp:UsernameToken/>", '<sp:UsernameToken wsp:Optional="false"/>')
    assert check_policy(policy(TRANSPORT, required)).enforceable


def test_nested_alternatives_are_read_when_there_is_one_and_refused_when_there_are_two():
    one = TRANSPORT.replace("<sp:IncludeTimestamp/>",
                            "<wsp:ExactlyOne><wsp:All><sp:IncludeTimestamp/></wsp:All>"
                            "</wsp:ExactlyOne>")
    assert check_policy(policy(one, USERNAME)).enforceable
    two = TRANSPORT.replace("<sp:IncludeTimestamp/>",
                            "<wsp:ExactlyOne><sp:IncludeTimestamp/><wsp:All/></wsp:ExactlyOne>")
    [item] = check_policy(policy(two, USERNAME)).unenforceable
    assert item.name == "wsp:ExactlyOne" and "2 policy alternatives" in item.reason
    assert "sp:TransportBinding/wsp:Policy/wsp:ExactlyOne" in item.path


def test_a_suite_with_rsa15_is_refused_with_the_reason():
    document = policy(TRANSPORT.replace("Basic256/", "Basic256Rsa15/"), USERNAME)
    [item] = check_policy(document).unenforceable
    assert item.name == "sp:Basic256Rsa15" and "RSA 1.5" in item.reason


def test_a_transport_binding_without_a_username_token_is_refused_at_the_binding():
    [item] = check_policy(policy(TRANSPORT)).unenforceable
    assert item.name == "sp:TransportBinding"
    assert "UsernameToken" in item.reason


def test_a_policy_without_a_binding_is_refused():
    [item] = check_policy(policy("<sp:SignedParts><sp:Body/></sp:SignedParts>")).unenforceable
    assert item.name == "wsp:Policy" and "Binding" in item.reason


def test_mixed_securitypolicy_versions_are_refused():
    mixed = policy(TRANSPORT, f'<s12:Wss11 xmlns:s12="{ns.SP_12}"/>', USERNAME)
    [item] = check_policy(mixed).unenforceable
    assert item.name == "s12:Wss11" and "mixes" in item.reason


def test_hostile_or_foreign_documents_are_refused_before_any_verdict():
    with pytest.raises(XmlInputError):
        check_policy(b'<!DOCTYPE x [<!ENTITY e "e">]><wsp:Policy xmlns:wsp="' + WSP.encode()
                     + b'">&e;</wsp:Policy>')
    with pytest.raises(InvalidRequestError, match="wsp:Policy"):
        check_policy(b"<definitions/>")
