"""`stsdesk admin`: the console's workflow from the command line, over the typed admin API.

The same calls the desktop console makes, against an stsdesk server or a WSO2 Identity Server,
for scripts: ``--json`` prints records as JSON and the exit code says what happened.

Exit codes::

    0  done
    1  an unexpected failure (a bug: the message says what)
    2  usage: the command line or a file named on it cannot be used
    3  the server refused: what was sent is invalid, not allowed, or clashes (HTTP 400/403/409)
    4  not found: what was named is not there (HTTP 404)
    5  connection or TLS: the server cannot be reached, or its certificate is not trusted
    6  unsupported: this server cannot do this at all (the message says why)
    7  authentication: the user name or password is wrong (HTTP 401)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import enum
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily at run time, so `stsdesk --help` stays fast
    from stsdesk.services.admin.api import AdminApi

__all__ = ["add_admin_command", "run_admin", "read_text", "UsageError", "EXIT_CODES"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_NOT_FOUND = 4
EXIT_CONNECTION = 5
EXIT_UNSUPPORTED = 6
EXIT_AUTHENTICATION = 7
EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_FAILURE: "unexpected failure",
    EXIT_USAGE: "usage: the command line or a file named on it cannot be used",
    EXIT_REFUSED: "the server refused (invalid, not allowed, or clashes)",
    EXIT_NOT_FOUND: "not found",
    EXIT_CONNECTION: "connection or TLS failure",
    EXIT_UNSUPPORTED: "this server cannot do this",
    EXIT_AUTHENTICATION: "wrong user name or password",
}
ENV_PASSWORD = "STSDESK_ADMIN_PASSWORD"  # noqa: S105 - a variable name, not a secret


class UsageError(Exception):
    """What was given on the command line cannot be used (exit 2)."""


# -- the parser ---------------------------------------------------------------------------------


def add_admin_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = commands.add_parser(
        "admin", help="administer an stsdesk server or a WSO2 Identity Server",
        description="Administer a server over its admin API: the console's workflow for "
        "scripts (resident IdP, security policy, trusted services, service providers, trust "
        "store, users and roles).",
        epilog="Exit codes: " + "; ".join(f"{code} {text}" for code, text in EXIT_CODES.items())
        + f". The admin password comes from --password-file, else ${ENV_PASSWORD}, else a "
        "prompt.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    admin.add_argument("--server", required=True, metavar="URL",
                       help="the server's base URL, e.g. https://is.example.org:9443")
    admin.add_argument("--kind", choices=("stsdesk", "wso2"), default="stsdesk",
                       help="which admin API the server speaks (default: %(default)s)")
    admin.add_argument("--tenant", default="carbon.super", metavar="T",
                       help="WSO2 tenant domain (default: %(default)s)")
    admin.add_argument("--user", default="admin", metavar="U",
                       help="admin user name (default: %(default)s)")
    admin.add_argument("--password-file", type=Path, metavar="F",
                       help="file holding the admin password")
    admin.add_argument("--pin", metavar="SHA256",
                       help="trust exactly the TLS certificate with this SHA-256 fingerprint")
    admin.add_argument("--ca-file", type=Path, metavar="F",
                       help="trust certificates issued by the CAs in this PEM file")
    admin.add_argument("--json", action="store_true", help="print the result as JSON")
    admin.add_argument("--timeout", type=float, default=30.0, metavar="S",
                       help="seconds to wait for each answer (default: %(default)s)")
    groups = admin.add_subparsers(dest="admin_group", metavar="GROUP", required=True)
    groups.add_parser("info", help="what the server is and what it offers")

    resident = _group(groups, "resident-idp", "the resident identity provider")
    resident.add_parser("show", help="show the resident IdP")
    change = resident.add_parser("set", help="change the resident IdP")
    change.add_argument("--realm", action="append", metavar="ID",
                        help="home realm identifier (repeat; replaces the list)")
    change.add_argument("--idle-timeout", type=int, metavar="MIN",
                        help="idle session timeout, minutes")
    change.add_argument("--remember-me", type=int, metavar="MIN",
                        help="remember-me period, minutes")

    security = _group(groups, "security", "the security policy of the STS")
    security.add_parser("scenarios", help="list the security scenarios")
    security.add_parser("show", help="show the applied policy")
    apply = security.add_parser("apply", help="apply a scenario (as WSO2's console does)")
    apply.add_argument("scenario", help="scenario id, e.g. scenario1")
    _access_arguments(apply, "scenario 20")
    check = security.add_parser(
        "check-policy", help="the STS's verdict on an own WS-SecurityPolicy file (nothing is "
                             "applied; exit code 3 when it cannot enforce the policy)")
    check.add_argument("file", type=Path, help="the wsp:Policy document")
    own = security.add_parser(
        "apply-policy", help="apply an own WS-SecurityPolicy instead of a scenario (WSO2: "
                             "--registry-path of a policy in its registry)")
    own.add_argument("file", type=Path, nargs="?", help="the wsp:Policy document (stsdesk)")
    own.add_argument("--name", help="the policy's name (the file's name by default)")
    own.add_argument("--registry-path", metavar="PATH", help="WSO2: the policy's registry path")
    _access_arguments(own, "a policy with a Kerberos token")
    security.add_parser("disable", help="disable security (no tokens are issued)")
    proof = security.add_parser("proof-key-type", help="show or set the proof key type")
    proof.add_argument("value", nargs="?", choices=("EncryptedKey", "BinarySecret"))

    trusted = _group(groups, "trusted-services", "relying parties the STS issues tokens for")
    trusted.add_parser("list", help="list trusted services")
    add = trusted.add_parser("add", help="add a trusted service (WSO2)")
    add.add_argument("audience", help="the relying party's endpoint address")
    add.add_argument("--alias", help="certificate alias to encrypt tokens for it")
    remove = trusted.add_parser("remove", help="remove a trusted service (WSO2)")
    remove.add_argument("audience")

    sp = _group(groups, "sp", "service providers")
    sp.add_parser("list", help="list service providers")
    for name, text in (("show", "show one"), ("delete", "delete one")):
        sp.add_parser(name, help=text).add_argument("application", help="id or name")
    create = sp.add_parser("create", help="create a service provider")
    create.add_argument("name")
    create.add_argument("--description", default="")
    create.add_argument("--claim", action="append", default=[], metavar="URI[!]",
                        help="requested claim; a trailing ! makes it mandatory (repeat)")
    create.add_argument("--subject-claim", metavar="URI")
    ws_trust = sp.add_parser("ws-trust", help="a service provider's WS-Trust configuration")
    ws_actions = ws_trust.add_subparsers(dest="ws_action", metavar="ACTION", required=True)
    ws_actions.add_parser("show").add_argument("application", help="id or name")
    ws_set = ws_actions.add_parser("set", help="set the audience and certificate alias")
    ws_set.add_argument("application", help="id or name")
    ws_set.add_argument("audience")
    ws_set.add_argument("--alias", help="certificate alias to encrypt tokens with")
    ws_actions.add_parser("delete").add_argument("application", help="id or name")

    certs = _group(groups, "certs", "the trust store")
    certs.add_parser("list", help="list trusted certificates")
    imported = certs.add_parser("import", help="import a PEM or DER certificate")
    imported.add_argument("alias")
    imported.add_argument("file", type=Path)
    exported = certs.add_parser("export", help="print (or write) a certificate as PEM")
    exported.add_argument("alias")
    exported.add_argument("-o", "--output", type=Path, metavar="FILE")
    certs.add_parser("delete", help="delete a certificate").add_argument("alias")

    users = _group(groups, "users", "users")
    users.add_parser("list", help="list users")
    new_user = users.add_parser("create", help="create a user")
    new_user.add_argument("user_name")
    new_user.add_argument("--user-password-file", type=Path, metavar="F", required=True,
                          help="file holding the new user's password")
    new_user.add_argument("--given-name", default="")
    new_user.add_argument("--family-name", default="")
    new_user.add_argument("--email", default="")

    roles = _group(groups, "roles", "roles")
    roles.add_parser("list", help="list roles")
    new_role = roles.add_parser("create", help="create a role")
    new_role.add_argument("name")
    new_role.add_argument("--member", action="append", default=[], metavar="USER",
                          help="user name of a member (repeat)")


def _access_arguments(parser: argparse.ArgumentParser, kerberos: str) -> None:
    """Who may obtain tokens and with which keys: a scenario and an own policy take the same
    (``kerberos`` says when the service principal and keytab are needed)."""
    parser.add_argument("--role", action="append", default=[], help="allowed role (repeat)")
    parser.add_argument("--user-store-domain", default="ALL-USER-STORE-DOMAINS", metavar="D")
    parser.add_argument("--trusted-keystore", action="append", default=[], metavar="K")
    parser.add_argument("--private-keystore", metavar="K")
    parser.add_argument("--service-principal", metavar="P",
                        help=f"{kerberos}: the STS's Kerberos service principal (with its realm)")
    parser.add_argument("--keytab", type=Path, metavar="FILE",
                        help=f"{kerberos}: the service principal's keytab file")


def _group(groups: argparse._SubParsersAction, name: str,  # type: ignore[type-arg]
           text: str) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    parser = groups.add_parser(name, help=text)
    return parser.add_subparsers(dest="admin_action", metavar="ACTION", required=True)


# -- output -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Records as JSON-ready values (dataclasses, enums, dates, tuples, mappings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.repr}  # fields hidden from repr (passwords, key files) stay hidden
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _emit(args: argparse.Namespace, value: Any, text: Callable[[Any], str] | None = None) -> None:
    if args.json:
        print(json.dumps(_plain(value), indent=2, sort_keys=True))
    elif text is not None:
        print(text(value))
    elif value is not None:
        print(_lines(_plain(value)))


def _lines(value: Any, indent: str = "") -> str:
    if isinstance(value, dict):
        return "\n".join(
            f"{indent}{key}:\n{_lines(item, indent + '  ')}" if isinstance(item, dict | list)
            and item else f"{indent}{key}: {_scalar(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "\n".join(f"{indent}- {_scalar(item)}" if not isinstance(item, dict)
                         else f"{indent}-\n{_lines(item, indent + '  ')}" for item in value)
    return f"{indent}{_scalar(value)}"


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "-"
    return str(value)


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths,
                                                                            strict=True)).rstrip()
                     for row in [header, *rows])


# -- running ------------------------------------------------------------------------------------


def read_text(path: Path, what: str) -> str:
    try:
        text = path.read_text("utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the {what} {path} ({exc}).") from exc
    if not text:
        raise UsageError(f"The {what} {path} is empty.")
    return text


def _password(args: argparse.Namespace) -> str:
    if args.password_file is not None:
        return read_text(args.password_file, "password file")
    from_env = os.environ.get(ENV_PASSWORD)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise UsageError(f"No password: give --password-file F or set ${ENV_PASSWORD}.")
    import getpass

    return getpass.getpass(f"Password for {args.user}: ")


def _open(args: argparse.Namespace) -> AdminApi:
    from stsdesk.services.admin import open_admin_api
    from stsdesk.services.admin_client import ServerEndpoint, ServerKind
    from stsdesk.services.profiles import ProfileError, ServerProfile
    from stsdesk.services.tls import TrustPolicy

    try:
        url = ServerProfile("cli", args.server).validated().url
    except ProfileError as exc:
        raise UsageError(exc.message) from exc
    trust = TrustPolicy(pinned_sha256=args.pin,
                        ca_file=str(args.ca_file) if args.ca_file else None)
    endpoint = ServerEndpoint(url, args.user, _password(args), trust,
                              kind=ServerKind(args.kind), tenant=args.tenant)
    return open_admin_api(endpoint, timeout=args.timeout)


def run_admin(args: argparse.Namespace) -> int:
    """Run one `stsdesk admin` command; the exit code (see the module's docstring)."""
    from stsdesk.services.errors import (
        AdminApiError,
        AuthenticationError,
        CertificateError,
        InputError,
        NotFoundError,
        ServerUnreachableError,
        ServiceError,
        UnsupportedError,
    )

    def fail(message: str, code: int) -> int:
        print(f"stsdesk admin: error: {message}", file=sys.stderr, flush=True)
        return code

    try:
        api = _open(args)
    except (UsageError, InputError) as exc:
        return fail(str(exc), EXIT_USAGE)
    try:
        from stsdesk.admin_commands import dispatch

        dispatch(api, args, _emit, _table)
        return EXIT_OK
    except (UsageError, InputError) as exc:
        return fail(str(exc), EXIT_USAGE)
    except AuthenticationError as exc:
        return fail(f"{exc.message} (HTTP 401)", EXIT_AUTHENTICATION)
    except NotFoundError as exc:
        return fail(exc.message, EXIT_NOT_FOUND)
    except AdminApiError as exc:
        return fail(f"the server refused: {exc.message} (HTTP {exc.status})", EXIT_REFUSED)
    except UnsupportedError as exc:
        return fail(exc.message, EXIT_UNSUPPORTED)
    except (ServerUnreachableError, CertificateError) as exc:
        return fail(exc.message, EXIT_CONNECTION)
    except ServiceError as exc:
        return fail(exc.message, EXIT_FAILURE)
    finally:
        api.close()
