"""The WSO2 Identity Server versions the double plays, and what differs between them (FACTS.md)."""

from __future__ import annotations

from dataclasses import dataclass

from stsdesk.core import ns

__all__ = ["DoubleProfile", "VERSIONS"]


@dataclass(frozen=True)
class DoubleProfile:
    """One version's contracts: which WSDL each admin service follows, which REST APIs exist."""

    name: str
    version: str  # what ServerAdmin.getServerVersion answers
    configs_api: bool  # /api/server/v1/configs (IS 5.11+)
    connector: bool  # the WS-Trust services (bundled on 5.10; a connector on 5.11+)
    sts_wsdl: str
    sts_namespace: str
    keystore_wsdl: str
    keystore_suffix: str  # default keystore and trust store format

    @property
    def keystore(self) -> str:
        return f"wso2carbon{self.keystore_suffix}"

    @property
    def trust_store(self) -> str:
        return f"client-truststore{self.keystore_suffix}"


_LEGACY = dict(sts_wsdl="STSAdmin.fw-5.14.97.wsdl", sts_namespace=ns.WSO2_STS_ADMIN_LEGACY)
_CONNECTOR = dict(sts_wsdl="STSAdmin.connector-5.11plus.wsdl", sts_namespace=ns.WSO2_STS_ADMIN)
_FW_KEYSTORE = dict(keystore_wsdl="KeyStoreAdmin.fw-5.14.97.wsdl", keystore_suffix=".jks")

VERSIONS: dict[str, DoubleProfile] = {
    profile.name: profile for profile in (
        DoubleProfile("5.10", "5.10.0", configs_api=False, connector=True,
                      **_LEGACY, **_FW_KEYSTORE),  # type: ignore[arg-type]
        DoubleProfile("5.11", "5.11.0", configs_api=True, connector=True,
                      **_CONNECTOR, **_FW_KEYSTORE),  # type: ignore[arg-type]
        DoubleProfile("5.11-no-connector", "5.11.0", configs_api=True, connector=False,
                      **_CONNECTOR, **_FW_KEYSTORE),  # type: ignore[arg-type]
        DoubleProfile("7.1", "7.1.0", configs_api=True, connector=True,
                      keystore_wsdl="KeyStoreAdmin.wsdl", keystore_suffix=".p12",
                      **_CONNECTOR),  # type: ignore[arg-type]
    )
}
