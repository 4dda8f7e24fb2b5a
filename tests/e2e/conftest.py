"""A real STS on a loopback HTTPS socket, configured through the storage layer the admin API uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.core.certificates import SigningIdentity, generate_self_signed
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import RequestType, TrustVersion, build_request
from stsdesk.server.model import PasswordDigestPolicy, RelyingParty, RequestedClaim
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage.store import Store
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.trust_client import Credentials, TrustClient

ADMIN_PASSWORD = "Adm1n-e2e-secret"
RP_PLAIN = "https://rp.example.org/plain"  # bearer defaults, not encrypted
RP_ENCRYPTED = "https://rp.example.org/encrypted"  # has a certificate, tokens encrypted
RP_HOK = "https://rp.example.org/hok"  # certificate, encryption off (HoK needs the cert)
RP_CLAIMS = "https://rp.example.org/claims"  # requested claims configured on the SP


@dataclass
class LiveSts:
    server: BackgroundServer
    settings: ServerSettings
    store: Store
    endpoint: str
    ca_file: Path
    rp_identity: SigningIdentity
    client_identity: SigningIdentity

    @property
    def store_url(self) -> str:
        return self.settings.effective_database_url()

    @property
    def signing_certificate(self):
        return self.server.bootstrap.keystore.signing_identity("wso2carbon").certificate

    def client(self) -> TrustClient:
        return TrustClient(self.endpoint, trust=TrustPolicy(ca_file=str(self.ca_file)))


@pytest.fixture(scope="session")
def live_sts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSts]:
    data_dir = tmp_path_factory.mktemp("sts-data")
    settings = ServerSettings(data_dir=data_dir, port=0, admin_password=ADMIN_PASSWORD)
    server = BackgroundServer(settings)
    server.start()
    store = server.bootstrap.store
    rp_identity = generate_self_signed("rp.example.org")
    client_identity = generate_self_signed("trusted-client")
    store.keys.add_trusted_certificate(
        "rp-cert", rp_identity.certificate.public_bytes(Encoding.DER)
    )
    store.keys.add_trusted_certificate(
        "client-cert", client_identity.certificate.public_bytes(Encoding.DER)
    )
    for name, party in (
        ("plain", RelyingParty("", "plain", RP_PLAIN)),
        ("encrypted", RelyingParty("", "encrypted", RP_ENCRYPTED, certificate_alias="rp-cert")),
        ("hok", RelyingParty("", "hok", RP_HOK, certificate_alias="rp-cert", encrypt_token=False)),
        ("claims", RelyingParty("", "claims", RP_CLAIMS)),
    ):
        app_id = store.applications.create(name)
        store.applications.set_relying_party(app_id, party)
        if name == "claims":
            store.applications.update(
                app_id,
                requested_claims=[
                    RequestedClaim("http://wso2.org/claims/emailaddress", mandatory=True),
                    RequestedClaim("http://wso2.org/claims/givenname"),
                ],
            )
    store.users.set_claims(
        "admin",
        {
            "http://wso2.org/claims/emailaddress": "admin@example.org",
            "http://wso2.org/claims/givenname": "Ada",
            "http://wso2.org/claims/lastname": "Admin",
        },
    )
    try:
        yield LiveSts(
            server=server,
            settings=settings,
            store=store,
            endpoint=server.url + "/services/wso2carbon-sts",
            ca_file=server.ca_file,
            rp_identity=rp_identity,
            client_identity=client_identity,
        )
    finally:
        server.stop()


@pytest.fixture
def admin() -> Credentials:
    return Credentials("admin", ADMIN_PASSWORD)


@pytest.fixture
def client(live_sts: LiveSts) -> Iterator[TrustClient]:
    with live_sts.client() as trust_client:
        yield trust_client


@contextmanager
def password_digest_allowed(live: LiveSts, *users: Credentials) -> Iterator[None]:
    """PasswordDigest allowed while inside, as an administrator turns it on: each of ``users``
    then signs in once with PasswordText, which stores the copy PasswordDigest needs.

    Turned off again on the way out, which deletes those copies: the shared server goes back to
    its default.
    """
    live.store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    try:
        for user in users:
            rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, applies_to=RP_PLAIN)
            with live.client() as client:
                exchange = client.send(rst, trust_version=TrustVersion.WST_13,
                                       request_type=RequestType.ISSUE,
                                       soap_version=SoapVersion.SOAP12, credentials=user)
            assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
        yield
    finally:
        live.store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=False))


@pytest.fixture
def digest_allowed(live_sts: LiveSts) -> Iterator[None]:
    """PasswordDigest allowed, with the admin's copy stored by one PasswordText sign-in."""
    with password_digest_allowed(live_sts, Credentials("admin", ADMIN_PASSWORD)):
        yield
