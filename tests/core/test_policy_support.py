"""The engine's verdict on an administrator's own WS-SecurityPolicy (core.wssec.policy_support)."""

from __future__ import annotations

import pytest

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, XmlInputError
from stsdesk.core.scenarios import SCENARIOS, ScenarioCategory, policy_document
from stsdesk.core.wssec.policy import Binding, TokenKind, read_policy
from stsdesk.core.wssec.policy_support import check_policy
from tests.helpers.data import DATA

OWN = DATA / "own-policies"
INSTALL = "Install MIT Kerberos and python-gssapi on this server."
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
    # The catalogue's enforceable scenarios are what the engine enforces, whether they come as
    # a scenario or as an own document, and an own document asks for what the scenario does.
    # Scenario 20 is enforceable where the server accepts Kerberos tickets, refused elsewhere.
    document = policy_document(scenario.id)
    if scenario.category is ScenarioCategory.KERBEROS:
        where_installed = check_policy(document, kerberos_unavailable=None)
        assert where_installed.enforceable, [i.describe() for i in
                                             where_installed.unenforceable]
        assert where_installed.asks_for == scenario.asks_for == ("servicePrincipal",)
        [missing] = check_policy(document, kerberos_unavailable=INSTALL).unenforceable
        assert (missing.name, missing.reason) == ("sp:KerberosToken", INSTALL)
        return
    verdict = check_policy(document)
    assert verdict.enforceable is scenario.enforceable
    assert verdict.asks_for == scenario.asks_for


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


# ------------------------------------------------ sessions (SecureConversation) and tickets

SESSION = (OWN / "secure-conversation-sp12.xml").read_bytes()
SP12 = ns.SP_12


def session_variant(old: str, new: str) -> bytes:
    assert old.encode() in SESSION
    return SESSION.replace(old.encode(), new.encode(), 1)


def test_scenario11_written_in_sp12_with_sha256_reads_as_scenario11():
    verdict = check_policy(SESSION)
    assert verdict.enforceable, [i.describe() for i in verdict.unenforceable]
    own, scenario11 = verdict.model, read_policy(policy_document("scenario11"))
    assert own.namespace == SP12
    assert own.binding is scenario11.binding is Binding.SYMMETRIC
    assert own.protection_token.kind is TokenKind.SECURE_CONVERSATION
    assert own.protection_token.require_derived_keys
    assert (own.signed_parts, own.encrypted_parts) == (
        scenario11.signed_parts, scenario11.encrypted_parts)
    bootstrap, expected = own.protection_token.bootstrap, scenario11.protection_token.bootstrap
    assert bootstrap.binding is expected.binding is Binding.ASYMMETRIC
    assert bootstrap.initiator_token.inclusion == expected.initiator_token.inclusion
    assert bootstrap.algorithm_suite.name == verdict.algorithm_suite == "Basic256Sha256"
    assert verdict.asks_for == ("keystores",)
    assert verdict.policy_id == "PartnerSessionSha256"


def test_a_username_bootstrap_asks_for_roles_as_scenario15_does():
    with_username = session_variant(
        "</sp:AsymmetricBinding>",
        "</sp:AsymmetricBinding><sp:SignedSupportingTokens><wsp:Policy><sp:UsernameToken/>"
        "</wsp:Policy></sp:SignedSupportingTokens>")
    verdict = check_policy(with_username)
    assert verdict.enforceable, [i.describe() for i in verdict.unenforceable]
    assert verdict.asks_for == ("roles", "keystores")


@pytest.mark.parametrize(("old", "new", "expected", "reason", "in_bootstrap"), [
    # The bootstrap is a policy of its own: what it cannot enforce is named where it stands.
    ("<sp:Basic256Sha256/>", "<sp:Basic256Rsa15/>", "sp:Basic256Rsa15", "RSA 1.5", True),
    ("<sp:WssX509V3Token10/>", "<sp:WssX509V3Token10/><sp:RequireDerivedKeys/>",
     "sp:AsymmetricBinding", "derived keys", True),
    ("<sp:IncludeTimestamp/>", "<sp:IncludeTimestamp/><sp:EncryptBeforeSigning/>",
     "sp:EncryptBeforeSigning", "signs before it encrypts", True),
    # The context itself: what the engine does not do with it.
    ("<sp:RequireDerivedKeys/>", "<sp:RequireDerivedKeys/><sp:SC13SecurityContextToken/>",
     "sp:SC13SecurityContextToken", "2005/02", False),
    ("<sp:RequireDerivedKeys/>", "<sp:RequireDerivedKeys/><sp:MustNotSendCancel/>",
     "sp:MustNotSendCancel", "cancel", False),
    ("</sp:EncryptedParts>\n      <sp:Wss11>",
     "</sp:EncryptedParts><sp:SignedSupportingTokens><wsp:Policy><sp:UsernameToken/>"
     "</wsp:Policy></sp:SignedSupportingTokens><sp:Wss11>", "sp:SymmetricBinding",
     "sp:BootstrapPolicy", False),
])
def test_what_a_session_policy_cannot_have_is_named(old, new, expected, reason, in_bootstrap):
    verdict = check_policy(session_variant(old, new))
    assert not verdict.enforceable
    named = [item for item in verdict.unenforceable if item.name == expected]
    assert named, [item.describe() for item in verdict.unenforceable]
    assert reason in named[0].reason
    assert ("sp:BootstrapPolicy/" in named[0].path) is in_bootstrap


def test_a_session_without_its_bootstrap_or_with_a_https_bootstrap_is_refused():
    start, end = SESSION.index(b"<sp:BootstrapPolicy>"), SESSION.index(b"</sp:BootstrapPolicy>")
    without = SESSION[:start] + SESSION[end + len(b"</sp:BootstrapPolicy>"):]
    [item] = check_policy(without).unenforceable
    assert item.name == "sp:SymmetricBinding" and "sp:BootstrapPolicy" in item.reason
    # (the document's sp: prefix is WS-SecurityPolicy 1.2, as the bootstrap's must be)
    over_https = (SESSION[:start] + b"<sp:BootstrapPolicy><wsp:Policy>"
                  + (TRANSPORT + USERNAME).encode() + b"</wsp:Policy>" + SESSION[end:])
    [item] = check_policy(over_https).unenforceable
    assert item.name == "sp:BootstrapPolicy" and "message binding" in item.reason


def test_a_session_or_ticket_outside_a_symmetric_protection_token_is_refused():
    document = policy(TRANSPORT, "<sp:SignedSupportingTokens><wsp:Policy><sp:KerberosToken/>"
                      "</wsp:Policy></sp:SignedSupportingTokens>")
    [item] = check_policy(document, kerberos_unavailable=None).unenforceable
    assert item.name == "sp:KerberosToken" and "protection token" in item.reason


def test_a_kerberos_policy_of_ones_own_is_enforced_where_kerberos_is_installed():
    kerberos = (OWN / "kerberos.xml").read_bytes()
    found = {i.assertion for i in check_policy(kerberos, kerberos_unavailable=None).unenforceable}
    # The ticket is accepted; what else the document asks still is not.
    assert found == {f"{{{SP}}}EndorsingSupportingTokens",
                     "{urn:example:own-assertions}AuditEveryRequest"}
    start = kerberos.index(b"<sp:EndorsingSupportingTokens>")
    end = kerberos.index(b"</sp:EndorsingSupportingTokens>") + len(
        b"</sp:EndorsingSupportingTokens>")
    plain = kerberos[:start] + kerberos[end:]
    plain = plain.replace(b'<ex:AuditEveryRequest xmlns:ex="urn:example:own-assertions"/>', b"")
    verdict = check_policy(plain, kerberos_unavailable=None)
    assert verdict.enforceable, [i.describe() for i in verdict.unenforceable]
    assert verdict.asks_for == ("servicePrincipal",)
    assert verdict.model.protection_token.kind is TokenKind.KERBEROS
    [missing] = check_policy(plain, kerberos_unavailable=INSTALL).unenforceable
    assert missing.name == "sp:KerberosToken" and missing.reason == INSTALL


def test_a_session_inside_a_bootstrap_is_refused_where_it_stands():
    # A bootstrap protected by a context of its own: scenario 11's policy as its bootstrap.
    inner = SESSION[SESSION.index(b"<wsp:ExactlyOne>"):SESSION.rindex(b"</wsp:Policy>")]
    start, end = SESSION.index(b"<sp:BootstrapPolicy>"), SESSION.index(b"</sp:BootstrapPolicy>")
    nested = SESSION[:start] + b"<sp:BootstrapPolicy><wsp:Policy>" + inner + b"</wsp:Policy>" \
        + SESSION[end:]
    [item] = check_policy(nested).unenforceable
    assert item.name == "sp:SecureConversationToken"
    assert "sp:BootstrapPolicy/" in item.path and "bootstrap" in item.reason


def test_derived_keys_from_a_kerberos_ticket_are_named():
    document = (OWN / "kerberos-sp12.xml").read_bytes().replace(
        b"<sp:WssGssKerberosV5ApReqToken11/>",
        b"<sp:WssGssKerberosV5ApReqToken11/><sp:RequireDerivedKeys/>")
    [item] = check_policy(document, kerberos_unavailable=None).unenforceable
    assert item.name == "sp:RequireDerivedKeys" and "security context" in item.reason
    assert item.path.endswith("sp:KerberosToken/wsp:Policy/sp:RequireDerivedKeys")


def test_an_issued_tokens_issuer_is_named_as_not_enforced():
    # sp:Issuer tells clients where to get a token; the STS trusts itself and every trusted SAML
    # issuer whatever it names, and the verdict says so instead of implying otherwise.
    verdict = check_policy(policy_document("scenario31"))
    assert verdict.enforceable
    assert any("sp:Issuer is published for clients" in note and "not enforced" in note
               for note in verdict.notes)
    assert not any("sp:Issuer" in note for note in check_policy(
        policy_document("scenario5")).notes)
