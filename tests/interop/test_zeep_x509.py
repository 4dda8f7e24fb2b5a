"""Scenario 2 (Non-repudiation) from a Python SOAP client: zeep's ``BinarySignature``.

zeep loads the STS's WSDL, builds the RST from Python values, and signs the Body and a
Timestamp with the client's key, its certificate as a BinarySecurityToken (RSA-SHA1 and SHA-1,
as WSO2's Basic256 policy has it). The answer is checked with zeep's own verifier against the
STS's certificate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from cryptography.hazmat.primitives import serialization
from lxml import etree
from zeep.exceptions import Fault, SignatureVerificationFailed
from zeep.transports import Transport
from zeep.wsse.signature import BinarySignature, MemorySignature
from zeep.wsse.utils import WSU, get_security_header

from stsdesk.core import ns
from tests.e2e.conftest import LiveSts
from tests.helpers import certfactory
from tests.interop.scenarios import applied, unless_enforced

PORT = "wso2carbon-stsHttpsSoap11Endpoint"
AUDIENCE = "https://rp.example.org/plain"


class _SignedExchange:
    """A wsu:Timestamp, then zeep's BinarySignature over it and the Body, for the request; the
    answer verified with the STS's certificate (BinarySignature alone would check it against the
    client's own). One object: zeep takes a list of plugins for requests but not for answers."""

    def __init__(self, key_file: Path, cert_file: Path, sts_certificate_pem: bytes) -> None:
        self.signer = BinarySignature(str(key_file), str(cert_file))
        self.verifier = MemorySignature(key_file.read_bytes(), sts_certificate_pem)
        self.answer_verified = False

    def apply(self, envelope: etree._Element, headers: dict) -> Any:
        created = datetime.now(UTC).replace(microsecond=0)
        timestamp = WSU.Timestamp()
        timestamp.append(WSU.Created(created.isoformat().replace("+00:00", "Z")))
        timestamp.append(WSU.Expires((created + timedelta(minutes=5)).isoformat()
                                     .replace("+00:00", "Z")))
        get_security_header(envelope).append(timestamp)
        return self.signer.apply(envelope, headers)

    def verify(self, envelope: etree._Element) -> etree._Element:
        if envelope.xpath("//*[local-name()='Body']/*[local-name()='Fault']"):
            return envelope  # a fault is not signed; zeep raises it as zeep.exceptions.Fault
        self.verifier.verify(envelope)
        self.answer_verified = True
        return envelope


@pytest.fixture(scope="module")
def zeep_client_key(live_sts: LiveSts) -> certfactory.Issued:
    issued = certfactory.issue("zeep-client")
    if "zeep-client" not in live_sts.store.keys.list_trusted_certificates():
        live_sts.store.keys.add_trusted_certificate("zeep-client", issued.der)
    return issued


@pytest.fixture
def http(live_sts: LiveSts) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.verify = str(live_sts.ca_file)
        session.trust_env = False
        yield session


def _issue(
    live_sts: LiveSts, http: requests.Session, key: certfactory.Issued, workdir: Path
) -> tuple[Any, bool]:
    key_file, cert_file = workdir / "client-key.pem", workdir / "client-cert.pem"
    key_file.write_bytes(key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    cert_file.write_bytes(key.certificate.public_bytes(serialization.Encoding.PEM))
    sts_pem = live_sts.signing_certificate.public_bytes(serialization.Encoding.PEM)
    signed = _SignedExchange(key_file, cert_file, sts_pem)
    client = zeep.Client(wsdl=live_sts.endpoint + "?wsdl", transport=Transport(session=http),
                         wsse=signed)
    service = client.bind("wso2carbon-sts", PORT)
    result = service.IssueToken(
        TokenType=ns.TOKEN_SAML20,
        RequestType=f"{ns.WST_13}/Issue",
        AppliesTo={"EndpointReference": {"Address": AUDIENCE}},
        KeyType=f"{ns.WST_13}/Bearer",
    )
    return result, signed.answer_verified


@unless_enforced("2")
def test_zeep_binary_signature_obtains_a_token_under_scenario_2(
    live_sts: LiveSts, http: requests.Session, zeep_client_key: certfactory.Issued,
    tmp_path: Path,
) -> None:
    with applied(live_sts, "2"):
        try:
            result, answer_verified = _issue(live_sts, http, zeep_client_key, tmp_path)
        except SignatureVerificationFailed:
            pytest.fail("zeep could not verify the STS's signature on its answer")

    response = result[0] if isinstance(result, list) else result
    (assertion,) = response.RequestedSecurityToken._value_1
    assert assertion.tag == f"{{{ns.SAML2}}}Assertion"
    assert answer_verified, "the answer was signed by the STS and zeep checked it"
    subject = assertion.xpath("//*[local-name()='NameID']/text()")
    assert subject and "zeep-client" in subject[0]


@unless_enforced("2")
def test_zeep_signed_by_a_certificate_the_sts_does_not_trust_is_refused(
    live_sts: LiveSts, http: requests.Session, tmp_path: Path
) -> None:
    stranger = certfactory.issue("zeep-stranger")
    with applied(live_sts, "2"), pytest.raises(Fault) as refused:
        _issue(live_sts, http, stranger, tmp_path)

    assert "FailedAuthentication" in str(refused.value.code) or \
        "InvalidSecurityToken" in str(refused.value.code), refused.value.code
