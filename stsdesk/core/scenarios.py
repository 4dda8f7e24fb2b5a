"""WSO2's "Apply Security Policy" scenario catalogue and each scenario's WS-SecurityPolicy.

Each scenario's policy (``resources/policies/scenarioN-policy.xml``) carries the assertions of
WSO2's file of the same name, in the same WS-SecurityPolicy 2005/07 namespace, so that a client
configured from WSO2's policy works here unchanged. The applied policy is that document with the
algorithm suite the administrator chose (``applied_policy``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE, AlgorithmSuite
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.xmlparse import parse_xml

__all__ = ["EVERYONE_ROLE", "EVERYONE_ROLES",
    "ScenarioGroup", "ScenarioCategory", "Scenario", "SCENARIOS", "SCENARIOS_ENFORCED",
    "find_scenario", "get_scenario", "policy_document", "applied_policy",
    "applied_policy_document", "WSO2_ISSUER_ADDRESS",
]

# WSO2's role that every user has, and its aliases (lower-case): a security policy allowing one
# of them would let anyone obtain tokens, so neither the API nor the console offers them.
EVERYONE_ROLE = "Internal/everyone"
EVERYONE_ROLES = frozenset({"internal/everyone", "internal/anonymous", "everyone", "anonymous"})


class ScenarioGroup(StrEnum):
    """Which table of the console's "Apply Security Policy" page lists the scenario."""

    BASIC = "basic"
    ADVANCED = "advanced"


class ScenarioCategory(StrEnum):
    """What step two of applying the scenario asks for (WSO2's category names)."""

    UT = "ut"  # user roles
    KEYSTORE = "keystore"  # trusted keystores and the private keystore
    UT_KEYSTORE = "ut-keystore"  # both
    KERBEROS = "kerberos"  # a service principal and its password


@dataclass(frozen=True)
class Scenario:
    """One security scenario: WSO2's id, display number, texts and policy ``wsu:Id``."""

    id: str
    number: int
    summary: str
    description: str
    group: ScenarioGroup
    category: ScenarioCategory
    wsu_id: str
    asks_for_roles: bool
    asks_for_keystores: bool
    enforceable: bool

    @property
    def title(self) -> str:
        """How the console names it: its display number and summary (``1. UsernameToken``);
        the id (``scenario33``) is WSO2's, not what the console shows."""
        return f"{self.number}. {self.summary}"

    @property
    def asks_for(self) -> tuple[str, ...]:
        """What step two asks for: ``roles``, ``keystores``, both, or ``servicePrincipal``."""
        if self.category is ScenarioCategory.KERBEROS:
            return ("servicePrincipal",)
        wanted = []
        if self.asks_for_roles:
            wanted.append("roles")
        if self.asks_for_keystores:
            wanted.append("keystores")
        return tuple(wanted)


# The security scenarios this STS can enforce today: the others are listed, and refused when
# applied, until the STS checks what their policies require.
SCENARIOS_ENFORCED = frozenset({
    "scenario1", "scenario2", "scenario3", "scenario4", "scenario5", "scenario6", "scenario7",
    "scenario8", "scenario31", "scenario32", "scenario33", "scenario34",
    # SecureConversation: contexts under the bootstrap policy, requests under the context.
    "scenario9", "scenario10", "scenario11", "scenario12", "scenario13", "scenario14",
    "scenario15",
})


def _scenario(
    number: int, scenario_id: str, summary: str, description: str, group: ScenarioGroup,
    category: ScenarioCategory, wsu_id: str,
) -> Scenario:
    return Scenario(
        id=scenario_id,
        number=number,
        summary=summary,
        description=description,
        group=group,
        category=category,
        wsu_id=wsu_id,
        asks_for_roles=category in (ScenarioCategory.UT, ScenarioCategory.UT_KEYSTORE),
        asks_for_keystores=category in (ScenarioCategory.KEYSTORE, ScenarioCategory.UT_KEYSTORE),
        enforceable=scenario_id in SCENARIOS_ENFORCED,
    )


_B, _A = ScenarioGroup.BASIC, ScenarioGroup.ADVANCED
_UT, _KS, _UTKS, _KRB = (
    ScenarioCategory.UT, ScenarioCategory.KEYSTORE, ScenarioCategory.UT_KEYSTORE,
    ScenarioCategory.KERBEROS,
)
_SC = "SecureConversation - {mode} - Service as STS - Bootstrap policy - Sign and Encrypt , {auth}"

# In WSO2's order, with the texts its console shows (whitespace tidied); numbers are the
# console's sequential display numbers, not the ids.
SCENARIOS: tuple[Scenario, ...] = (
    _scenario(1, "scenario1", "UsernameToken",
              "Provides Authentication. Clients have Username Tokens", _B, _UT, "UTOverTransport"),
    _scenario(2, "scenario2", "Non-repudiation",
              "Provides Authentication and Integrity. Clients have X509 certificates",
              _B, _KS, "SigOnly"),
    _scenario(3, "scenario3", "Integrity",
              "Provides Integrity. Clients do not have X509 certificates",
              _B, _KS, "SgnOnlyAnonymous"),
    _scenario(4, "scenario4", "Confidentiality",
              "Provides Confidentiality. Clients do not have X509 certificates",
              _B, _KS, "EncrOnlyAnonymous"),
    _scenario(5, "scenario5", "Sign and Encrypt - X509 Authentication",
              "Provides Authentication, Integrity and Confidentiality. Clients have X509 "
              "certificates", _A, _KS, "SigEncr"),
    _scenario(6, "scenario6", "Sign and Encrypt - Anonymous clients",
              "Provides Integrity and Confidentiality.", _A, _KS, "SgnEncrAnonymous"),
    _scenario(7, "scenario7", "Encrypt only - Username Token Authentication",
              "Provides Authentication and Confidentiality. Clients have Username Tokens",
              _A, _UTKS, "EncrOnlyUsername"),
    _scenario(8, "scenario8", "Sign and Encrypt - Username Token Authentication",
              "Provides Authentication, Integrity and Confidentiality. Clients have Username "
              "Tokens", _A, _UTKS, "SgnEncrUsername"),
    _scenario(9, "scenario9", _SC.format(mode="Sign only", auth="X509 Authentication"),
              "Provides Authentication and Integrity. Multiple message exchange.Clients have "
              "X509 certificates.", _A, _KS, "SecConSignOnly"),
    _scenario(10, "scenario10", _SC.format(mode="Encrypt only", auth="X509 Authentication"),
              "Provides Confidentiality. Multiple message exchange.Clients have X509 "
              "certificates.", _A, _KS, "SecConEncrOnly"),
    _scenario(11, "scenario11", _SC.format(mode="Sign and Encrypt", auth="X509 Authentication"),
              "Provides Authentication, Integrity and Confidentiality. Multiple message "
              "exchange.Clients have X509 certificates.", _A, _KS, "SecConSgnEncr"),
    _scenario(12, "scenario12", _SC.format(mode="Sign Only", auth="Anonymous clients"),
              "Provides Integrity. Multiple message exchange.", _A, _KS, "SecConSignOnlyAnonymous"),
    _scenario(13, "scenario13", _SC.format(mode="Sign and Encrypt", auth="Anonymous clients"),
              "Provides Integrity and Confidentiality. Multiple message exchange.",
              _A, _KS, "SecConEncrOnlyAnonymous"),
    _scenario(14, "scenario14",
              _SC.format(mode="Encrypt Only", auth="Username Token Authentication"),
              "Provides Authentication and Confidentiality. Multiple message exchange. Clients "
              "have Username Tokens.", _A, _UTKS, "SecConEncrUsername"),
    _scenario(15, "scenario15",
              _SC.format(mode="Sign and Encrypt", auth="Username Token Authentication"),
              "Provides Authentication Integrity and Confidentiality. Multiple message exchange. "
              "Clients have Username Tokens.", _A, _UTKS, "SecConSgnEncrUsername"),
    _scenario(16, "scenario20", "Kerberos Authentication - Sign - Sign based on a Kerberos Token.",
              "Provides Authentication, Integrity. Multiple message exchange. Clients has to "
              "obtain a Kerberos token from a KDC.", _A, _KRB, "kerberossignandencrypt"),
    _scenario(17, "scenario31",
              "Client authenticates with SAML 2.0 protection token. Symmetric Key. X509 "
              "Certificate by the Service.",
              "Client authenticates with SAML 2.0 protection token. Symmetric Key. X509 "
              "Certificate by the Service.", _A, _KS, "SAML2HoKProtection31"),
    _scenario(18, "scenario32",
              "Client authenticates with SAML 1.1 protection token. Symmetric Key. X509 "
              "Certificate by the Service.",
              "Client authenticates with SAML 1.1 protection token. Symmetric Key. X509 "
              "Certificate by the Service.", _A, _KS, "SAML11HoKProtection32"),
    _scenario(19, "scenario33",
              "Sign and Encrypt - X509 Authentication - SAML 2.0 Token Required as Supporting.",
              "Sign and Encrypt - X509 Authentication - SAML 2.0 Token Required as Supporting",
              _A, _KS, "SigEncrSAML20Supporting33"),
    _scenario(20, "scenario34",
              "Sign and Encrypt - X509 Authentication - SAML 1.1 Token Required as Supporting.",
              "Sign and Encrypt - X509 Authentication - SAML 1.1 Token Required as Supporting",
              _A, _KS, "SigEncrSAML11Supporting34"),
)

_BY_ID = {scenario.id: scenario for scenario in SCENARIOS}


def find_scenario(scenario_id: str) -> Scenario | None:
    """The scenario with this id (``scenario1``...), or None."""
    return _BY_ID.get(scenario_id)


def get_scenario(scenario_id: str) -> Scenario:
    """The scenario with this id; InvalidRequestError naming the known ids otherwise."""
    scenario = _BY_ID.get(scenario_id)
    if scenario is None:
        raise InvalidRequestError(
            f"There is no security scenario {scenario_id!r}. Choose one of "
            f"{', '.join(_BY_ID)}."
        )
    return scenario


@cache
def policy_document(scenario_id: str) -> bytes:
    """The scenario's WS-SecurityPolicy document (a ``wsp:Policy`` with its ``wsu:Id``)."""
    scenario = get_scenario(scenario_id)  # only catalogue ids reach the file system
    path = resources.files("stsdesk.resources") / "policies" / f"{scenario.id}-policy.xml"
    return path.read_bytes()


# The issuer address WSO2's SAML-token scenarios (31 to 34) name: its own default endpoint.
WSO2_ISSUER_ADDRESS = "https://localhost:9443/services/wso2carbon-sts"
_SP = f"{{{ns.SP_2005}}}"
_POLICY = f"{{{ns.WSP_2004}}}Policy"
# WS-SecurityPolicy's suite names; an AlgorithmSuite's other assertions (InclusiveC14N, ...) stay.
_SUITE_NAME = re.compile(r"(Basic(128|192|256)|TripleDes)(Sha256)?(Rsa15)?")


def applied_policy(
    scenario_id: str, algorithm_suite: AlgorithmSuite = DEFAULT_ALGORITHM_SUITE, *,
    issuer_address: str | None = None,
) -> etree._Element:
    """A fresh copy of the scenario's policy as applied: every ``sp:AlgorithmSuite`` (also in
    a secure conversation's bootstrap policy) names ``algorithm_suite``; with
    ``issuer_address`` the issued-token assertions name that STS instead of WSO2's default
    ``https://localhost:9443`` one, which a client would otherwise go to for its token.
    """
    policy = parse_xml(policy_document(scenario_id))
    for suite in policy.iter(f"{_SP}AlgorithmSuite"):
        for choice in suite.iterfind(f"{_POLICY}/*"):
            if choice.tag.startswith(_SP) and _SUITE_NAME.fullmatch(etree.QName(choice).localname):
                choice.tag = f"{_SP}{algorithm_suite.value}"
    if issuer_address is not None:
        for address in policy.iterfind(f".//{_SP}IssuedToken/{_SP}Issuer/{{{ns.WSA_2005}}}Address"):
            address.text = issuer_address
    return policy


def applied_policy_document(
    scenario_id: str, algorithm_suite: AlgorithmSuite = DEFAULT_ALGORITHM_SUITE, *,
    issuer_address: str | None = None,
) -> bytes:
    """``applied_policy`` as an XML document."""
    if algorithm_suite is DEFAULT_ALGORITHM_SUITE and issuer_address is None:
        return policy_document(scenario_id)  # byte for byte the shipped file
    policy = applied_policy(scenario_id, algorithm_suite, issuer_address=issuer_address)
    return etree.tostring(policy, xml_declaration=True, encoding="UTF-8")
