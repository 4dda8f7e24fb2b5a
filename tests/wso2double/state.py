"""What the double remembers between calls, seeded like a fresh WSO2 Identity Server."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization

from tests.helpers import certfactory

__all__ = ["App", "DoubleState", "SCENARIOS", "Scenario", "ADMIN_ROLE_ID"]


@dataclass(frozen=True)
class Scenario:
    id: str
    summary: str
    description: str
    category: str


# The first entries of WSO2's scenario-config.xml (identity-inbound-auth-sts), as getScenarios
# lists them (reference: wso2-sts-facts.md §3).
SCENARIOS = (
    Scenario("scenario1", "UsernameToken",
             "Provides Authentication. Clients have Username Tokens", "ut"),
    Scenario("scenario2", "Non-repudiation",
             "Provides Authentication and Integrity. Clients have X509 certificates", "keystore"),
    Scenario("scenario3", "Integrity",
             "Provides Integrity. Clients do not have X509 certificates", "keystore"),
    Scenario("scenario4", "Confidentiality",
             "Provides Confidentiality. Clients do not have X509 certificates", "keystore"),
    Scenario("scenario5", "Sign and Encrypt - X509 Authentication",
             "Provides Authentication, Integrity and Confidentiality. Clients have X509 "
             "certificates", "keystore"),
    Scenario("scenario7", "Encrypt only - Username Token Authentication",
             "Provides Authentication and Confidentiality. Clients have Username Tokens",
             "ut-keystore"),
    Scenario("scenario8", "Sign and Encrypt - Username Token Authentication",
             "Provides Authentication, Integrity and Confidentiality. Clients have Username "
             "Tokens", "ut-keystore"),
)
ADMIN_ROLE_ID = "d3a8b7c2-admin-role"


@dataclass
class App:
    id: str
    name: str
    description: str = ""
    claim_configuration: dict[str, Any] | None = None
    ws_trust: dict[str, str] | None = None  # {"audience", "certificateAlias"}


def _der(common_name: str) -> bytes:
    issued = certfactory.issue(common_name, organization="WSO2")
    return issued.certificate.public_bytes(serialization.Encoding.DER)


@dataclass
class DoubleState:
    home_realms: list[str] = field(default_factory=lambda: ["localhost"])
    idle_timeout: str = "15"
    remember_me: str = "20160"
    scenario: str | None = None
    roles: list[str] = field(default_factory=list)
    trusted_stores: list[str] = field(default_factory=list)
    private_store: str | None = None
    # Policies in the registry (their paths), for applySecurity with policyFromRegistry, and
    # the path of the one applied.
    registry_policies: set[str] = field(default_factory=set)
    policy_path: str | None = None
    proof_key_type: str = "BinarySecret"
    trusted_services: dict[str, str | None] = field(default_factory=dict)
    public_certificate: bytes = field(default_factory=lambda: _der("localhost"))
    trust_store: dict[str, bytes] = field(default_factory=dict)  # super tenant's, alias -> DER
    tenant_certs: dict[str, bytes] = field(default_factory=dict)  # a tenant's keystore
    applications: dict[str, App] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=lambda: {
        ADMIN_ROLE_ID: {"id": ADMIN_ROLE_ID, "displayName": "admin", "members": []}})

    def __post_init__(self) -> None:
        self.trust_store.setdefault("wso2carbon", self.public_certificate)
        self.tenant_certs.setdefault("wso2carbon", self.public_certificate)

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    def role_names(self) -> set[str]:
        return {str(group["displayName"]) for group in self.groups.values()}
