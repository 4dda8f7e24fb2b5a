"""The security scenario catalogue and its WS-SecurityPolicy documents, compared with WSO2's."""

from __future__ import annotations

import re
from functools import cache

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.scenarios import (
    SCENARIOS,
    SCENARIOS_ENFORCED,
    WSO2_ISSUER_ADDRESS,
    ScenarioCategory,
    ScenarioGroup,
    applied_policy,
    applied_policy_document,
    find_scenario,
    get_scenario,
    policy_document,
)
from stsdesk.core.xmlparse import parse_xml
from tests.helpers.data import DATA
from tests.helpers.wsdl import policy_schemas

WSP = ns.WSP_2004
SP = ns.SP_2005
NSMAP = {"wsp": WSP, "sp": SP, "wsu": ns.WSU, "t": ns.WST_2005, "wsa": ns.WSA_2005}
# WSO2's own files (verbatim copies with their licence header; see the folder's README).
WSO2 = DATA / "wso2-scenarios"
WSO2_CONFIG_NS = "http://www.wso2.org/products/carbon/security"
WSO2_ORDER = [
    "scenario1", "scenario2", "scenario3", "scenario4", "scenario5", "scenario6", "scenario7",
    "scenario8", "scenario9", "scenario10", "scenario11", "scenario12", "scenario13",
    "scenario14", "scenario15", "scenario20", "scenario31", "scenario32", "scenario33",
    "scenario34",
]


def policy(scenario_id: str) -> etree._Element:
    return parse_xml(policy_document(scenario_id))


def wso2_policy(scenario_id: str) -> etree._Element:
    return etree.parse(str(WSO2 / f"{scenario_id}-policy.xml")).getroot()


def has(root: etree._Element, path: str) -> bool:
    return bool(root.xpath(path, namespaces=NSMAP))


def tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@cache
def wso2_scenarios() -> dict[str, etree._Element]:
    root = etree.parse(str(WSO2 / "scenario-config.xml")).getroot()
    return {e.get("id"): e for e in root.iterfind(f"{{{WSO2_CONFIG_NS}}}Scenario")}


def wso2_field(scenario_id: str, name: str) -> str:
    return tidy(wso2_scenarios()[scenario_id].findtext(f"{{{WSO2_CONFIG_NS}}}{name}"))


# ------------------------------------------------------------------------------- catalogue


def test_catalogue_lists_wso2s_twenty_scenarios_in_order():
    assert [s.id for s in SCENARIOS] == WSO2_ORDER
    # WSO2's list, less "policyFromRegistry" (a policy the administrator stores in WSO2's
    # registry: there is no registry here).
    assert [i for i in wso2_scenarios() if i != "policyFromRegistry"] == WSO2_ORDER
    assert [s.number for s in SCENARIOS] == list(range(1, 21))
    assert len({s.wsu_id for s in SCENARIOS}) == 20


def test_first_four_are_basic_the_rest_advanced():
    assert [s.group for s in SCENARIOS[:4]] == [ScenarioGroup.BASIC] * 4
    assert all(s.group is ScenarioGroup.ADVANCED for s in SCENARIOS[4:])


@pytest.mark.parametrize(
    ("scenario_id", "summary", "wsu_id", "category"),
    [
        ("scenario1", "UsernameToken", "UTOverTransport", ScenarioCategory.UT),
        ("scenario2", "Non-repudiation", "SigOnly", ScenarioCategory.KEYSTORE),
        ("scenario8", "Sign and Encrypt - Username Token Authentication", "SgnEncrUsername",
         ScenarioCategory.UT_KEYSTORE),
        ("scenario9", "SecureConversation - Sign only - Service as STS - Bootstrap policy - "
         "Sign and Encrypt , X509 Authentication", "SecConSignOnly", ScenarioCategory.KEYSTORE),
        ("scenario20", "Kerberos Authentication - Sign - Sign based on a Kerberos Token.",
         "kerberossignandencrypt", ScenarioCategory.KERBEROS),
        ("scenario34", "Sign and Encrypt - X509 Authentication - SAML 1.1 Token Required as "
         "Supporting.", "SigEncrSAML11Supporting34", ScenarioCategory.KEYSTORE),
    ],
)
def test_summaries_ids_and_categories_are_wso2s(scenario_id, summary, wsu_id, category):
    scenario = get_scenario(scenario_id)
    assert scenario.summary == summary
    assert scenario.wsu_id == wsu_id
    assert scenario.category is category


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_each_scenario_is_wso2s_entry_in_scenario_config(scenario):
    assert scenario.summary == wso2_field(scenario.id, "Summary")
    assert scenario.description == wso2_field(scenario.id, "Description")
    assert scenario.category.value == wso2_field(scenario.id, "Category")
    assert scenario.wsu_id == wso2_field(scenario.id, "WsuId")
    assert scenario.group.value == wso2_field(scenario.id, "Type")
    assert policy(scenario.id).get(f"{{{ns.WSU}}}Id") == scenario.wsu_id


def test_texts_are_tidy():
    for scenario in SCENARIOS:
        for text in (scenario.summary, scenario.description):
            assert text == text.strip() and "  " not in text and "\n" not in text


def test_what_step_two_asks_for_follows_the_category():
    asks = {s.id: s.asks_for for s in SCENARIOS}
    assert asks["scenario1"] == ("roles",)
    assert asks["scenario2"] == ("keystores",)
    assert asks["scenario7"] == ("roles", "keystores")
    assert asks["scenario20"] == ("servicePrincipal",)
    for scenario in SCENARIOS:
        assert scenario.asks_for_roles == ("ut" in scenario.category.value.split("-"))
        assert scenario.asks_for_keystores == ("keystore" in scenario.category.value)


def test_scenarios_1_to_15_and_31_to_34_are_enforceable_and_the_sts_uses_the_same_list():
    from stsdesk.server.sts import authenticate

    expected = [f"scenario{n}" for n in (*range(1, 16), 31, 32, 33, 34)]
    assert [s.id for s in SCENARIOS if s.enforceable] == expected
    assert SCENARIOS_ENFORCED == set(expected)
    assert authenticate.SCENARIOS_ENFORCED is SCENARIOS_ENFORCED


def test_unknown_scenario_is_refused_with_the_known_ids():
    assert find_scenario("scenario99") is None
    with pytest.raises(InvalidRequestError, match="scenario1, scenario2"):
        get_scenario("scenario99")


@pytest.mark.parametrize("bad", ["../policies/scenario1", "scenario1-policy.xml", "", "SCENARIO1"])
def test_policy_document_reads_catalogue_ids_only(bad):
    with pytest.raises(InvalidRequestError):
        policy_document(bad)


# ------------------------------------------------------------------------------- policies


def _assertions(element: etree._Element) -> tuple:
    """An element as a comparable tree: qualified name, attributes, trimmed text, children.

    Namespace prefixes and declarations, comments, indentation and the text's surrounding
    whitespace are presentation; everything else is compared.
    """
    children = tuple(_assertions(c) for c in element if isinstance(c.tag, str))
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(),
            children)


def _wso2_as_intended(scenario_id: str) -> etree._Element:
    """WSO2's policy with its one slip corrected: scenario20 nests Wss11's assertions in
    ``sp:Policy``, which no WS-Policy processor reads as a nested policy; ours says
    ``wsp:Policy`` (the README of the policies says so)."""
    root = wso2_policy(scenario_id)
    for nested in root.iterfind(".//sp:Wss11/sp:Policy", namespaces=NSMAP):
        nested.tag = f"{{{WSP}}}Policy"
    return root


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_each_policy_carries_wso2s_assertions_one_for_one(scenario):
    ours = _assertions(policy(scenario.id))
    theirs = _assertions(_wso2_as_intended(scenario.id))
    assert ours == theirs


def test_the_comparison_sees_a_missing_or_moved_assertion():
    root = policy("scenario5")
    (confirmation,) = root.xpath("//sp:RequireSignatureConfirmation", namespaces=NSMAP)
    confirmation.getparent().remove(confirmation)
    assert _assertions(root) != _assertions(wso2_policy("scenario5"))
    root = policy("scenario8")
    (wss11,) = root.xpath("//sp:Wss11", namespaces=NSMAP)
    parent = wss11.getparent()
    parent.remove(wss11)
    parent.insert(0, wss11)
    assert _assertions(root) != _assertions(wso2_policy("scenario8"))


def _schema_view(root: etree._Element) -> etree._Element:
    # WSO2's issued-token scenarios write sp:Issuer's address in WS-Addressing 1.0 where the
    # 2005/07 schema has 2004/08 endpoint references; the files keep WSO2's form (the MEX
    # document's 2005 binding moves it), so the schema check looks past that one element.
    for address in root.iterfind(".//sp:Issuer/wsa:Address", namespaces=NSMAP):
        address.tag = f"{{{ns.WSA_2004}}}Address"
    return root


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_policy_is_a_valid_securitypolicy_2005_document_with_its_wsu_id(scenario):
    root = policy(scenario.id)
    assert root.tag == f"{{{WSP}}}Policy"
    assert root.get(f"{{{ns.WSU}}}Id") == scenario.wsu_id
    schema = policy_schemas()
    assert schema.validate(etree.ElementTree(_schema_view(root))), schema.error_log
    # WSO2's namespace, not WS-SecurityPolicy 1.2.
    assert ns.SP_12.encode() not in policy_document(scenario.id)
    assert has(root, "/wsp:Policy/wsp:ExactlyOne/wsp:All/sp:*")


def test_schema_check_catches_a_broken_policy():
    root = policy("scenario2")
    signed = root.xpath("//sp:SignedParts", namespaces=NSMAP)[0]
    etree.SubElement(signed, f"{{{SP}}}NotAnAssertion")
    assert not policy_schemas().validate(etree.ElementTree(root))


def test_scenario1_is_username_token_over_https_with_a_timestamp():
    root = policy("scenario1")
    binding = "//sp:TransportBinding/wsp:Policy"
    assert has(root, f"{binding}/sp:TransportToken/wsp:Policy/"
                     "sp:HttpsToken[@RequireClientCertificate='false']")
    assert has(root, f"{binding}/sp:IncludeTimestamp")
    assert has(root, f"{binding}/sp:AlgorithmSuite/wsp:Policy/sp:Basic256")
    assert has(root, "//sp:SignedSupportingTokens/wsp:Policy/sp:UsernameToken"
                     f"[@sp:IncludeToken='{ns.SP_2005_INCLUDE_TOKEN}AlwaysToRecipient']")
    assert not has(root, "//sp:AsymmetricBinding | //sp:SymmetricBinding")


@pytest.mark.parametrize(
    ("scenario_id", "binding", "confirmation", "wss10"),
    [
        ("scenario2", "AsymmetricBinding", False, True),
        ("scenario3", "SymmetricBinding", True, False),
        ("scenario4", "SymmetricBinding", True, False),
        ("scenario5", "AsymmetricBinding", True, True),
        ("scenario6", "SymmetricBinding", True, False),
        ("scenario7", "SymmetricBinding", True, False),
        ("scenario8", "SymmetricBinding", True, False),
        ("scenario31", "AsymmetricBinding", True, True),
        ("scenario32", "AsymmetricBinding", True, True),
        ("scenario33", "AsymmetricBinding", True, True),
        ("scenario34", "AsymmetricBinding", True, True),
    ],
)
def test_the_enforced_scenarios_bindings_as_the_engine_reads_them(scenario_id, binding,
                                                                   confirmation, wss10):
    root = policy(scenario_id)
    top = "/wsp:Policy/wsp:ExactlyOne/wsp:All"
    assert has(root, f"{top}/sp:{binding}")
    assert has(root, f"{top}/sp:Wss11/wsp:Policy/sp:RequireSignatureConfirmation") is confirmation
    assert has(root, f"{top}/sp:Wss10") is wss10
    layout = "Strict" if binding == "AsymmetricBinding" else "Lax"
    assert has(root, f"{top}/sp:{binding}/wsp:Policy/sp:Layout/wsp:Policy/sp:{layout}")
    assert has(root, f"{top}/sp:{binding}/wsp:Policy/sp:IncludeTimestamp")
    assert has(root, f"{top}/sp:{binding}/wsp:Policy/sp:OnlySignEntireHeadersAndBody")
    # Thumbprint references to the service's certificate, which is never sent.
    service = ("sp:RecipientToken" if binding == "AsymmetricBinding" else "sp:ProtectionToken")
    assert has(root, f"{top}/sp:{binding}/wsp:Policy/{service}/wsp:Policy/sp:X509Token"
                     f"[@sp:IncludeToken='{ns.SP_2005_INCLUDE_TOKEN}Never']"
                     "/wsp:Policy/sp:RequireThumbprintReference")
    # No EncryptSignature, EncryptBeforeSigning or derived keys in any of WSO2's files.
    assert not has(root, "//sp:EncryptSignature | //sp:EncryptBeforeSigning | "
                         "//sp:RequireDerivedKeys")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_policy_says_what_the_scenario_means(scenario):
    root = policy(scenario.id)
    # A SecureConversation summary ends with its bootstrap's protection; the part before it
    # says how application messages are protected.
    headline = scenario.summary.split(" - Service as STS")[0]
    text = headline + " " + scenario.description
    if scenario.asks_for_roles:
        assert has(root, "//sp:UsernameToken")
    else:
        assert not has(root, "//sp:UsernameToken")
    if "Confidentiality" in text or "Encrypt" in headline:
        assert has(root, "/wsp:Policy/wsp:ExactlyOne/wsp:All/sp:EncryptedParts/sp:Body")
    if "Integrity" in text or "Sign" in headline:
        assert has(root, "/wsp:Policy/wsp:ExactlyOne/wsp:All/sp:SignedParts/sp:Body")
    if "Clients have X509 certificates" in scenario.description or scenario.id in (
        "scenario33", "scenario34"
    ):
        assert has(root, "//sp:InitiatorToken//sp:X509Token")
    if scenario.summary.startswith("SecureConversation"):
        assert has(root, "//sp:ProtectionToken//sp:SecureConversationToken/wsp:Policy"
                         "/sp:BootstrapPolicy/wsp:Policy")
    if scenario.category is ScenarioCategory.KERBEROS:
        assert has(root, "//sp:ProtectionToken//sp:KerberosToken")
    if scenario.id != "scenario1":
        assert has(root, "//sp:AsymmetricBinding | //sp:SymmetricBinding")


@pytest.mark.parametrize(
    ("scenario_id", "token_type", "where"),
    [
        # Despite "Symmetric Key" in their summaries, WSO2's 31 and 32 use an asymmetric
        # binding whose initiator token is the SAML assertion (its proof key is symmetric).
        ("scenario31", ns.TOKEN_SAML20_URN, "sp:AsymmetricBinding/wsp:Policy/sp:InitiatorToken"),
        ("scenario32", ns.TOKEN_SAML11, "sp:AsymmetricBinding/wsp:Policy/sp:InitiatorToken"),
        ("scenario33", ns.TOKEN_SAML20_URN, "sp:SupportingTokens"),
        ("scenario34", ns.TOKEN_SAML11, "sp:SupportingTokens"),
    ],
)
def test_saml_scenarios_ask_for_wso2s_issued_token(scenario_id, token_type, where):
    root = policy(scenario_id)
    (token,) = root.xpath(f"/wsp:Policy/wsp:ExactlyOne/wsp:All/{where}/wsp:Policy/sp:IssuedToken",
                          namespaces=NSMAP)
    assert token.get(f"{{{SP}}}IncludeToken") == f"{ns.SP_2005_INCLUDE_TOKEN}AlwaysToRecipient"
    assert token.xpath("string(sp:Issuer/wsa:Address)", namespaces=NSMAP) == WSO2_ISSUER_ADDRESS
    (template,) = token.xpath("sp:RequestSecurityTokenTemplate", namespaces=NSMAP)
    assert [(etree.QName(e).localname, e.text) for e in template] == [
        ("TokenType", token_type), ("KeyType", f"{ns.WST_2005}/SymmetricKey"),
        ("KeySize", "256")]
    assert all(etree.QName(e).namespace == ns.WST_2005 for e in template)
    assert has(token, "wsp:Policy/sp:RequireInternalReference")


# ------------------------------------------------------------------------------- applied policy


def _suites(root: etree._Element) -> list[str]:
    return [etree.QName(e).localname
            for e in root.xpath("//sp:AlgorithmSuite/wsp:Policy/*", namespaces=NSMAP)]


def test_the_default_applied_policy_is_the_shipped_document():
    for scenario in SCENARIOS:
        assert applied_policy_document(scenario.id) == policy_document(scenario.id)
        assert set(_suites(applied_policy(scenario.id))) == {"Basic256"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_the_chosen_suite_replaces_every_algorithm_suite_and_nothing_else(scenario):
    chosen = applied_policy(scenario.id, AlgorithmSuite.BASIC256_SHA256)
    original = policy(scenario.id)
    assert _suites(chosen) == ["Basic256Sha256"] * len(_suites(original))
    for suite in original.xpath("//sp:AlgorithmSuite/wsp:Policy/*", namespaces=NSMAP):
        suite.tag = f"{{{SP}}}Basic256Sha256"
    assert _assertions(chosen) == _assertions(original)
    document = parse_xml(applied_policy_document(scenario.id, AlgorithmSuite.BASIC256_SHA256))
    assert _assertions(document) == _assertions(chosen)
    assert policy_schemas().validate(etree.ElementTree(_schema_view(document)))


def test_a_bootstrap_policy_gets_the_chosen_suite_too():
    chosen = applied_policy("scenario9", AlgorithmSuite.BASIC256_SHA256)
    assert has(chosen, "//sp:BootstrapPolicy//sp:AlgorithmSuite/wsp:Policy/sp:Basic256Sha256")
    assert _suites(chosen) == ["Basic256Sha256", "Basic256Sha256"]


def test_the_issuer_address_can_name_this_sts():
    address = "https://sts.example.org:8443/services/wso2carbon-sts"
    for scenario_id in ("scenario31", "scenario32", "scenario33", "scenario34"):
        root = applied_policy(scenario_id, issuer_address=address)
        assert root.xpath("//sp:IssuedToken/sp:Issuer/wsa:Address/text()",
                          namespaces=NSMAP) == [address]
    # Scenarios without issued tokens are the same with or without it.
    assert applied_policy_document("scenario2", issuer_address=address) != b""
    assert _assertions(applied_policy("scenario2", issuer_address=address)) == _assertions(
        policy("scenario2"))
