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
from stsdesk.services.errors import ServiceError

__all__ = ["ServerProfile", "ProfileStore", "ProfileError", "EMBEDDED_PROFILE"]

EMBEDDED_PROFILE = "Embedded server"
_NAME = re.compile(r"^[\w .@()-]{1,64}$")


class ProfileError(ServiceError, ValueError):
    pass


@dataclass(frozen=True)
class ServerProfile:
    name: str
    url: str  # https://host:port
    username: str = "admin"
    pinned_sha256: str | None = None
    ca_file: str | None = None

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
        return replace(self, url=f"https://{parts.netloc}")


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
