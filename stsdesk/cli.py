"""The ``stsdesk`` command: ``stsdesk serve`` runs the STS; with no arguments, the help for now."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

from stsdesk import __version__

__all__ = ["main", "build_parser", "read_admin_password", "UsageError",
           "ENV_ADMIN_PASSWORD", "ENV_DATABASE_URL"]

logger = logging.getLogger("stsdesk.cli")

ENV_ADMIN_PASSWORD = "STSDESK_ADMIN_PASSWORD"  # noqa: S105 - a variable name, not a secret
ENV_DATABASE_URL = "STSDESK_DATABASE_URL"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2  # argparse's code for a bad command line; used for bad inputs named on it too


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
        description="Administration console and embedded WS-Trust STS.",
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
    # SUPPRESS: an absent -v after the command must not undo one given before it.
    serve.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="log debug messages")
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


def _serve(args: argparse.Namespace) -> int:
    # Imported here so that --help and --version stay fast and need no server dependencies.
    from stsdesk.server.errors import ServerError, StartupError
    from stsdesk.server.runner import PortInUseError, WorkerPool, configure_logging
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
        )
    except ServerError as exc:
        return _fail(exc.message, EXIT_USAGE)

    pool = WorkerPool(settings, verbose=args.verbose)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        pool.request_stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # No command: the desktop console (imported here so `stsdesk serve` never loads Qt).
        from stsdesk.ui.app import main as run_desktop

        return run_desktop()
    if args.command == "serve":
        return _serve(args)
    parser.error(f"unknown command {args.command!r}")  # argparse refuses it before this
    return EXIT_USAGE
