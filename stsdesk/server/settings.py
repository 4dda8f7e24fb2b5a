"""Where the embedded STS keeps its data and how it listens: one frozen ServerSettings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from stsdesk.server.errors import ValidationError

__all__ = ["ServerSettings", "DATABASE_FILE", "MASTER_SECRET_FILE", "DEFAULT_USER_NAME_PATTERN"]

DATABASE_FILE = "stsdesk.db"
MASTER_SECRET_FILE = Path("secrets") / "keystore-password"
# WSO2 Identity Server's default UsernameJavaRegEx: 3 to 30 characters, none of them a space.
# Names are shown in narrow places and typed at sign-in; a 400-character name helps nobody.
DEFAULT_USER_NAME_PATTERN = r"^[\S]{3,30}$"


@dataclass(frozen=True)
class ServerSettings:
    """The server's start-up settings; ``admin_password`` only seeds the first start."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 9443
    workers: int = 1
    database_url: str | None = None  # None: SQLite at DATA_DIR/stsdesk.db
    public_host: str | None = None  # the name clients use, when it differs from ``host``
    admin_password: str | None = field(default=None, repr=False)
    # How /health names this node to clients (the desktop shows it); None: "host:port/pid".
    node_name: str | None = None
    # The rule new and renamed user names must match (a Python regular expression, searched).
    user_name_pattern: str = DEFAULT_USER_NAME_PATTERN

    def __post_init__(self) -> None:
        if not isinstance(self.data_dir, Path):
            object.__setattr__(self, "data_dir", Path(self.data_dir))
        try:
            re.compile(self.user_name_pattern)
        except re.error as exc:
            raise ValidationError(
                f"The user name pattern {self.user_name_pattern!r} is not a regular expression "
                f"({exc}); WSO2's default is {DEFAULT_USER_NAME_PATTERN!r}."
            ) from None
        if not 0 <= self.port <= 65535:
            raise ValidationError(
                f"The port {self.port} is out of range; choose one from 1 to 65535, or 0 for any "
                "free port."
            )
        if self.workers < 1:
            raise ValidationError(f"The number of workers must be at least 1, not {self.workers}.")
        if not self.host:
            raise ValidationError("The host to listen on is empty; give an address such as "
                                  "127.0.0.1.")
        if self.node_name is not None and (
            not self.node_name.strip() or len(self.node_name) > 255
            or any(ord(ch) < 32 for ch in self.node_name)
        ):
            raise ValidationError("The node name must be 1 to 255 printable characters, such as "
                                  "sts-1.")

    @property
    def root(self) -> Path:
        """The data directory as an absolute path (relative ones are taken from the cwd)."""
        return self.data_dir.expanduser().absolute()

    @property
    def database_path(self) -> Path:
        """Where the default SQLite database lives (used only when ``database_url`` is None)."""
        return self.root / DATABASE_FILE

    def effective_database_url(self) -> str:
        """The SQLAlchemy URL to open: ``database_url`` if given, else SQLite in the data dir.

        ``postgresql://...`` stores everything in PostgreSQL (several nodes may share it).
        """
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.database_path.as_posix()}"

    @property
    def master_secret_path(self) -> Path:
        return self.root / MASTER_SECRET_FILE

    @property
    def tls_dir(self) -> Path:
        return self.root / "tls"

    @property
    def tls_cert_path(self) -> Path:
        return self.tls_dir / "server.crt"

    @property
    def tls_key_path(self) -> Path:
        return self.tls_dir / "server.key"
