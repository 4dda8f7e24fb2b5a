"""The security scenario catalogue and its WS-SecurityPolicy documents."""

from __future__ import annotations

from functools import cache

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.scenarios import (
    SCENARIOS,
    SCENARIOS_ENFORCED,
    ScenarioCategory,
    ScenarioGroup,
    find_scenario,
    get_scenario,
    policy_document,
)
from stsdesk.core.xmlparse import parse_xml
from tests.helpers.data import SCHEMAS

WSP = ns.WSP_2004
SP = ns.SP_12
NSMAP = {"wsp": WSP, "sp": SP, "wsu": ns.WSU, "wst": ns.WST_13}
WSO2_ORDER = [
    "scenario1", "scenario2", "scenario3", "scenario4", "scenario5", "scenario6", "scenario7",
    "scenario8", "scenario9", "scenario10", "scenario11", "scenario12", "scenario13",
    "scenario14", "scenario15", "scenario20", "scenario31", "scenario32", "scenario33",
    "scenario34",
]


@cache
def policy_schema() -> etree.XMLSchema:
    """WS-Policy 2004/09 + WS-SecurityPolicy 1.2 + WS-Trust 1.3, so lax content is checked too."""
    imports = "".join(
        f'<xs:import namespace="{namespace}" schemaLocation="{(SCHEMAS / name).as_uri()}"/>'
        for namespace, name in (
            (WSP, "ws-policy-200409.xsd"),
            (SP, "ws-securitypolicy-1.2.xsd"),
            (ns.WST_13, "ws-trust-200512.xsd"),
        )
    )
    wrapper = (
        f'<xs:schema xmlns:xs="{ns.XS}" targetNamespace="urn:stsdesk:test:policies">'
        f"{imports}</xs:schema>"
    )
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


def policy(scenario_id: str) -> etree._Element:
    return parse_xml(policy_document(scenario_id))


def has(root: etree._Element, path: str) -> bool:
    return bool(root.xpath(path, namespaces=NSMAP))


# ------------------------------------------------------------------------------- catalogue


def test_catalogue_lists_wso2s_twenty_scenarios_in_order():
    assert [s.id for s in SCENARIOS] == WSO2_ORDER
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


def test_scenarios_1_to_8_and_31_to_34_are_enforceable_and_the_sts_uses_the_same_list():
    from stsdesk.server.sts import authenticate

    expected = [f"scenario{n}" for n in (*range(1, 9), 31, 32, 33, 34)]
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


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_policy_parses_carries_its_wsu_id_and_is_schema_valid(scenario):
    root = policy(scenario.id)
    assert root.tag == f"{{{WSP}}}Policy"
    assert root.get(f"{{{ns.WSU}}}Id") == scenario.wsu_id
    schema = policy_schema()
    assert schema.validate(etree.ElementTree(root)), schema.error_log
    # Written for this project in WS-SecurityPolicy 1.2, not WSO2's 2005/07 documents.
    assert ns.SP_2005.encode() not in policy_document(scenario.id)
    assert has(root, "/wsp:Policy/wsp:ExactlyOne/wsp:All/sp:*")


def test_schema_check_catches_a_broken_policy():
    root = policy("scenario2")
    signed = root.xpath("//sp:SignedParts", namespaces=NSMAP)[0]
    etree.SubElement(signed, f"{{{SP}}}NotAnAssertion")
    assert not policy_schema().validate(etree.ElementTree(root))


def test_scenario1_is_username_token_over_https_with_a_timestamp():
    root = policy("scenario1")
    binding = "//sp:TransportBinding/wsp:Policy"
    assert has(root, f"{binding}/sp:TransportToken/wsp:Policy/sp:HttpsToken")
    assert has(root, f"{binding}/sp:IncludeTimestamp")
    assert has(root, "//sp:SignedSupportingTokens/wsp:Policy/sp:UsernameToken"
                     "[@sp:IncludeToken='http://docs.oasis-open.org/ws-sx/ws-securitypolicy/"
                     "200702/IncludeToken/AlwaysToRecipient']")
    assert not has(root, "//sp:AsymmetricBinding | //sp:SymmetricBinding")


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
    ("scenario_id", "token_type", "key_type", "where"),
    [
        ("scenario31", ns.TOKEN_SAML20, "SymmetricKey", "sp:InitiatorToken"),
        ("scenario32", ns.TOKEN_SAML11, "SymmetricKey", "sp:InitiatorToken"),
        ("scenario33", ns.TOKEN_SAML20, "Bearer", "sp:SignedSupportingTokens"),
        ("scenario34", ns.TOKEN_SAML11, "Bearer", "sp:SignedSupportingTokens"),
    ],
)
def test_saml_scenarios_ask_for_the_right_issued_token(scenario_id, token_type, key_type, where):
    root = policy(scenario_id)
    template = root.xpath(f"//{where}//sp:IssuedToken/sp:RequestSecurityTokenTemplate",
                          namespaces=NSMAP)
    assert len(template) == 1
    assert template[0].findtext(f"{{{ns.WST_13}}}TokenType") == token_type
    assert template[0].findtext(f"{{{ns.WST_13}}}KeyType") == f"{ns.WST_13}/{key_type}"
