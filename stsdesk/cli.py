"""The ``stsdesk`` command: ``serve`` runs the STS, ``token`` requests and inspects tokens."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from stsdesk import __version__
from stsdesk.admin_cli import add_admin_command

if TYPE_CHECKING:  # imported lazily at run time, so --help stays fast
    import datetime as dt

    from cryptography import x509

    from stsdesk.core.tokeninfo import DecodedToken, PrivateKey
    from stsdesk.services.token_session import TokenResult

__all__ = ["main", "build_parser", "read_admin_password", "UsageError",
           "ENV_ADMIN_PASSWORD", "ENV_DATABASE_URL"]

logger = logging.getLogger("stsdesk.cli")

ENV_ADMIN_PASSWORD = "STSDESK_ADMIN_PASSWORD"  # noqa: S105 - a variable name, not a secret
ENV_DATABASE_URL = "STSDESK_DATABASE_URL"
ENV_USER_NAME_PATTERN = "STSDESK_USER_NAME_PATTERN"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2  # argparse's code for a bad command line; used for bad inputs named on it too
EXIT_FAULT = 3  # the STS answered with a SOAP fault


class UsageError(Exception):
    """Something given on the command line or in the environment cannot be used (exit 2)."""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port from 1 to 65535 (or 0: any free)")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("at least one worker is needed")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stsdesk",
        description="Administration console and embedded WS-Trust STS. Run `stsdesk` with no "
        "command to open the desktop console (it starts its own embedded STS). The commands "
        "never open it: `serve` runs only the STS, `token` only talks to one.",
        epilog="`stsdesk COMMAND --help` describes a command.",
    )
    parser.add_argument("--version", action="version", version=f"stsdesk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the embedded STS over HTTPS",
        description="Run the embedded STS over HTTPS until SIGTERM or Ctrl+C. The first start "
        "creates the data directory: database, keys, TLS certificate and the admin user.",
        epilog=f"The admin password for the first start comes from ${ENV_ADMIN_PASSWORD} or "
        "--admin-password-file; with neither, one is generated and shown once.",
    )
    serve.add_argument("--data-dir", required=True, type=Path, metavar="DIR",
                       help="where the server keeps its database, keys and certificates")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=_port, default=9443,
                       help="port to listen on; 0 picks a free one (default: %(default)s)")
    serve.add_argument("--workers", type=_workers, default=1, metavar="N",
                       help="number of worker processes (default: %(default)s)")
    serve.add_argument("--admin-password-file", type=Path, metavar="FILE",
                       help="file holding the admin password for the first start")
    serve.add_argument("--database-url", metavar="URL", default=None,
                       help=f"SQLAlchemy database URL (default: ${ENV_DATABASE_URL}, else SQLite "
                       "in the data directory)")
    serve.add_argument("--user-name-pattern", metavar="REGEX", default=None,
                       help=f"the rule new user names must match (default: "
                       f"${ENV_USER_NAME_PATTERN}, else WSO2's ^[\\S]{{3,30}}$: 3 to 30 "
                       "characters, no spaces)")
    serve.add_argument("--exit-with-parent", action="store_true",
                       help="stop when standard input reaches end-of-file, i.e. when the program "
                       "that started the server with a pipe on it ends (the desktop console "
                       "does this)")
    serve.add_argument("--parent-death-signal", action="store_true",
                       help="on Linux, also stop on the parent-death signal (PR_SET_PDEATHSIG)")
    # SUPPRESS: an absent -v after the command must not undo one given before it.
    serve.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="log debug messages")
    _add_token_commands(commands)
    add_admin_command(commands)
    return parser


def read_admin_password(password_file: Path | None, environ: Mapping[str, str]) -> str | None:
    """The admin password from --admin-password-file, else from $STSDESK_ADMIN_PASSWORD.

    The file wins over the environment, as the more explicit of the two. Returns None when
    neither is given (the first start then generates one). Raises UsageError.
    """
    if password_file is not None:
        try:
            raw = password_file.read_bytes()
        except OSError as exc:
            raise UsageError(
                f"Cannot read the admin password file {password_file} ({exc.strerror}); check "
                "the path and its permissions."
            ) from exc
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"The admin password file {password_file} is not UTF-8 text; write the password "
                "as plain text."
            ) from exc
        password = text.rstrip("\r\n")
        if not password:
            raise UsageError(
                f"The admin password file {password_file} is empty; write the password in it."
            )
        return password
    if ENV_ADMIN_PASSWORD in environ:
        password = environ[ENV_ADMIN_PASSWORD]
        if not password:
            raise UsageError(
                f"${ENV_ADMIN_PASSWORD} is set but empty; set it to the password or unset it "
                "to have one generated."
            )
        return password
    return None


def _fail(message: str, code: int) -> int:
    print(f"stsdesk: error: {message}", file=sys.stderr, flush=True)
    return code


def _user_name_pattern(args: argparse.Namespace) -> dict[str, str]:
    """The user-name rule given on the command line or in the environment ({}: the default)."""
    pattern = args.user_name_pattern or os.environ.get(ENV_USER_NAME_PATTERN)
    return {"user_name_pattern": pattern} if pattern else {}


def _serve(args: argparse.Namespace) -> int:
    # Imported here so that --help and --version stay fast and need no server dependencies.
    from stsdesk.server.errors import ServerError, StartupError
    from stsdesk.server.runner import (
        PortInUseError,
        WorkerPool,
        configure_logging,
        exit_with_parent,
    )
    from stsdesk.server.settings import ServerSettings

    try:
        admin_password = read_admin_password(args.admin_password_file, os.environ)
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    configure_logging(args.verbose)
    try:
        settings = ServerSettings(
            data_dir=args.data_dir.expanduser().absolute(),
            host=args.host,
            port=args.port,
            workers=args.workers,
            database_url=args.database_url or os.environ.get(ENV_DATABASE_URL) or None,
            admin_password=admin_password,
            **_user_name_pattern(args),
        )
    except ServerError as exc:
        return _fail(exc.message, EXIT_USAGE)

    pool = WorkerPool(settings, verbose=args.verbose)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        pool.request_stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    if args.exit_with_parent or args.parent_death_signal:
        exit_with_parent(pool.request_stop, watch_stdin=args.exit_with_parent,
                         death_signal=args.parent_death_signal)
    try:
        generated_password = pool.open()
        if generated_password is not None:
            print(
                f"Generated admin password (shown once, store it safely): {generated_password}",
                flush=True,
            )
        pool.start()
        if not pool.stop_requested:
            print(f"stsdesk server ready at {pool.url}", flush=True)
            logger.info("Serving with %d worker(s); stop with Ctrl+C or SIGTERM",
                        settings.workers)
            pool.wait()
        logger.info("Stopping")
        return EXIT_OK
    except PortInUseError as exc:
        return _fail(
            f"Port {exc.port} on {exc.host} is already in use; stop the other server or choose "
            "another --port (0 picks a free one).",
            EXIT_FAILURE,
        )
    except StartupError as exc:
        return _fail(exc.message, EXIT_FAILURE)
    except ServerError as exc:
        return _fail(exc.message, EXIT_FAILURE)
    finally:
        pool.stop()
        for sig, handler in previous.items():
            if handler is not None:
                signal.signal(sig, handler)


# -- stsdesk token ----------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value:g} is not a positive number")
    return value


class _RefusePassword(argparse.Action):
    """``--password`` exists only to refuse it without echoing the value back."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            "--password is not accepted: a password on the command line ends up in the shell "
            "history and the process list. Use --password-file FILE, or leave it out to be "
            "asked for it."
        )


def _add_decoding_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trust-cert", type=Path, action="append", default=[], metavar="PEM",
                        help="a certificate whose signatures count as valid (repeatable; its "
                        "file name is its alias)")
    parser.add_argument("--key", type=Path, action="append", default=[], metavar="PEM|P12",
                        help="a private key to decrypt an encrypted token or proof key "
                        "(repeatable)")
    parser.add_argument("--key-password-file", type=Path, metavar="FILE",
                        help="file holding the password of the --key files")
    parser.add_argument("--skew", type=int, default=300, metavar="SECONDS",
                        help="clock skew allowed when judging validity (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log debug messages")


def _add_token_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    token = commands.add_parser(
        "token",
        help="request a token from an STS, or inspect one",
        description="Request a token from a WS-Trust STS (stsdesk's own, WSO2 Identity Server, "
        "ADFS-style endpoints) and show it decoded and checked, or inspect a token from a file.",
    )
    actions = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    issue = actions.add_parser(
        "issue",
        allow_abbrev=False,  # "--password" must never be read as "--password-file"
        help="request a token and show it decoded",
        description="Send a WS-Trust Issue request with a username token and show the token "
        "that comes back: its fields, signature, encryption and proof key.",
        epilog="The password is read from --password-file or asked for; it is never taken on "
        "the command line. Exit status: 0 issued, 1 not reached, 2 bad usage, 3 the STS "
        "refused (its fault code and reason are printed).",
    )
    issue.add_argument("--sts", required=True, metavar="URL", help="the STS endpoint")
    issue.add_argument("--soap", choices=["1.1", "1.2"], default="1.2",
                       help="SOAP version (default: %(default)s)")
    issue.add_argument("--trust", choices=["2005", "1.3"], default="1.3",
                       help="WS-Trust version: 2005/02 or 1.3 (default: %(default)s)")
    issue.add_argument("--token-type", choices=["saml11", "saml20"], default="saml20",
                       help="(default: %(default)s)")
    issue.add_argument("--key-type", choices=["bearer", "symmetric", "public"], default="bearer",
                       help="(default: %(default)s)")
    issue.add_argument("--entropy", action="store_true",
                       help="symmetric key: send client entropy and compute the key with P_SHA1")
    issue.add_argument("--key-size", type=_positive_int, default=256, metavar="BITS",
                       help="symmetric proof key size (default: %(default)s)")
    issue.add_argument("--applies-to", metavar="URI", help="the relying party's audience")
    issue.add_argument("--claim", dest="claims", action="append", default=[], metavar="URI",
                       help="a claim to request (repeatable)")
    issue.add_argument("--dialect", metavar="URI", help="the claims dialect")
    issue.add_argument("--wso2-dialect", action="store_true",
                       help="write the claims Dialect attribute in the WS-Trust namespace, as "
                       "WSO2's client does")
    issue.add_argument("--lifetime", type=_positive_int, metavar="SECONDS",
                       help="requested token lifetime")
    issue.add_argument("--username", required=True, help="the user to request the token as")
    issue.add_argument("--password-file", type=Path, metavar="FILE",
                       help="file holding the password (else it is asked for)")
    issue.add_argument("--password", nargs="?", action=_RefusePassword, help=argparse.SUPPRESS)
    issue.add_argument("--digest", action="store_true", help="send a password digest, not text")
    tls = issue.add_mutually_exclusive_group()
    tls.add_argument("--ca-file", type=Path, metavar="FILE",
                     help="trust the STS's TLS certificate if this CA file vouches for it")
    tls.add_argument("--pin", metavar="SHA256",
                     help="trust exactly the TLS certificate with this SHA-256 fingerprint")
    tls.add_argument("--insecure", action="store_true",
                     help="do not check the TLS certificate (test servers only)")
    issue.add_argument("--client-cert", type=Path, metavar="FILE",
                       help="the client's certificate and key (public key type, or UseKey): "
                            "a PKCS#12 or JKS file, a PEM file holding both, or a certificate "
                            "with --client-key")
    issue.add_argument("--client-key", type=Path, metavar="PEM|P12",
                       help="the certificate's private key, when the --client-cert file holds "
                            "none")
    issue.add_argument("--client-key-password-file", type=Path, metavar="FILE",
                       help="file holding the password of whichever client file is protected")
    issue.add_argument("--timeout", type=_positive_float, default=30.0, metavar="SECONDS",
                       help="give up after this long (default: %(default)s)")
    issue.add_argument("--messages", action="store_true",
                       help="also print the request (password masked) and the response")
    issue.add_argument("--out", type=Path, metavar="FILE",
                       help="write the token, as received, to FILE")
    _add_decoding_arguments(issue)
    inspect = actions.add_parser(
        "inspect",
        allow_abbrev=False,
        help="decode and check a token from a file",
        description="Read a SAML 1.1/2.0 assertion, an EncryptedAssertion, an RSTR or SOAP "
        "envelope, as XML, base64 or base64+deflate, and show it decoded and checked.",
        epilog="The certificate carried in the token alone makes it 'untrusted'; give the "
        "issuer's certificate with --trust-cert to check the signature.",
    )
    inspect.add_argument("file", metavar="FILE|-", help="the token file, or - for standard input")
    _add_decoding_arguments(inspect)


def _read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"Cannot read the {what} {path} ({exc.strerror}); check the path and its permissions."
        ) from exc


def _read_secret(path: Path, what: str) -> str:
    try:
        text = _read_file(path, what).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"The {what} {path} is not UTF-8 text.") from exc
    secret = text.rstrip("\r\n")
    if not secret:
        raise UsageError(f"The {what} {path} is empty; write the password in it.")
    return secret


def _user_password(args: argparse.Namespace) -> str:
    if args.password_file is not None:
        return _read_secret(args.password_file, "password file")
    if not sys.stdin.isatty():
        raise UsageError(
            "No password: give --password-file FILE, or run in a terminal to be asked for it."
        )
    import getpass

    password = getpass.getpass(f"Password for {args.username}: ")
    if not password:
        raise UsageError("No password was entered.")
    return password


def _decoding_inputs(
    args: argparse.Namespace,
) -> tuple[dict[str, x509.Certificate], list[PrivateKey]]:
    from stsdesk.core.certificate_files import load_private_key
    from stsdesk.core.certificates import load_certificate
    from stsdesk.core.errors import StsError

    trusted: dict[str, x509.Certificate] = {}
    for path in args.trust_cert:
        try:
            trusted[path.stem] = load_certificate(_read_file(path, "certificate"))
        except StsError as exc:
            raise UsageError(f"{path}: {exc.message}") from exc
    password = (_read_secret(args.key_password_file, "key password file")
                if args.key_password_file is not None else None)
    keys: list[PrivateKey] = []
    for path in args.key:
        try:
            keys.append(load_private_key(_read_file(path, "private key"), password))
        except StsError as exc:
            raise UsageError(f"{path}: {exc.message}") from exc
    return trusted, keys


def _token(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if getattr(args, "verbose", False):
        logging.basicConfig(level=logging.DEBUG)
    try:
        if args.token_command == "issue":
            return _token_issue(args)
        return _token_inspect(args)
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE)


def _fault_label(code: str) -> str:
    from lxml import etree

    from stsdesk.core import ns

    name = etree.QName(code)
    prefixes = {ns.WST_13: "wst", ns.WST_2005: "wst", ns.WSSE: "wsse"}
    prefix = prefixes.get(name.namespace or "")
    return f"{prefix}:{name.localname}" if prefix else code


def _token_issue(args: argparse.Namespace) -> int:
    import json

    from lxml import etree

    from stsdesk.core import ns
    from stsdesk.core.errors import StsError
    from stsdesk.core.soap import SoapVersion
    from stsdesk.core.wstrust import KeyType, TokenType, TrustVersion
    from stsdesk.services.errors import InputError, RequestCancelledError
    from stsdesk.services.tls import TrustPolicy
    from stsdesk.services.token_session import (
        TokenRequestOptions,
        TokenSession,
        load_client_key_pair,
    )

    trusted, keys = _decoding_inputs(args)
    client_pair = None
    if args.client_key is not None and args.client_cert is None:
        raise UsageError(
            "Give --client-cert with --client-key: the key's certificate (or one PKCS#12 file "
            "holding both, as --client-cert alone).")
    if args.client_cert is not None:
        key_password = (_read_secret(args.client_key_password_file, "key password file")
                        if args.client_key_password_file is not None else None)
        try:
            client_pair = load_client_key_pair(
                _read_file(args.client_cert, "client certificate"),
                (_read_file(args.client_key, "client key")
                 if args.client_key is not None else None),
                key_password,
                filename=args.client_cert.name,
            )
        except (StsError, InputError) as exc:  # the key pair's errors name the file to fix
            raise UsageError(exc.message) from exc
    try:
        tls = TrustPolicy(
            pinned_sha256=args.pin,
            ca_file=str(args.ca_file) if args.ca_file is not None else None,
            insecure=args.insecure,
        )
    except InputError as exc:
        raise UsageError(exc.message) from exc
    password = _user_password(args)
    try:
        options = TokenRequestOptions(
            endpoint=args.sts,
            username=args.username,
            password=password,
            soap_version=SoapVersion.SOAP11 if args.soap == "1.1" else SoapVersion.SOAP12,
            trust_version=TrustVersion.WST_2005 if args.trust == "2005" else TrustVersion.WST_13,
            token_type=TokenType.SAML11 if args.token_type == "saml11" else TokenType.SAML20,
            key_type={"bearer": KeyType.BEARER, "symmetric": KeyType.SYMMETRIC,
                      "public": KeyType.PUBLIC}[args.key_type],
            client_entropy=args.entropy,
            key_size=args.key_size,
            client_certificate=client_pair,
            applies_to=args.applies_to,
            claims_dialect=args.dialect or (ns.WSO2_CLAIMS if args.wso2_dialect else None),
            claims=tuple(args.claims),
            dialect_in_trust_namespace=args.wso2_dialect,
            lifetime_seconds=args.lifetime,
            password_digest=args.digest,
            tls=tls,
            timeout_seconds=args.timeout,
            addressing_namespace=ns.WSA_2004 if args.trust == "2005" else ns.WSA_2005,
        )
    except StsError as exc:
        raise UsageError(exc.message) from exc
    if tls.warning:
        print(f"stsdesk: warning: {tls.warning}", file=sys.stderr, flush=True)
    with TokenSession(options, trusted=trusted, private_keys=keys) as session:
        try:
            result = session.issue()
        except (RequestCancelledError, KeyboardInterrupt):
            return _fail("The request was cancelled.", EXIT_FAILURE)
    if result.error:
        return _fail(result.error, EXIT_FAILURE)
    if args.json:
        print(json.dumps(_result_dict(result, args.skew), indent=2))
    else:
        _print_result(result, args.skew)
    if args.messages and not args.json and result.exchange is not None:
        print("\n--- request (password masked) ---")
        print(result.exchange.request_xml)
        print("--- response ---")
        print(result.exchange.response_xml)
    if result.fault_code:
        return _fail(
            f"the STS refused the request: {_fault_label(result.fault_code)}: "
            f"{result.fault_reason}",
            EXIT_FAULT,
        )
    if args.out is not None and result.token is not None:
        try:
            args.out.write_bytes(etree.tostring(result.token, xml_declaration=True,
                                                encoding="utf-8"))
        except OSError as exc:
            return _fail(f"Cannot write the token to {args.out} ({exc.strerror}).", EXIT_FAILURE)
    return EXIT_OK


def _token_inspect(args: argparse.Namespace) -> int:
    from stsdesk.core.errors import StsError
    from stsdesk.core.tokeninfo import decode_token
    from stsdesk.core.tokeninput import extract_token
    from stsdesk.core.tokenjson import to_json
    from stsdesk.core.wssec.header_report import HeaderKeys, read_security_header
    from stsdesk.core.wssec.header_text import report_lines

    trusted, keys = _decoding_inputs(args)
    data = sys.stdin.buffer.read() if args.file == "-" else _read_file(Path(args.file), "token")
    try:  # a secured SOAP message: its security header first, then the token it carries
        report = read_security_header(data, HeaderKeys(tuple(keys), tuple(trusted.values())))
    except StsError:
        report = None
    secured = report is not None and report.has_security
    if report is not None and secured and not args.json:
        print("\n".join(report_lines(report)))
    try:
        source = report.clear_envelope if report is not None and secured else data
        decoded = decode_token(extract_token(source), trusted=trusted, private_keys=keys)
    except StsError as exc:
        if secured and not args.json:
            print(f"Token:        none readable ({exc.message})")
            return EXIT_OK
        return _fail(exc.message, EXIT_FAILURE)
    if args.json:
        print(to_json(decoded, skew_seconds=args.skew))
    else:
        _print_decoded(decoded, args.skew)
    return EXIT_OK


def _result_dict(result: TokenResult, skew: int) -> dict[str, Any]:
    from stsdesk.core.tokenjson import to_dict

    exchange = result.exchange
    proof = result.proof
    return {
        "action": result.action.value,
        "ok": result.ok,
        "http_status": exchange.status if exchange is not None else None,
        "elapsed_seconds": exchange.elapsed_seconds if exchange is not None else None,
        "fault": None if result.fault_code is None else {
            "code": result.fault_code,
            "name": result.fault_name,
            "reason": result.fault_reason,
        },
        "warnings": list(result.warnings),
        "token": to_dict(result.decoded, skew_seconds=skew) if result.decoded else None,
        "proof": None if proof is None else {
            "source": proof.source.value,
            "description": proof.description,
            "size_bits": proof.size_bits,
            "key_sha256": proof.key_sha256,
            "relying_party_view": proof.relying_party_view,
            "matches_relying_party": proof.matches_relying_party,
        },
    }


def _print_result(result: TokenResult, skew: int) -> None:
    exchange = result.exchange
    if exchange is not None:
        print(f"HTTP {exchange.status} in {exchange.elapsed_seconds:.3f} s")
    for warning in result.warnings:
        print(f"Warning:      {warning}")
    if result.decoded is not None:
        _print_decoded(result.decoded, skew)
    proof = result.proof
    if proof is not None and proof.source.value != "none":
        size = f"{proof.size_bits} bits, " if proof.size_bits else ""
        print(f"Proof key:    {size}{proof.description}")
        if proof.key_sha256:
            print(f"  SHA-256 of the key: {proof.key_sha256}")
        print(f"  The relying party sees {proof.relying_party_view}.")
        if proof.matches_relying_party is not None:
            same = "the same key" if proof.matches_relying_party else "a DIFFERENT key"
            print(f"  The key in the token is {same}.")


def _print_decoded(decoded: DecodedToken, skew: int) -> None:
    def line(label: str, value: object) -> None:
        if value not in (None, "", ()):
            print(f"{label + ':':<14}{value}")

    def when(value: dt.datetime | None) -> str | None:
        return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else None

    line("Token", f"{decoded.form.value} ({decoded.encoding.value}, in {decoded.container})")
    if decoded.response is not None:
        line("Token type", decoded.response.token_type)
        line("Applies to", decoded.response.applies_to)
    encryption = decoded.encryption
    if encryption is not None:
        state = "decrypted" if encryption.decrypted else "NOT decrypted"
        line("Encryption", f"{state}: {encryption.reason}")
        line("  data", encryption.data_algorithm)
        line("  key", encryption.key_transport)
    line("SAML version", decoded.version.value if decoded.version else None)
    line("ID", decoded.assertion_id)
    line("Issuer", decoded.issuer)
    line("Issued", when(decoded.issue_instant))
    if decoded.subject is not None:
        name_format = decoded.subject.name_id_format
        line("Subject", f"{decoded.subject.name_id}" + (f" ({name_format})" if name_format else ""))
        line("Confirmation", decoded.subject.confirmation_method)
    if decoded.conditions is not None:
        timeline = decoded.validity(skew_seconds=skew)
        line("Valid", f"{when(decoded.conditions.not_before) or '?'} to "
                      f"{when(decoded.conditions.not_on_or_after) or '?'}")
        line("  now", f"{timeline.state.value.upper()}: {timeline.note}")
        line("Audiences", ", ".join(decoded.conditions.audiences))
    if decoded.authn is not None:
        line("Authn", f"{decoded.authn.method or '?'} at {when(decoded.authn.instant) or '?'}")
    if decoded.attributes:
        print("Attributes:")
        for attribute in decoded.attributes:
            print(f"  {attribute.claim_uri} = {', '.join(attribute.values)}")
    hok = decoded.holder_of_key
    if hok is not None and hok.kind.value != "bearer":
        bits = f", {hok.key_bits} bits" if hok.key_bits else ""
        line("Holder of key", f"{hok.kind.value}{bits}; the relying party sees "
                              f"{hok.relying_party_view}")
    signature = decoded.signature
    line("Signature", f"{signature.status.value.upper()}: {signature.reason}")
    line("  algorithm", signature.algorithm)
    line("  digest", signature.digest_algorithm)
    line("  reference", signature.reference)
    if signature.weak_algorithm:
        print("  SHA-1 is weak; ask the issuer to sign with SHA-256.")
    if signature.certificate is not None:
        cert = signature.certificate
        alias = f" (trusted as '{signature.trusted_alias}')" if signature.trusted_alias else ""
        line("  certificate", f"{cert.subject}{alias}")
        line("  issued by", cert.issuer)
        line("  SHA-256", cert.sha256_fingerprint)
        line("  valid", f"{when(cert.not_before)} to {when(cert.not_after)}")
    for problem in decoded.problems:
        line("Problem", problem)


def _desktop() -> int:
    """No command: the desktop console (imported here so `stsdesk serve` never loads Qt)."""
    try:
        from stsdesk.ui.app import main as run_desktop
    except ImportError as exc:
        # Qt's wheels need a few system libraries (EGL/OpenGL, fontconfig, xkbcommon, ...).
        print(
            f"The desktop console cannot load Qt: {exc}.\n"
            "Install Qt's system libraries (on Debian/Ubuntu: bash scripts/system-deps.sh, which "
            "`make run` calls), or run only the STS with `stsdesk serve --data-dir DIR`.",
            file=sys.stderr,
        )
        return 1
    return run_desktop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        if args.command in ("token", "admin"):
            # Values are not echoed: a mistyped option may have been followed by a password.
            options = sorted({item.split("=", 1)[0] for item in extras if item.startswith("-")})
            parser.error(
                f"unrecognized arguments: {' '.join(options) or '(values not shown)'}; see "
                f"stsdesk {args.command} --help"
            )
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    if args.command is None:
        return _desktop()
    if args.command == "serve":
        return _serve(args)
    if args.command == "token":
        return _token(args, parser)
    if args.command == "admin":
        from stsdesk.admin_cli import run_admin

        if getattr(args, "verbose", False):
            logging.basicConfig(level=logging.DEBUG)
        return run_admin(args)
    parser.error(f"unknown command {args.command!r}")  # argparse refuses it before this
    return EXIT_USAGE
