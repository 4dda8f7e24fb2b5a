"""scim2-tester (outside software) drives /scim2 on a live HTTPS server: nothing it runs fails.

scim2-tester reads the discovery endpoints, then creates, reads, searches, replaces, patches
(add, replace, remove on every attribute) and deletes users and groups as the server describes
them, and checks every answer against RFC 7643/7644.
"""

from __future__ import annotations

import base64
import ssl
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckResult, Status, check_server, filling

from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from tests.helpers import certfactory

ADMIN_PASSWORD = "Adm1n-scim2-tester"
PROVISIONING_USER_NAMES = r"^[\S]{3,128}$"
FAILED = (Status.ERROR, Status.CRITICAL)


@pytest.fixture
def live_server(tmp_path: Path, fast_password_hashing: None) -> Iterator[BackgroundServer]:
    # scim2-tester names its users with 36-character UUIDs, as provisioning services use long
    # UPNs: a deployment that provisions users widens WSO2's default 3-30 character rule, as
    # WSO2 administrators do (serve --user-name-pattern).
    settings = ServerSettings(data_dir=tmp_path / "data", port=0, admin_password=ADMIN_PASSWORD,
                              user_name_pattern=PROVISIONING_USER_NAMES)
    server = BackgroundServer(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def certificates_for_x509_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """scim2-tester fills a binary attribute with 16 random bytes; RFC 7643 §4.1.2 says an
    x509Certificates value is a DER certificate, which the server checks (a user's mapped
    certificate authenticates them), as it checks e-mail addresses. The tester knows that rule
    for e-mails, not for certificates: it is given real certificates for those values."""
    original = filling.get_random_example_value

    def example(path):  # type: ignore[no-untyped-def]
        binding = path.resolve()
        model = getattr(binding, "target_model", None)
        if str(path).lower().endswith("x509certificates.value") or (
            binding is not None and binding.target_field_name == "value"
            and "x509" in getattr(model, "__name__", "").lower()
        ):
            issued = certfactory.issue(f"scim2-tester-{uuid.uuid4()}")
            return base64.b64encode(issued.certificate.public_bytes(Encoding.DER)).decode()
        return original(path)

    monkeypatch.setattr(filling, "get_random_example_value", example)


def describe(result: CheckResult) -> str:
    return f"{result.status.name} {result.resource_type or '-'} {result.title}: {result.reason}"


def test_scim2_tester_finds_no_error(live_server: BackgroundServer) -> None:
    trust = ssl.create_default_context(cafile=str(live_server.ca_file))
    with httpx2.Client(base_url=live_server.url + "/scim2", verify=trust,
                       auth=("admin", ADMIN_PASSWORD), timeout=30) as http:
        results = check_server(SyncSCIMClient(http))
    statuses = Counter(result.status for result in results)
    failures = [describe(result) for result in results if result.status in FAILED]
    assert failures == [], "\n".join(failures)
    # It ran: the discovery endpoints and the whole lifecycle of both resource types.
    assert statuses[Status.SUCCESS] >= 60, statuses
    ran = {(result.resource_type, result.title) for result in results
           if result.status is Status.SUCCESS}
    for resource_type in ("User", "Group"):
        for check in ("object_creation", "object_query_with_attributes", "search_with_attributes",
                      "object_replacement", "object_deletion", "check_add_attribute",
                      "check_replace_attribute", "check_remove_attribute"):
            assert (resource_type, check) in ran, (resource_type, check)
    # Nothing was skipped: every check applies to this server.
    assert [describe(r) for r in results if r.status is Status.SKIPPED] == []
