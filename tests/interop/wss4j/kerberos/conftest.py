"""The e2e Kerberos tests' realm and STS (scenario 20 applied), for the WSS4J client here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_kerberos_scenario import (  # noqa: F401 - pytest fixtures
    Realm,
    applied,
    sts,
    throwaway_realm,
)


@pytest.fixture(scope="module")
def realm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    # Kerberos' usual five minutes of clock skew: a JVM takes a while between making the
    # authenticator and sending it.
    yield from throwaway_realm(tmp_path_factory, clockskew=300)
