"""Server profiles: where each server is and how to trust it; passwords live in the keyring."""

from __future__ import annotations

import builtins
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from stsdesk.services.credentials import CredentialStore
from stsdesk.services.endpoint import SUPER_TENANT, ServerEndpoint, ServerKind, TrustPolicy
from stsdesk.services.errors import ServiceError

__all__ = ["ServerProfile", "ProfileStore", "ProfileError", "EMBEDDED_PROFILE", "ServerKind",
           "SUPER_TENANT"]

EMBEDDED_PROFILE = "Embedded server"
_NAME = re.compile(r"^[\w .@()-]{1,64}$")
# A WSO2 tenant domain: letters, digits, dots and hyphens (it becomes a /t/{tenant} path).
_TENANT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$")


class ProfileError(ServiceError, ValueError):
    pass


@dataclass(frozen=True)
class ServerProfile:
    name: str
    url: str  # https://host:port
    username: str = "admin"
    pinned_sha256: str | None = None
    ca_file: str | None = None
    kind: ServerKind = ServerKind.STSDESK  # which admin API the server speaks
    tenant: str = SUPER_TENANT  # WSO2 only

    def __post_init__(self) -> None:
        try:  # read from JSON it is a plain string
            object.__setattr__(self, "kind", ServerKind(self.kind))
        except ValueError:
            raise ProfileError(
                f"{self.kind!r} is not a server kind; choose stsdesk or WSO2 Identity Server."
            ) from None

    def endpoint(self, password: str, *, trust: TrustPolicy | None = None) -> ServerEndpoint:
        """How to reach this server, signed in with ``password``."""
        trust = trust or TrustPolicy(pinned_sha256=self.pinned_sha256, ca_file=self.ca_file)
        return ServerEndpoint(self.url, self.username, password, trust, kind=self.kind,
                              tenant=self.tenant)

    def validated(self) -> ServerProfile:
        if not _NAME.match(self.name):
            raise ProfileError("A profile name needs 1 to 64 letters, digits, spaces or .@()-_ .")
        parts = urlsplit(self.url)
        if parts.scheme != "https" or not parts.hostname:
            raise ProfileError(
                f"{self.url!r} is not an https:// URL with a host (for example "
                "https://sts.example.org:9443). The admin API is only spoken over HTTPS."
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ProfileError("Give the server's base URL only, without a path.")
        if not self.username or len(self.username) > 256:
            raise ProfileError("The admin user name must not be empty.")
        tenant = self.tenant.strip() or SUPER_TENANT
        if not _TENANT.match(tenant):
            raise ProfileError(
                f"{tenant!r} is not a tenant domain: use letters, digits, dots and hyphens, "
                f"for example example.org (or {SUPER_TENANT}, the default).")
        return replace(self, url=f"https://{parts.netloc}", tenant=tenant)


class ProfileStore:
    """Profiles in a JSON file in the user's config directory, written atomically."""

    def __init__(self, path: Path, credentials: CredentialStore) -> None:
        self._path = path
        self._credentials = credentials

    @property
    def credentials(self) -> CredentialStore:
        return self._credentials

    def list(self) -> list[ServerProfile]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ProfileError(
                f"The profiles file {self._path} cannot be read ({exc}); fix or remove it."
            ) from exc
        return [ServerProfile(**item) for item in data.get("profiles", [])]

    def save(self, profile: ServerProfile, password: str | None = None) -> ServerProfile:
        profile = profile.validated()
        if profile.name == EMBEDDED_PROFILE:
            raise ProfileError(f"{EMBEDDED_PROFILE!r} is reserved for the built-in server.")
        profiles = [p for p in self.list() if p.name != profile.name] + [profile]
        if password is not None:
            self._credentials.set(_key(profile.name), password)
        self._write(profiles)
        return profile

    def rename(self, old: str, profile: ServerProfile) -> ServerProfile:
        password = self.password(old)
        if old != profile.name and any(p.name == profile.name for p in self.list()):
            raise ProfileError(f"A profile named {profile.name!r} exists already.")
        saved = self.save(profile, password)
        if old != profile.name:
            self.remove(old)
        return saved

    def remove(self, name: str) -> None:
        self._write([p for p in self.list() if p.name != name])
        self._credentials.delete(_key(name))

    def password(self, name: str) -> str | None:
        return self._credentials.get(_key(name))

    def _write(self, profiles: builtins.list[ServerProfile]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"profiles": [asdict(p) for p in sorted(profiles, key=lambda p: p.name)]},
                          indent=2)
        fd, temp = tempfile.mkstemp(dir=self._path.parent, prefix=".profiles-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.replace(temp, self._path)


def _key(name: str) -> str:
    return f"profile:{name}"
