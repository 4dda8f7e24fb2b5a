"""How the STS runs: uvicorn over HTTPS in worker processes (``stsdesk serve``) or in a thread."""

from __future__ import annotations

import collections
import dataclasses
import errno
import gc
import http.client
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from stsdesk.server.app import build_app
from stsdesk.server.bootstrap import BootstrapResult, initialise, open_existing
from stsdesk.server.errors import StartupError
from stsdesk.server.settings import ServerSettings

__all__ = [
    "BackgroundServer", "PortInUseError", "WorkerPool", "bind_socket", "configure_logging",
    "loopback_host", "server_url",
]

logger = logging.getLogger("stsdesk.server.runner")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# A request that has not finished this long after a stop request is cut off, so that a stop
# always completes (SIGTERM -> exit within seconds, as service managers expect).
GRACEFUL_SHUTDOWN_SECONDS = 5.0
# Restarting a worker that dies right away again would spin; more than this many restarts in
# RESTART_WINDOW_SECONDS means something is broken for good and the server stops.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0
_HEALTH_PATH = "/health"
_SWITCH_INTERVAL_SECONDS = 0.001


class PortInUseError(StartupError):
    """The address to listen on is taken by another process."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"Port {port} on {host} is already in use; stop the other server or choose "
            "another port (0 picks a free one)."
        )
        self.host = host
        self.port = port


def configure_logging(verbose: bool = False) -> None:
    """Send stsdesk's and uvicorn's log records to stderr with time, level and logger name."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format=LOG_FORMAT, force=True
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host``:``port`` (0 picks a free port) with SO_REUSEADDR.

    SO_REUSEADDR lets a restarted server take its port back while old connections linger in
    TIME_WAIT; it does not let two servers listen on one port.
    """
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise StartupError(
            f"Cannot listen on {host!r}: the name does not resolve ({exc.strerror}). "
            "Use an IP address of this machine, e.g. 127.0.0.1."
        ) from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(host, port) from exc
        if exc.errno == errno.EACCES:
            raise StartupError(
                f"Not allowed to listen on port {port} on {host}; ports below 1024 need "
                "privileges. Choose a port above 1024."
            ) from exc
        raise StartupError(
            f"Cannot listen on {host} port {port} ({exc.strerror}); check that the address "
            "belongs to this machine."
        ) from exc
    # Worker processes inherit it explicitly (pass_fds), never by accident through exec.
    sock.set_inheritable(False)
    return sock


def loopback_host(host: str) -> str:
    """The address a local client uses to reach a server listening on ``host``."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - recognising the wildcard, not binding to it
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def server_url(host: str, port: int) -> str:
    """``https://HOST:PORT``, with an IPv6 literal in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"https://{shown}:{port}"


def check_health(host: str, port: int, ca_file: Path, timeout: float = 5.0) -> dict[str, Any]:
    """GET /health over HTTPS on loopback, verifying the server against ``ca_file``.

    The chain is verified against the data directory's certificate; the host name is not, as the
    certificate names the configured host, and the check may reach a wildcard listener through
    127.0.0.1. Raises OSError, ssl.SSLError or http.client.HTTPException on failure.
    """
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = False
    connection = http.client.HTTPSConnection(
        loopback_host(host), port, timeout=timeout, context=context
    )
    try:
        connection.request("GET", _HEALTH_PATH, headers={"Connection": "close"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise http.client.HTTPException(f"/health answered HTTP {response.status}")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise http.client.HTTPException("/health did not answer JSON") from exc
    if not isinstance(document, dict) or document.get("status") != "ok":
        raise http.client.HTTPException("/health did not report status ok")
    return document


def _uvicorn_config(
    app: ASGIApp, settings: ServerSettings, bootstrap: BootstrapResult, *, log_level: str
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        ssl_certfile=str(settings.tls_cert_path),
        ssl_keyfile=str(settings.tls_key_path),
        # uvicorn hands this to SSLContext.load_cert_chain, which takes bytes as well as str;
        # the master password is bytes and need not be valid UTF-8.
        ssl_keyfile_password=bootstrap.master.password_bytes(),  # type: ignore[arg-type]
        log_level=log_level,
        log_config=None,  # keep our handlers and format; uvicorn's loggers propagate to root
        access_log=False,
        # The server terminates TLS itself and reads no client address or scheme: uvicorn's
        # X-Forwarded-* rewriting is a middleware layer of its own on every request.
        proxy_headers=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN_SECONDS),
        lifespan="on",  # Starlette speaks lifespan; a failing startup must stop the server
        server_header=False,
    )


class _Server(uvicorn.Server):
    """uvicorn's server, minus its signal handling (whoever runs it decides when it stops)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None = None):
        super().__init__(config)
        self._on_started = on_started

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_started is not None:
            self._on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn closes an idle keep-alive connection gracefully, which over TLS means sending
        # close_notify and waiting for the client's; an idle client never answers, so every stop
        # would last the whole graceful timeout. Idle connections carry no request: drop them.
        for connection in list(self.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            transport = getattr(connection, "transport", None)
            if transport is not None and (cycle is None or cycle.response_complete):
                transport.abort()
        await super().shutdown(sockets=sockets)


# --------------------------------------------------------------------------------------------
# In a thread: tests and the desktop launcher.


class BackgroundServer:
    """uvicorn serving the STS over HTTPS on a loopback socket, in a daemon thread."""

    def __init__(self, settings: ServerSettings, *, app: ASGIApp | None = None) -> None:
        self._settings = settings
        self._app = app
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._bootstrap: BootstrapResult | None = None
        self._port: int | None = None
        self._failure: BaseException | None = None

    def start(self, timeout: float = 15.0) -> None:
        """Initialise the data directory, bind, serve, and return once requests are answered.

        Raises StartupError (PortInUseError for a taken port) if the server cannot start.
        """
        if self._thread is not None:
            raise RuntimeError("BackgroundServer.start() was already called")
        self._bootstrap = initialise(self._settings)
        try:
            sock = bind_socket(self._settings.host, self._settings.port)
        except StartupError:
            self._bootstrap.close()
            raise
        self._sock = sock
        self._port = sock.getsockname()[1]
        settings = dataclasses.replace(self._settings, port=self._port)
        try:
            # The application uses the store opened here: one engine and one token journal
            # per server, closed by stop().
            app = self._app if self._app is not None else build_app(self._bootstrap, settings)
            config = _uvicorn_config(app, settings, self._bootstrap, log_level="warning")
        except BaseException:
            sock.close()
            self._bootstrap.close()
            raise
        self._server = _Server(config)
        self._thread = threading.Thread(
            target=self._serve, name=f"stsdesk-server-{self._port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                sock.close()
                raise StartupError(
                    "The server stopped while starting"
                    + (f" ({type(self._failure).__name__})" if self._failure else "")
                    + "; see the log for details."
                ) from self._failure
            if time.monotonic() > deadline:
                self.stop()
                raise StartupError(
                    f"The server did not start within {timeout:g} seconds; see the log for "
                    "details."
                )
            time.sleep(0.01)
        logger.info("Serving at %s", self.url)

    def _serve(self) -> None:
        assert self._server is not None and self._sock is not None
        try:
            self._server.run(sockets=[self._sock])
        except SystemExit as exc:  # uvicorn's way of reporting a failed startup
            self._failure = exc
        except BaseException as exc:  # kept for start() to report; a thread has no caller
            logger.error("The server thread failed", exc_info=True)
            self._failure = exc

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("The server has not been started")
        return self._port

    @property
    def url(self) -> str:
        return server_url(loopback_host(self._settings.host), self.port)

    @property
    def ca_file(self) -> Path:
        return self._settings.tls_cert_path

    @property
    def bootstrap(self) -> BootstrapResult:
        """The opened data directory (its store is closed by stop())."""
        if self._bootstrap is None:
            raise RuntimeError("The server has not been started")
        return self._bootstrap

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread; the port is free again afterwards."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                # Connections that would not finish: cut them off.
                if self._server is not None:
                    self._server.force_exit = True
                self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("The server thread did not stop within %g seconds", 2 * timeout)
        if self._sock is not None:
            self._sock.close()
        if self._bootstrap is not None:
            self._bootstrap.close()

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------
# In processes: ``stsdesk serve``.


def _worker_main(
    settings: ServerSettings,
    sock: socket.socket,
    status: Connection,
    lifeline: Connection,
    verbose: bool,
) -> None:
    """Entry point of a worker process (spawned: it starts from a fresh interpreter)."""
    # The supervisor decides when workers stop: Ctrl+C in a terminal reaches the whole process
    # group, and the supervisor then stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    server: _Server | None = None
    stopping = threading.Event()

    def request_stop(*_: object) -> None:
        stopping.set()
        if server is not None:
            server.should_exit = True

    signal.signal(signal.SIGTERM, request_stop)
    configure_logging(verbose)
    # The event loop thread gets the GIL back within 1 ms of asking (Python's default is 5 ms)
    # from the threads minting tokens, so reads and writes on every connection keep moving.
    sys.setswitchinterval(_SWITCH_INTERVAL_SECONDS)

    def watch_supervisor() -> None:
        # The supervisor holds the only write end of the lifeline: EOF means it stopped us on
        # purpose or died, and either way a worker must not serve on alone.
        try:
            lifeline.recv()
        except (EOFError, OSError):
            pass
        request_stop()

    threading.Thread(target=watch_supervisor, name="lifeline", daemon=True).start()
    bootstrap: BootstrapResult | None = None
    try:
        bootstrap = open_existing(settings)
        app = build_app(bootstrap, settings)  # bootstrap.close() below closes its store
        config = _uvicorn_config(
            app, settings, bootstrap, log_level="debug" if verbose else "warning"
        )
        def on_started() -> None:
            _freeze_startup_heap()
            _report(status, ("ready", os.getpid()))

        server = _Server(config, on_started=on_started)
        if not stopping.is_set():
            server.run(sockets=[sock])
    except StartupError as exc:
        _report(status, ("error", str(exc)))
        raise SystemExit(1) from None
    except Exception as exc:
        if server is not None and server.started:
            logger.error("Worker process %d failed while serving", os.getpid(), exc_info=True)
            raise SystemExit(1) from None
        # A bug, not a condition the operator can fix; the start fails with one line, and the
        # traceback goes to the debug log (-v), as library exception texts may quote
        # configuration such as a database URL.
        logger.debug("Worker failed to start", exc_info=True)
        _report(
            status,
            ("error", f"A worker process failed to start ({type(exc).__name__}); "
                      "run with -v to see the details."),
        )
        raise SystemExit(1) from None
    finally:
        if bootstrap is not None:
            bootstrap.close()


def _freeze_startup_heap() -> None:
    """Keep what a worker built while starting out of every later garbage collection.

    A started worker holds some 150,000 objects (the frameworks, the configuration, the keys)
    that live as long as it does. A full collection walked all of them, holding the GIL for
    around 100 ms, and every request in the worker waited that long: a latency cliff under
    load. Frozen, they are never walked again; a full collection walks only what came since.
    """
    gc.collect()
    gc.freeze()


def _report(status: Connection, message: tuple[str, object]) -> None:
    try:
        status.send(message)
    except OSError:  # the supervisor is gone; the lifeline stops this worker
        pass


def exit_with_parent(stop: Callable[[], None], *, watch_stdin: bool, death_signal: bool) -> None:
    """Call ``stop`` when the process that started this server ends, however it ends.

    The desktop console starts ``stsdesk serve`` with a pipe on its standard input and never
    writes to it: when the console ends — closed, SIGTERM, SIGKILL, a crash — the kernel closes
    the pipe and the read below sees end-of-file. That works everywhere. On Linux, with
    ``death_signal``, the kernel also sends SIGTERM when the parent dies (PR_SET_PDEATHSIG);
    the parent must then have started us from a thread that lives as long as it does, since
    the signal follows the thread, not the process.
    """
    if death_signal and sys.platform.startswith("linux"):
        _set_parent_death_signal(signal.SIGTERM)
    if not watch_stdin:
        return

    def watch() -> None:
        stream = sys.stdin.buffer if sys.stdin is not None else None
        try:
            while stream is not None and stream.read(4096):
                pass  # the console never writes; anything read is ignored
        except (OSError, ValueError):
            pass
        logger.info("The console that started this server has ended; stopping")
        stop()

    threading.Thread(target=watch, name="stsdesk-parent-watch", daemon=True).start()


def _set_parent_death_signal(signum: int) -> None:
    import ctypes

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(pr_set_pdeathsig, int(signum), 0, 0, 0) != 0:
            logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except (OSError, AttributeError) as exc:  # not glibc/musl: the stdin pipe still works
        logger.warning("No parent-death signal (%s); relying on the stdin pipe", exc)


@dataclasses.dataclass
class _Worker:
    process: BaseProcess
    status: Connection
    lifeline: Connection
    ready: bool = False


class WorkerPool:
    """The ``stsdesk serve`` supervisor: one listening socket, N uvicorn worker processes.

    ``open()`` binds and initialises the data directory, ``start()`` starts the workers and
    returns once a real HTTPS request to /health succeeds, ``wait()`` blocks until
    ``request_stop()`` (async-signal-safe, for signal handlers) and restarts workers that die.
    """

    def __init__(
        self, settings: ServerSettings, *, verbose: bool = False, startup_timeout: float = 60.0
    ) -> None:
        self._settings = settings
        self._verbose = verbose
        self._startup_timeout = startup_timeout
        self._context = multiprocessing.get_context("spawn")
        self._sock: socket.socket | None = None
        self._workers: list[_Worker] = []
        self._restarts: collections.deque[float] = collections.deque()
        # Self-pipe: a signal handler writes a byte, the supervisor's wait() wakes up.
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._stop_requested = False
        self._closed = False

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("The pool has not been opened")
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        return server_url(self._settings.host, self.port)

    @property
    def worker_pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def request_stop(self) -> None:
        """Ask the pool to stop; safe to call from a signal handler."""
        self._stop_requested = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:  # the pipe is full (already woken) or closed (already stopped)
            pass

    def open(self) -> str | None:
        """Bind the listening socket, then create or open the data directory.

        Returns the admin password generated by this very first start, if any, to be shown once.
        """
        self._sock = bind_socket(self._settings.host, self._settings.port)
        # Workers see the real port (--port 0), e.g. for the endpoint addresses in the WSDL.
        self._settings = dataclasses.replace(self._settings, port=self.port)
        result = initialise(self._settings)
        result.close()  # the workers open the data directory for themselves
        return result.generated_admin_password

    def start(self) -> None:
        """Start the workers and wait until they serve; StartupError if they cannot."""
        if self._sock is None:
            raise RuntimeError("WorkerPool.open() must be called before start()")
        for _ in range(self._settings.workers):
            self._workers.append(self._spawn())
        deadline = time.monotonic() + self._startup_timeout
        while not all(w.ready for w in self._workers):
            if self._stop_requested:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StartupError(
                    f"The workers did not start within {self._startup_timeout:g} seconds; "
                    "see the log above."
                )
            self._wait_for_events(remaining)
            for worker in self._workers:
                self._read_status(worker, starting=True)
        self._check_ready(deadline)

    def _check_ready(self, deadline: float) -> None:
        # Workers listening is not yet serving: prove it end to end, TLS included.
        while True:
            try:
                document = check_health(
                    self._settings.host, self.port, self._settings.tls_cert_path
                )
            except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
                if time.monotonic() > deadline or self._stop_requested:
                    raise StartupError(
                        f"The server started but does not answer over HTTPS ({exc}); "
                        "see the log above."
                    ) from exc
                logger.debug("Health check failed, retrying: %s", exc)
                time.sleep(0.1)
                continue
            logger.debug("Health check answered by worker %s", document.get("pid"))
            return

    def wait(self) -> None:
        """Serve until request_stop(); restart workers that die. StartupError if they keep dying."""
        while not self._stop_requested:
            self._wait_for_events(None)
            if self._stop_requested:
                break
            for index, worker in enumerate(self._workers):
                self._read_status(worker, starting=False)
                if worker.process.is_alive():
                    continue
                self._note_restart(worker)
                self._close_worker(worker)
                self._workers[index] = self._spawn()

    def _note_restart(self, worker: _Worker) -> None:
        now = time.monotonic()
        while self._restarts and now - self._restarts[0] > RESTART_WINDOW_SECONDS:
            self._restarts.popleft()
        if len(self._restarts) >= MAX_RESTARTS:
            raise StartupError(
                f"Worker processes keep stopping ({MAX_RESTARTS} restarts within "
                f"{RESTART_WINDOW_SECONDS:g} seconds); the server is stopping. See the log above."
            )
        self._restarts.append(now)
        logger.warning(
            "Worker process %s stopped unexpectedly (exit code %s); starting a new one",
            worker.process.pid, worker.process.exitcode,
        )

    def stop(self, timeout: float = GRACEFUL_SHUTDOWN_SECONDS + 3.0) -> None:
        """Stop the workers gracefully (killing those that do not stop in time) and clean up."""
        if self._closed:
            return
        self._closed = True
        for worker in self._workers:
            worker.lifeline.close()  # EOF tells the worker to stop
            if worker.process.is_alive():
                worker.process.terminate()
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                logger.warning("Worker %s did not stop in time; killing it", worker.process.pid)
                worker.process.kill()
                worker.process.join(2.0)
            self._close_worker(worker)
        self._workers.clear()
        if self._sock is not None:
            self._sock.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    # -- helpers

    def _spawn(self) -> _Worker:
        assert self._sock is not None
        status_r, status_w = self._context.Pipe(duplex=False)
        lifeline_r, lifeline_w = self._context.Pipe(duplex=False)
        # The admin password only matters to initialise(), which already ran here.
        settings = dataclasses.replace(self._settings, admin_password=None)
        process = self._context.Process(
            target=_worker_main,
            args=(settings, self._sock, status_w, lifeline_r, self._verbose),
            name="stsdesk-worker",
            daemon=True,
        )
        process.start()
        # Our copies of the child's ends: closing them makes EOF mean what it should.
        status_w.close()
        lifeline_r.close()
        logger.debug("Started worker process %s", process.pid)
        return _Worker(process, status_r, lifeline_w)

    def _wait_for_events(self, timeout: float | None) -> None:
        handles: list[Any] = [self._wake_r]
        for worker in self._workers:
            handles.append(worker.process.sentinel)
            if not worker.status.closed:
                handles.append(worker.status)
        multiprocessing.connection.wait(handles, timeout)
        try:
            while os.read(self._wake_r, 512):
                pass
        except BlockingIOError:
            pass

    def _read_status(self, worker: _Worker, *, starting: bool) -> None:
        while not worker.status.closed and worker.status.poll():
            try:
                kind, value = worker.status.recv()
            except (EOFError, OSError):
                worker.status.close()
                break
            if kind == "ready":
                worker.ready = True
                logger.debug("Worker process %s is serving", value)
            elif kind == "error":
                raise StartupError(str(value))
        if starting and not worker.ready and not worker.process.is_alive():
            raise StartupError(
                f"A worker process stopped while starting (exit code {worker.process.exitcode}); "
                "see the log above."
            )

    @staticmethod
    def _close_worker(worker: _Worker) -> None:
        worker.status.close()
        worker.lifeline.close()
        if not worker.process.is_alive():
            worker.process.close()
