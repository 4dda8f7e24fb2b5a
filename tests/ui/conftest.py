"""GUI tests: offscreen Qt, an in-memory keyring, and either a real embedded server over HTTPS
(``window``: flows that must reach a server) or the in-memory fake admin API (``fake_window``:
tests that only check what is shown)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import keyring  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from stsdesk.server.runner import BackgroundServer  # noqa: E402
from stsdesk.server.settings import ServerSettings  # noqa: E402
from stsdesk.services.admin_client import AdminClient, ServerEndpoint  # noqa: E402
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint  # noqa: E402
from tests.helpers import memory_keyring  # noqa: E402
from tests.helpers.fake_admin import FakeAdminApi  # noqa: E402

ADMIN_PASSWORD = "Gui-admin-passw0rd"
SCREEN_SIZE = (1280, 800)


@pytest.fixture(autouse=True)
def _answer_confirmations_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real confirmation box would block offscreen forever (a window with unsaved changes
    asks when pytest-qt closes it at teardown); tests that need another answer patch it."""
    from stsdesk.ui.dialogs import confirm

    monkeypatch.setattr(confirm, "ask", lambda *args, **kwargs: True)


@pytest.fixture(autouse=True)
def _memory_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    memory_keyring.install()
    yield
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    settings = ServerSettings(data_dir=tmp_path_factory.mktemp("ui-data"), port=0,
                              admin_password=ADMIN_PASSWORD)
    with BackgroundServer(settings) as running:
        yield running


@pytest.fixture
def endpoint(ui_server: BackgroundServer) -> ServerEndpoint:
    pin = fingerprint(fetch_certificate(ui_server.url))
    return ServerEndpoint(ui_server.url, "admin", ADMIN_PASSWORD, TrustPolicy(pinned_sha256=pin))


@pytest.fixture
def admin_client(endpoint: ServerEndpoint) -> Iterator[AdminClient]:
    """A second client, to check the server's state behind the GUI's back."""
    client = AdminClient(endpoint)
    yield client
    client.close()


@pytest.fixture
def window(qtbot, endpoint: ServerEndpoint, tmp_path: Path):
    from stsdesk.ui.app import build_window

    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    main = build_window(endpoint, name="Test server", settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    main.resize(*SCREEN_SIZE)
    main.show()
    qtbot.waitUntil(lambda: main.connection.state == "connected", timeout=10_000)
    yield main
    main.runner.wait(10_000)


@pytest.fixture
def fake_admin() -> FakeAdminApi:
    """The fake admin API a ``fake_window`` shows; tests set up its state through it."""
    return FakeAdminApi()


@pytest.fixture
def fake_window(qtbot, fake_admin: FakeAdminApi, tmp_path: Path):
    from stsdesk.ui.app import build_window_for

    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    main = build_window_for(fake_admin, name="Fake server", settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    main.resize(*SCREEN_SIZE)
    main.show()
    qtbot.waitUntil(lambda: main.connection.state == "connected", timeout=10_000)
    yield main
    main.runner.wait(10_000)


def screenshot(widget, name: str) -> Path:
    """Render ``widget`` to PNG: into $STSDESK_SCREENSHOT_DIR when set (README pictures)."""
    target = Path(os.environ.get("STSDESK_SCREENSHOT_DIR") or os.environ.get("PYTEST_TMP", "/tmp"))
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.png"
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # let pending layout changes land before the picture
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path
