"""What a WSO2 Identity Server is and offers: its version, its REST APIs, the WS-Trust connector.

Detection (FACTS.md §7): ``ServerAdmin.getServerVersion`` names the version; ``GET /configs``
answers 404 on 5.10 (its REST API predates it); the WS-Trust connector (5.11+) is there when
``GET /applications/meta/inbound-protocols/ws-trust`` answers 200 rather than 404 APP-60504.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from stsdesk.core import ns
from stsdesk.services.admin.api import Capabilities, Capability

__all__ = [
    "CONNECTOR_MISSING",
    "ServerTraits",
    "version_tuple",
    "capabilities_of",
]

CONNECTOR_MISSING = (
    "the WS-Trust connector is not installed on this server: install it from the WSO2 connector "
    "store, run setup_sts.sh, restart"
)

# What WSO2 Identity Server has no API for, on any version.
_NEVER: Mapping[Capability, str] = {
    Capability.STS_SETTINGS: (
        "WSO2 Identity Server sets token lifetimes and the sign-in lockout in deployment.toml "
        "and its identity governance settings, not through the STS admin services."),
    Capability.SIGNING_KEYS: (
        "WSO2 Identity Server keeps its signing keys in keystore files named in deployment.toml; "
        "its admin APIs cannot add or switch them."),
    Capability.AUDIT_LOG: (
        "WSO2 Identity Server has no API for its audit log (it is written to "
        "repository/logs/audit.log on the server)."),
    Capability.REVOCATION_LISTS: (
        "WSO2 Identity Server reads CRLs from its truststore configuration (Rampart's "
        "crypto properties); its admin APIs cannot import them."),
    Capability.SAML_ISSUERS: (
        "WSO2 Identity Server trusts SAML issuers through its identity provider "
        "configuration, which this console does not edit."),
    Capability.OWN_POLICY_CHECK: (
        "WSO2 Identity Server has no admin service that checks a WS-SecurityPolicy before it "
        "is applied; Rampart reads the policy only when the STS is called."),
    Capability.ALGORITHM_SUITE: (
        "WSO2 Identity Server applies each scenario with the algorithm suite its policy file "
        "names (Basic256); its security admin service offers no other."),
}
# What needs the WS-Trust connector on 5.11 and later.
_CONNECTOR_PARTS = (Capability.SECURITY_POLICY, Capability.TRUSTED_SERVICES,
                    Capability.PROOF_KEY_TYPE, Capability.WS_TRUST)
_NUMBERS = re.compile(r"\d+")


def version_tuple(version: str) -> tuple[int, ...]:
    """``"5.11.0"`` as ``(5, 11, 0)``; ``()`` when it names no number."""
    return tuple(int(part) for part in _NUMBERS.findall(version)[:3])


@dataclass(frozen=True)
class ServerTraits:
    """What detection found about one server."""

    version: str  # "5.10.0", "7.1.0"; "" when ServerAdmin did not say
    has_configs_api: bool  # /api/server/v1/configs (IS 5.11+)
    connector_installed: bool  # WS-Trust (bundled on 5.10, a connector on 5.11+)
    super_tenant: bool

    @property
    def sts_namespace(self) -> str:
        """STSAdminService's namespace: the framework's on 5.10, the connector's on 5.11+."""
        if not self.has_configs_api and version_tuple(self.version or "5.10") < (5, 11):
            return ns.WSO2_STS_ADMIN_LEGACY
        return ns.WSO2_STS_ADMIN

    @property
    def trust_store_suffix(self) -> str:
        """WSO2's default trust store is JKS up to 7.0 and PKCS#12 from 7.1."""
        return ".p12" if version_tuple(self.version) >= (7, 1) else ".jks"


def capabilities_of(traits: ServerTraits) -> Capabilities:
    missing = dict(_NEVER)
    if not traits.connector_installed:
        missing.update({part: CONNECTOR_MISSING for part in _CONNECTOR_PARTS})
    return Capabilities(missing=missing)
