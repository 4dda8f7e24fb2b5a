"""Every issuance path's token, checked by the verifiers relying parties use in the wild.

One live HTTPS STS issues a token for each path (bearer, holder-of-key symmetric and public;
SAML 1.1 and 2.0; encrypted and not; SOAP 1.1 and 1.2; WS-Trust 2005/02 and 1.3). Each token is
taken as a relying party gets it: the assertion serialised alone (an encrypted one decrypted first
with the relying party's key, by an independent implementation), then verified with signxml,
python3-saml (SAML 2.0), the xmlsec1 command line, xml-crypto current and its 0.8-era line, and
validated against the OASIS schemas.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.services.trust_client import Credentials
from tests.e2e.conftest import ADMIN_PASSWORD, RP_ENCRYPTED, RP_HOK, RP_PLAIN, LiveSts
from tests.helpers.independent import decrypt_with_cryptography
from tests.helpers.xmlshape import declarations
from tests.interop import verifiers

pytestmark = pytest.mark.slow

TOKEN_TYPES = {"1.1": ns.TOKEN_SAML11, "2.0": ns.TOKEN_SAML20}
KEY_TYPES = (KeyType.BEARER, KeyType.SYMMETRIC, KeyType.PUBLIC)


@dataclass(frozen=True)
class IssuancePath:
    saml: str
    key_type: KeyType
    encrypted: bool
    soap: SoapVersion
    trust: TrustVersion

    @property
    def name(self) -> str:
        return "-".join((
            f"saml{self.saml}", self.key_type.name.lower(),
            "encrypted" if self.encrypted else "plain", self.soap.name.lower(),
            "wst13" if self.trust is TrustVersion.WST_13 else "wst2005",
        ))

    @property
    def applies_to(self) -> str:
        if self.encrypted:
            return RP_ENCRYPTED
        return RP_PLAIN if self.key_type is KeyType.BEARER else RP_HOK


PATHS = [
    IssuancePath(*combination)
    for combination in itertools.product(
        ("1.1", "2.0"), KEY_TYPES, (False, True), (SoapVersion.SOAP11, SoapVersion.SOAP12),
        (TrustVersion.WST_2005, TrustVersion.WST_13),
    )
]


@dataclass(frozen=True)
class Issued:
    response_xml: bytes  # the whole answer, as it came over the wire
    token: etree._Element  # the token as the RSTR carried it (maybe encrypted)
    assertion_xml: bytes  # the signed assertion alone, as the relying party verifies it


def _issue(live_sts: LiveSts, client, admin, path: IssuancePath) -> Issued:
    options = {}
    if path.key_type is KeyType.SYMMETRIC:
        options = {"client_entropy": os.urandom(32), "key_size": 256}
    elif path.key_type is KeyType.PUBLIC:
        options = {"use_key_certificate": live_sts.client_identity.certificate_der()}
    rst = build_request(
        path.trust, RequestType.ISSUE, token_type=TOKEN_TYPES[path.saml],
        key_type=path.key_type, applies_to=path.applies_to, **options,
    )
    exchange = client.send(
        rst, trust_version=path.trust, request_type=RequestType.ISSUE, soap_version=path.soap,
        credentials=admin,
    )
    assert exchange.ok, (path.name, exchange.fault_code, exchange.fault_reason)
    token = exchange.response.token
    encrypted = etree.QName(token).localname != "Assertion"
    assert encrypted is path.encrypted, path.name
    assertion = (
        decrypt_with_cryptography(token, live_sts.rp_identity.private_key) if encrypted else token
    )
    return Issued(exchange.response_bytes, token, etree.tostring(assertion))


@pytest.fixture(scope="module")
def issued(live_sts) -> dict[IssuancePath, Issued]:
    admin = Credentials("admin", ADMIN_PASSWORD)
    with live_sts.client() as client:
        return {path: _issue(live_sts, client, admin, path) for path in PATHS}


@pytest.fixture(scope="module")
def xml_crypto(issued, live_sts) -> dict[IssuancePath, list[verifiers.Verdict]]:
    verdicts = verifiers.xml_crypto_verdicts(
        [issued[path].assertion_xml for path in PATHS], live_sts.signing_certificate
    )
    return dict(zip(PATHS, verdicts, strict=True))


def _refused(verdicts: list[verifiers.Verdict]) -> list[str]:
    return [f"{v.verifier}: {v.detail}" for v in verdicts if not v.valid]


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_every_verifier_accepts_the_token(live_sts, issued, xml_crypto, path):
    assertion_xml = issued[path].assertion_xml
    certificate = live_sts.signing_certificate
    verdicts = [
        verifiers.signxml_verdict(assertion_xml, certificate),
        verifiers.xmlsec1_verdict(assertion_xml, certificate),
        verifiers.schema_verdict(etree.fromstring(assertion_xml)),
        verifiers.schema_verdict(issued[path].token),  # EncryptedAssertion/EncryptedData too
        *xml_crypto[path],
    ]
    if path.saml == "2.0":
        verdicts.append(verifiers.python3_saml_verdict(assertion_xml, certificate))
    names = {verdict.verifier.split("@")[0] for verdict in verdicts}
    assert {"signxml", "xmlsec1", "xml-crypto"} <= names
    assert len([v for v in verdicts if v.verifier.startswith("xml-crypto@0.8")]) == 2
    assert _refused(verdicts) == []


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_token_is_shaped_as_wso2_adfs_and_shibboleth_shape_theirs(issued, path):
    """ds declared on ds:Signature itself; nothing declared that the token does not use."""
    carried = [
        d for d in declarations(issued[path].response_xml)
        if "/wst:RequestedSecurityToken/" in d.path
    ]
    assert carried, "the token declares no namespace at all"
    assert [d for d in carried if not d.used or d.repeated] == []
    top = carried[0].path  # the token's own element: Assertion, EncryptedAssertion, EncryptedData
    assert {d.prefix for d in carried if d.path == top} <= {"saml", "saml2", "xsi", "xs", "xenc"}
    assertion = issued[path].assertion_xml
    signature = [d for d in declarations(assertion) if d.element == "ds:Signature"]
    assert [(d.prefix, d.uri) for d in signature] == [("ds", ns.DS)]
    on_root = [d.prefix for d in declarations(assertion) if d.element.endswith(":Assertion")]
    assert "ds" not in on_root


def test_the_old_shape_is_refused_by_the_0_8_era_verifier(issued, live_sts):
    """The same signed assertion with ds declared on its root only, as stsdesk used to write it:
    the signature is still valid (c14n is unchanged), yet xml-crypto 0.8.1 refuses it."""
    path = PATHS[0]
    moved = issued[path].assertion_xml.replace(
        f'<ds:Signature xmlns:ds="{ns.DS}">'.encode(), b"<ds:Signature>", 1
    )
    root_end = moved.index(b" ", moved.index(b"<"))
    moved = moved[:root_end] + f' xmlns:ds="{ns.DS}"'.encode() + moved[root_end:]
    assert moved != issued[path].assertion_xml
    assert verifiers.signxml_verdict(moved, live_sts.signing_certificate).valid
    verdicts = verifiers.xml_crypto_verdicts([moved], live_sts.signing_certificate)[0]
    refused = {v.verifier for v in verdicts if not v.valid}
    assert refused == {"xml-crypto@0.8.1"}, verdicts
