"""The certificates a server knows, parsed: its signing keys' and its trust store's."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography import x509

from stsdesk.core.certificates import load_certificate
from stsdesk.core.errors import StsError
from stsdesk.services.admin.api import AdminApi, Capability

__all__ = ["ServerCertificates", "fetch_server_certificates", "PRIMARY_SIGNING_ALIAS"]

log = logging.getLogger("stsdesk.services.admin")

# The alias WSO2 (and a fresh stsdesk) gives the key that signs tokens.
PRIMARY_SIGNING_ALIAS = "wso2carbon"


@dataclass(frozen=True)
class ServerCertificates:
    """The certificates the server knows: its signing keys' and its trust store's."""

    signing: Mapping[str, x509.Certificate] = field(default_factory=dict)
    active_signing: str | None = None
    trust_store: Mapping[str, x509.Certificate] = field(default_factory=dict)

    @property
    def all(self) -> dict[str, x509.Certificate]:
        return {**self.trust_store, **self.signing}


def fetch_server_certificates(api: AdminApi) -> ServerCertificates:
    """Read the signing and trust-store certificates (blocking: run it off the GUI thread)."""
    signing: dict[str, x509.Certificate] = {}
    active = None
    if api.capabilities().supports(Capability.SIGNING_KEYS):
        for key in api.list_signing_keys():
            cert = _certificate(key.pem, key.alias)
            if cert is not None:
                signing[key.alias] = cert
                if key.active:
                    active = key.alias
    else:
        # Without a signing-keys API (WSO2) the public certificate is the one signing tokens.
        cert = _certificate(api.public_certificate(), "public")
        if cert is not None:
            signing[PRIMARY_SIGNING_ALIAS] = cert
            active = PRIMARY_SIGNING_ALIAS
    trust: dict[str, x509.Certificate] = {}
    for row in api.list_certificates():
        cert = _certificate(api.export_certificate(row.alias), row.alias)
        if cert is not None:
            trust[row.alias] = cert
    return ServerCertificates(signing, active, trust)


def _certificate(pem: str, alias: str) -> x509.Certificate | None:
    if not pem.strip():
        return None
    try:
        return load_certificate(pem.encode("utf-8"))
    except StsError as exc:
        log.warning("The server's certificate %r could not be read: %s", alias, exc.message)
        return None
