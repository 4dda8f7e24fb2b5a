"""The requests the WSS4J client sends are what Rampart sends, and WSS4J itself reads them.

These need no server support: they pin the client down (header order per WSO2's layout, token
references, Basic256's algorithms) and prove each request valid WS-Security by running WSS4J's
own engine on it with the STS's key, the way Rampart's server side would read it. A refusal by
stsdesk of such a request is then stsdesk's fault, not the client's.
"""

from __future__ import annotations

import pytest
from lxml import etree

from tests.interop.wss4j.conftest import Wss4jClient

DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
THUMBPRINT = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
ENCRYPTED_KEY = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey"
NS = {"ds": DS, "xenc": XENC, "wsse": WSSE}

# Per scenario: the Security header's children in order, and what WSS4J finds in it.
EXPECTED = {
    "2": (["Timestamp", "BinarySecurityToken", "Signature"],
          {"Timestamp", "BinarySecurityToken", "Signature"}),
    "5": (["Timestamp", "EncryptedKey", "BinarySecurityToken", "Signature"],
          {"Timestamp", "Encryption", "BinarySecurityToken", "Signature"}),
    "3": (["Timestamp", "EncryptedKey", "Signature"], {"Timestamp", "Encryption", "Signature"}),
    "4": (["Timestamp", "EncryptedKey", "ReferenceList", "Signature"],
          {"Timestamp", "Encryption", "Signature"}),
    "6": (["Timestamp", "EncryptedKey", "ReferenceList", "Signature"],
          {"Timestamp", "Encryption", "Signature"}),
    "7": (["Timestamp", "EncryptedKey", "ReferenceList", "UsernameToken", "Signature"],
          {"Timestamp", "Encryption", "UsernameToken", "Signature"}),
    "8": (["Timestamp", "EncryptedKey", "ReferenceList", "UsernameToken", "Signature"],
          {"Timestamp", "Encryption", "UsernameToken", "Signature"}),
}


def _request(verdict: dict) -> etree._Element:
    with open(f"{verdict['dir']}/request.xml", "rb") as handle:
        return etree.fromstring(handle.read())


@pytest.mark.parametrize("scenario", sorted(EXPECTED, key=int))
def test_request_is_valid_ws_security_as_wss4j_reads_it(wss4j: Wss4jClient, scenario: str) -> None:
    order, actions = EXPECTED[scenario]

    verdict = wss4j.check_request(scenario)

    assert verdict["requestHeaderOrder"] == order
    assert verdict["selfCheck"]["accepted"] is True, verdict["selfCheck"]
    assert set(verdict["selfCheck"]["actions"]) == actions


@pytest.mark.parametrize("scenario", ["2", "5"])
def test_asymmetric_requests_use_basic256_and_the_references_wso2s_policy_names(
    wss4j: Wss4jClient, scenario: str
) -> None:
    request = _request(wss4j.check_request(scenario))

    method = request.find(".//ds:SignatureMethod", NS)
    assert method is not None and method.get("Algorithm") == DS + "rsa-sha1"
    digests = {d.get("Algorithm") for d in request.iterfind(".//ds:DigestMethod", NS)}
    assert digests == {DS + "sha1"}
    # The initiator token is AlwaysToRecipient: a BinarySecurityToken, referenced directly.
    bst = request.find(".//wsse:BinarySecurityToken", NS)
    assert bst is not None and bst.get("ValueType") == X509V3
    reference = request.find(".//ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", NS)
    assert reference is not None
    assert reference.get("URI") == "#" + bst.get(f"{{{_WSU}}}Id")
    if scenario == "5":
        # The recipient token is Never: the STS's certificate by its thumbprint, RSA-OAEP, AES-256.
        key = request.find(".//xenc:EncryptedKey", NS)
        assert key is not None
        assert key.find("xenc:EncryptionMethod", NS).get("Algorithm") == XENC + "rsa-oaep-mgf1p"
        identifier = key.find(".//wsse:KeyIdentifier", NS)
        assert identifier is not None and identifier.get("ValueType") == THUMBPRINT
        data = request.find(".//xenc:EncryptedData", NS)
        assert data is not None
        assert data.find("xenc:EncryptionMethod", NS).get("Algorithm") == XENC + "aes256-cbc"


@pytest.mark.parametrize("scenario", ["3", "6", "8"])
def test_symmetric_requests_sign_with_the_encrypted_key_by_hmac_sha1(
    wss4j: Wss4jClient, scenario: str
) -> None:
    request = _request(wss4j.check_request(scenario))

    method = request.find(".//ds:SignatureMethod", NS)
    assert method is not None and method.get("Algorithm") == DS + "hmac-sha1"
    key = request.find(".//xenc:EncryptedKey", NS)
    assert key is not None
    identifier = key.find(".//wsse:KeyIdentifier", NS)
    assert identifier is not None and identifier.get("ValueType") == THUMBPRINT
    reference = request.find(".//ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", NS)
    assert reference is not None and reference.get("URI") == "#" + key.get("Id")
    assert reference.get("ValueType") == ENCRYPTED_KEY


_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
