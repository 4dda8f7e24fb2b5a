"""The trust store's revocation lists and trusted SAML issuers over stsdesk's REST API
(``/keystores/crls``, ``/keystores/revocation``, ``/sts/saml-issuers``)."""

from __future__ import annotations

from typing import Any

from stsdesk.services.admin.models import (
    RevocationList,
    RevocationPolicy,
    SamlIssuer,
    StaleCrl,
)
from stsdesk.services.admin.wire import dict_of, instant, list_of, read
from stsdesk.services.admin.wso2_json import segment
from stsdesk.services.admin_client import AdminClient

__all__ = ["StsdeskTrustStore"]

_CRLS = "/keystores/crls"
_REVOCATION = "/keystores/revocation"
_SAML_ISSUERS = "/sts/saml-issuers"


def _crl(data: Any) -> RevocationList:
    body = dict_of(data)
    return RevocationList(
        id=str(body["id"]), issuer=str(body["issuer"]), this_update=instant(body["thisUpdate"]),
        next_update=None if body.get("nextUpdate") is None else instant(body["nextUpdate"]),
        entries=int(body["entries"]), stale=bool(body.get("stale", False)),
        imported_at=None if body.get("importedAt") is None else instant(body["importedAt"]),
    )


def _policy(data: Any) -> RevocationPolicy:
    body = dict_of(data)
    return RevocationPolicy(stale_crl=StaleCrl(str(body["staleCrl"])),
                            require_crl=bool(body["requireCrl"]))


def _issuer(data: Any) -> SamlIssuer:
    body = dict_of(data)
    return SamlIssuer(
        certificate_alias=str(body["certificateAlias"]), issuer=str(body["issuer"]),
        subject=str(body.get("subject") or ""),
        not_after=None if body.get("notAfter") is None else instant(body["notAfter"]),
    )


class StsdeskTrustStore:
    """The revocation and SAML-issuer part of :class:`AdminApi` for an stsdesk server."""

    client: AdminClient

    def list_revocation_lists(self) -> tuple[RevocationList, ...]:
        body = self.client.get(_CRLS)
        return read("the revocation lists", lambda: tuple(_crl(c) for c in list_of(body)))

    def import_revocation_list(self, crl: str) -> RevocationList:
        body = self.client.post(_CRLS, {"crl": crl})
        return read("the imported revocation list", lambda: _crl(body))

    def delete_revocation_list(self, crl_id: str) -> None:
        self.client.delete(f"{_CRLS}/{segment(crl_id)}")

    def get_revocation_policy(self) -> RevocationPolicy:
        body = self.client.get(_REVOCATION)
        return read("the revocation policy", lambda: _policy(body))

    def set_revocation_policy(self, policy: RevocationPolicy) -> RevocationPolicy:
        body = self.client.put(_REVOCATION, {"staleCrl": policy.stale_crl.value,
                                             "requireCrl": policy.require_crl})
        return read("the revocation policy", lambda: _policy(body))

    def list_saml_issuers(self) -> tuple[SamlIssuer, ...]:
        body = self.client.get(_SAML_ISSUERS)
        return read("the trusted SAML issuers",
                    lambda: tuple(_issuer(i) for i in list_of(body)))

    def trust_saml_issuer(self, alias: str, issuer: str) -> SamlIssuer:
        body = self.client.put(f"{_SAML_ISSUERS}/{segment(alias)}", {"issuer": issuer})
        return read("the trusted SAML issuer", lambda: _issuer(body))

    def distrust_saml_issuer(self, alias: str) -> None:
        self.client.delete(f"{_SAML_ISSUERS}/{segment(alias)}")
