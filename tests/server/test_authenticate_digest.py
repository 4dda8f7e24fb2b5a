"""The STS's PasswordDigest check in process: what it refuses, and the work every caller costs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from stsdesk.core import ns
from stsdesk.core.errors import AuthenticationError, InvalidSecurityError
from stsdesk.core.soap import SoapVersion, build_envelope, parse_envelope
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import RequestType, TrustVersion, build_request, request_action
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.model import PasswordDigestPolicy
from stsdesk.server.passwords import CredentialCache
from stsdesk.server.storage.hotpath import FastReads
from stsdesk.server.storage.logins import LoginRepository
from stsdesk.server.storage.store import Store
from stsdesk.server.sts import authenticate as module
from stsdesk.server.sts.authenticate import Authenticator

PASSWORD = "D1gest-in-process!"


@pytest.fixture
def authenticator(store: Store, fast_password_hashing: None) -> Iterator[Authenticator]:
    store.roles.create("admin")
    store.users.create("without-copy", PASSWORD, roles=["admin"])  # created while off
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    store.users.create("with-copy", PASSWORD, roles=["admin"])
    reads = FastReads(store.engine, store.logins.state)
    yield Authenticator(store, CredentialCache(), reads)
    reads.close()


def message(username: str, password: str, *, digest: bool = True):
    now = datetime.now(UTC)
    header = build_security_header(SoapVersion.SOAP12, username=username, password=password,
                                   digest=digest, now=now)
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, applies_to="https://rp/")
    action = request_action(TrustVersion.WST_13, RequestType.ISSUE)
    body = build_envelope(SoapVersion.SOAP12, rst, headers=[header])
    return parse_envelope(body, content_type=f'{SoapVersion.SOAP12.content_type}; '
                                             f'action="{action}"')


def sign_in(authenticator: Authenticator, store: Store, username: str, password: str, **kw):
    return authenticator.authenticate(message(username, password, **kw), store.snapshot(),
                                      datetime.now(UTC))


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the costly steps of a sign-in: unsealing, digesting, the failed-login write."""
    counts: Counter[str] = Counter()

    def counting(name: str, real):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(MasterSecret, "unseal", counting("unseal", MasterSecret.unseal))
    monkeypatch.setattr(module, "password_matches", counting("digest", module.password_matches))
    monkeypatch.setattr(LoginRepository, "record_failure",
                        counting("failed-login", LoginRepository.record_failure))
    return counts


def test_the_right_digest_signs_in(authenticator, store):
    user = sign_in(authenticator, store, "with-copy", PASSWORD)
    assert user.username == "with-copy"


@pytest.mark.parametrize("username", ["with-copy", "without-copy", "nobody"])
def test_every_failure_costs_one_unseal_one_digest_and_one_failed_login(
    authenticator, store, work, username
):
    with pytest.raises(AuthenticationError, match="user name or password is wrong"):
        sign_in(authenticator, store, username,
                "wrong" if username == "with-copy" else PASSWORD)
    assert work == Counter({"unseal": 1, "digest": 1, "failed-login": 1})


def test_refused_while_off_before_any_work(authenticator, store, work):
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=False))
    for username in ("with-copy", "nobody"):
        with pytest.raises(InvalidSecurityError) as refused:
            sign_in(authenticator, store, username, PASSWORD)
        assert "PasswordDigest is not allowed on this STS" in refused.value.message
        assert refused.value.fault_code().qname == f"{{{ns.WSSE}}}InvalidSecurity"
    assert work == Counter()
    # PasswordText is not affected, and stores nothing while off.
    assert sign_in(authenticator, store, "without-copy", PASSWORD, digest=False)
    assert store.users.get("without-copy").password_sealed is None


def test_a_password_text_sign_in_stores_the_copy_digest_needs(authenticator, store):
    with pytest.raises(AuthenticationError):
        sign_in(authenticator, store, "without-copy", PASSWORD)
    sign_in(authenticator, store, "without-copy", PASSWORD, digest=False)
    assert sign_in(authenticator, store, "without-copy", PASSWORD).username == "without-copy"
