"""What the Security Token Service page shows: scenarios, the applied policy, trusted services."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from stsdesk.core.scenarios import EVERYONE_ROLES
from stsdesk.services.admin.models import Keystore, Scenario, SecurityPolicy, TrustedService
from stsdesk.ui.models.base import Column, RowTableModel

__all__ = [
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
class StsOverview:
    """Everything the page shows, read in one background call."""

    security: SecurityPolicy
    scenarios: tuple[Scenario, ...]
    trusted_services: tuple[TrustedService, ...]
    keystores: tuple[Keystore, ...]
    sts_url: str
    wsdl_url: str
    # The key the STS signs with now (after any roll-over); None when the server does not say.
    signing_alias: str | None = None

    def scenario(self, scenario_id: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.id == scenario_id), None)


def _audience(row: TrustedService) -> str:
    return row.audience


def _alias_text(row: TrustedService) -> str:
    return row.certificate_alias or "(none: tokens not encrypted)"


def _application_name(row: TrustedService) -> str:
    return row.application_name


class TrustedServicesTableModel(RowTableModel[TrustedService]):
    """Trusted services, one frozen row each."""

    AUDIENCE, CERTIFICATE_ALIAS, SERVICE_PROVIDER = range(3)
    COLUMNS = (
        Column("Endpoint Address (Audience)", _audience, tooltip=_audience),
        # Without an alias the token is signed but not encrypted for this party.
        Column("Certificate Alias", _alias_text, tooltip=_alias_text,
               foreground=lambda r: None if r.certificate_alias else Qt.GlobalColor.darkGray),
        Column("Service Provider", _application_name, tooltip=_application_name),
    )
