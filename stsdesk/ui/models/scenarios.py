"""What the Security Token Service page shows: scenarios, the applied policy, trusted services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt

from stsdesk.core.scenarios import EVERYONE_ROLES
from stsdesk.ui.models.base import Column, RowTableModel

__all__ = [
    "ScenarioRow",
    "SecurityState",
    "TrustedServiceRow",
    "KeystoreRow",
    "StsOverview",
    "TrustedServicesTableModel",
    "PRIMARY_DOMAIN_PREFIX",
    "EVERYONE_ROLES",
    "plain_role_name",
    "offered_roles",
]

# WSO2 qualifies role names with the user store ("PRIMARY/admin"); the STS stores the plain name.
PRIMARY_DOMAIN_PREFIX = "PRIMARY/"
# Roles every user has (the server refuses them too): offering them would let anyone obtain tokens.



def plain_role_name(display_name: str) -> str:
    """``PRIMARY/admin`` -> ``admin``; other names unchanged."""
    if display_name.upper().startswith(PRIMARY_DOMAIN_PREFIX):
        return display_name[len(PRIMARY_DOMAIN_PREFIX):]
    return display_name


def offered_roles(display_names: list[str]) -> list[str]:
    """The roles a policy may allow: plain names, sorted, without everyone/anonymous."""
    names = {plain_role_name(name).strip() for name in display_names}
    return sorted((n for n in names if n and n.lower() not in EVERYONE_ROLES), key=str.casefold)


@dataclass(frozen=True)
class ScenarioRow:
    """One security scenario of the catalogue (GET /sts/scenarios)."""

    id: str
    number: int
    summary: str
    description: str
    group: str  # "basic" or "advanced"
    category: str  # "ut", "keystore", "ut-keystore" or "kerberos"
    asks_for: tuple[str, ...]
    enforceable: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScenarioRow:
        return cls(
            id=str(data["id"]),
            number=int(data["number"]),
            summary=str(data.get("summary", "")).strip(),
            description=str(data.get("description", "")).strip(),
            group=str(data.get("group", "basic")),
            category=str(data.get("category", "")),
            asks_for=tuple(str(item) for item in data.get("asksFor") or ()),
            enforceable=bool(data.get("enforceable", False)),
        )

    @property
    def asks_for_roles(self) -> bool:
        return "roles" in self.asks_for

    @property
    def asks_for_keystores(self) -> bool:
        return "keystores" in self.asks_for

    @property
    def title(self) -> str:
        return f"{self.number}. {self.summary}"


@dataclass(frozen=True)
class SecurityState:
    """The applied security policy (GET /sts/security)."""

    enabled: bool
    scenario_id: str
    user_store_domain: str
    allowed_roles: tuple[str, ...]
    trusted_keystores: tuple[str, ...]
    private_keystore: str | None
    proof_key_type: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SecurityState:
        return cls(
            enabled=bool(data.get("enabled", False)),
            scenario_id=str(data.get("scenarioId", "")),
            user_store_domain=str(data.get("userStoreDomain", "")),
            allowed_roles=tuple(str(r) for r in data.get("allowedRoles") or ()),
            trusted_keystores=tuple(str(k) for k in data.get("trustedKeystores") or ()),
            private_keystore=data.get("privateKeystore"),
            proof_key_type=str(data.get("proofKeyType", "")),
        )


@dataclass(frozen=True)
class TrustedServiceRow:
    """A relying party the STS issues tokens for (GET /sts/trusted-services)."""

    audience: str
    certificate_alias: str | None
    application_id: str
    application_name: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrustedServiceRow:
        return cls(
            audience=str(data.get("audience", "")),
            certificate_alias=data.get("certificateAlias"),
            application_id=str(data.get("applicationId", "")),
            application_name=str(data.get("applicationName", "")),
        )


@dataclass(frozen=True)
class KeystoreRow:
    """A keystore a scenario can trust or sign with (GET /sts/keystores)."""

    name: str
    private_store: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeystoreRow:
        return cls(name=str(data["keyStoreName"]), private_store=bool(data.get("privateStore")))


@dataclass(frozen=True)
class StsOverview:
    """Everything the page shows, read in one background call."""

    security: SecurityState
    scenarios: tuple[ScenarioRow, ...]
    trusted_services: tuple[TrustedServiceRow, ...]
    keystores: tuple[KeystoreRow, ...]
    sts_url: str
    wsdl_url: str

    def scenario(self, scenario_id: str) -> ScenarioRow | None:
        return next((s for s in self.scenarios if s.id == scenario_id), None)


def _audience(row: TrustedServiceRow) -> str:
    return row.audience


def _alias_text(row: TrustedServiceRow) -> str:
    return row.certificate_alias or "(none: tokens not encrypted)"


def _application_name(row: TrustedServiceRow) -> str:
    return row.application_name


class TrustedServicesTableModel(RowTableModel[TrustedServiceRow]):
    """Trusted services, one frozen row each."""

    AUDIENCE, CERTIFICATE_ALIAS, SERVICE_PROVIDER = range(3)
    COLUMNS = (
        Column("Endpoint Address (Audience)", _audience, tooltip=_audience),
        # Without an alias the token is signed but not encrypted for this party.
        Column("Certificate Alias", _alias_text, tooltip=_alias_text,
               foreground=lambda r: None if r.certificate_alias else Qt.GlobalColor.darkGray),
        Column("Service Provider", _application_name, tooltip=_application_name),
    )
