"""The test client on a machine without an OS keyring: no red error for a password it was
never asked to keep, and "Remember" keeps it in the encrypted file."""

from __future__ import annotations

import uuid

import keyring
import pytest
from keyring.backends import fail

from stsdesk.services.credentials import CredentialStore
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from stsdesk.services.token_session import TokenRequestOptions
from stsdesk.ui.pages.test_client import TestClientController, keyring_key
from stsdesk.ui.tasks import TaskRunner
from tests.ui.conftest import ADMIN_PASSWORD


@pytest.fixture
def controller(qtbot, tmp_path):
    keyring.set_keyring(fail.Keyring())  # the autouse fixture puts the memory keyring back
    runner = TaskRunner()
    made = TestClientController(runner, CredentialStore(fallback_dir=tmp_path))
    made.complaints = []
    made.password_not_saved.connect(made.complaints.append)
    yield made
    runner.wait(10_000)


AUDIENCE = "https://no-keyring-rp.example.org/"


@pytest.fixture
def relying_party(admin_client):
    app = admin_client.post("/applications", {"name": f"no-keyring-{uuid.uuid4().hex[:8]}"})
    admin_client.put(f"/applications/{app['id']}/inbound-protocols/ws-trust",
                     {"audience": AUDIENCE})
    yield AUDIENCE
    admin_client.delete(f"/applications/{app['id']}")


def _options(ui_server, applies_to: str | None = None) -> TokenRequestOptions:
    pin = fingerprint(fetch_certificate(ui_server.url))
    return TokenRequestOptions(
        endpoint=ui_server.url + "/services/wso2carbon-sts", username="admin",
        password=ADMIN_PASSWORD, applies_to=applies_to, tls=TrustPolicy(pinned_sha256=pin))


def test_an_unticked_remember_says_nothing_without_a_keyring(qtbot, controller, ui_server):
    with qtbot.waitSignal(controller.request_finished, timeout=15_000):
        controller.issue(_options(ui_server), certificates={}, private_keys=(), remember=False)
    controller.runner.wait(5000)
    qtbot.wait(50)  # let the forget step's result reach the GUI thread
    assert controller.complaints == []


def test_remember_keeps_the_password_in_the_encrypted_file(qtbot, controller, ui_server,
                                                           relying_party, tmp_path):
    options = _options(ui_server, relying_party)
    with qtbot.waitSignal(controller.request_finished, timeout=15_000) as finished:
        controller.issue(options, certificates={}, private_keys=(), remember=True)
    assert finished.args[0].ok
    store = CredentialStore(fallback_dir=tmp_path)
    key = keyring_key(options.endpoint, "admin")
    qtbot.waitUntil(lambda: store.get(key) == ADMIN_PASSWORD, timeout=5000)
    assert controller.complaints == []
    assert ADMIN_PASSWORD not in (tmp_path / "credentials.enc").read_text()
