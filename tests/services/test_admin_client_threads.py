"""The admin client shared by the console's worker threads gives each thread its own session."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from tests.services.conftest import ADMIN_PASSWORD


def test_each_thread_gets_its_own_session_and_all_calls_succeed(server):
    pin = fingerprint(fetch_certificate(server.url))
    client = AdminClient(ServerEndpoint(server.url, "admin", ADMIN_PASSWORD,
                                        TrustPolicy(pinned_sha256=pin)))
    sessions: dict[int, int] = {}
    guard = threading.Lock()

    def call(_index: int) -> str:
        answer = client.get("/configs")
        with guard:
            sessions[threading.get_ident()] = id(client._session)  # noqa: SLF001 - the point
        return str(answer["idleSessionTimeoutPeriod"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(call, range(24)))
    assert len(set(answers)) == 1  # every call answered, none tripped over another
    assert len(set(sessions.values())) == len(sessions) > 1  # one session per thread
    client.close()
