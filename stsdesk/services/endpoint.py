"""Where a server is and how to trust it: plain records, without the HTTP stack.

The console builds these before its window shows (server profiles, the embedded server's
address), so they live apart from the clients that use them (``admin_client``, ``tls``),
which import requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from stsdesk.services.errors import InputError

__all__ = ["TrustPolicy", "ServerEndpoint", "ServerKind", "SUPER_TENANT"]

_HEX_PIN = re.compile(r"[0-9a-f]{64}")
SUPER_TENANT = "carbon.super"  # WSO2's default tenant: its paths carry no /t/{tenant} prefix


@dataclass(frozen=True)
class TrustPolicy:
    """How to trust a server's TLS certificate: the one type for the admin client and the STS's.

    A pinned certificate (its SHA-256), when there is one, decides alone; else a CA file; else
    the system's certificate authorities. ``insecure`` turns every check off and goes with
    neither a pin nor a CA file. The pin may be typed with colons and in either case; it is
    kept as lower-case hex without colons.
    """

    pinned_sha256: str | None = None
    ca_file: str | None = None
    insecure: bool = False

    def __post_init__(self) -> None:
        if self.insecure and (self.pinned_sha256 or self.ca_file):
            raise InputError(
                "Choose one way to trust the server: a pinned certificate, a CA file, or insecure."
            )
        if self.pinned_sha256 is not None:
            pin = self.pinned_sha256.replace(":", "").replace(" ", "").strip().lower()
            if not pin:
                object.__setattr__(self, "pinned_sha256", None)  # a blank pin is no pin
                return
            if not _HEX_PIN.fullmatch(pin):
                raise InputError(
                    "The pinned fingerprint must be the certificate's SHA-256: 64 hex digits, "
                    "with or without colons."
                )
            object.__setattr__(self, "pinned_sha256", pin)  # normalised once, compared often

    @property
    def warning(self) -> str | None:
        """What to tell the person about this choice, or None when it is safe."""
        if self.insecure:
            return (
                "TLS certificate checks are OFF: anyone on the network path could read the "
                "password and change the token. Use this only against a test server."
            )
        return None


class ServerKind(StrEnum):
    """Which admin API a server speaks: stsdesk's own, or WSO2 Identity Server's."""

    STSDESK = "stsdesk"
    WSO2 = "wso2"


@dataclass(frozen=True)
class ServerEndpoint:
    """Where a server is, what it is, and how to trust and sign in to it."""

    base_url: str  # https://host:port
    username: str
    password: str = field(repr=False)
    trust: TrustPolicy = TrustPolicy()
    kind: ServerKind = ServerKind.STSDESK
    tenant: str = SUPER_TENANT  # WSO2 only: the tenant domain the admin signs in to
