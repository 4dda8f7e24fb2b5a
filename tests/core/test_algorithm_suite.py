"""The algorithm suites an applied policy may name, and the algorithms each stands for."""

from __future__ import annotations

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import (
    DEFAULT_ALGORITHM_SUITE,
    AlgorithmSuite,
    suite_algorithms,
)
from stsdesk.core.wssec.algorithms import ALGORITHM_SUITES


def test_wso2s_basic256_is_the_default():
    assert DEFAULT_ALGORITHM_SUITE is AlgorithmSuite.BASIC256
    assert [s.value for s in AlgorithmSuite] == ["Basic256", "Basic256Sha256"]


def test_basic256_is_aes256_with_rsa_oaep_and_sha1_digests():
    # WS-SecurityPolicy's table, as Rampart and WSS4J apply it: Basic256 transports keys with
    # RSA-OAEP (Basic256Rsa15 would be RSA 1.5); its weakness is SHA-1.
    suite = suite_algorithms(AlgorithmSuite.BASIC256)
    assert suite.digest == f"{ns.DS}sha1"
    assert suite.encryption == f"{ns.XENC}aes256-cbc"
    assert suite.asymmetric_key_wrap == f"{ns.XENC}rsa-oaep-mgf1p"
    assert suite.symmetric_key_wrap == f"{ns.XENC}kw-aes256"
    assert suite.asymmetric_signature == f"{ns.DS}rsa-sha1"
    assert suite.symmetric_signature == f"{ns.DS}hmac-sha1"
    assert suite.canonicalization == ns.EXC_C14N
    assert (suite.encryption_key_bits, suite.signature_key_bits) == (256, 192)


def test_basic256sha256_changes_the_digests_and_the_sts_signature():
    # The STS signs with RSA-SHA256 under a SHA-256 suite (every client verifies it) and
    # accepts RSA-SHA1 as well, which Rampart and WSS4J 1.6 still sign with.
    basic = suite_algorithms(AlgorithmSuite.BASIC256)
    strong = suite_algorithms(AlgorithmSuite.BASIC256_SHA256)
    assert strong.digest == f"{ns.XENC}sha256"
    assert strong.name == AlgorithmSuite.BASIC256_SHA256.value
    differing = {name for name in vars(basic) if getattr(basic, name) != getattr(strong, name)}
    assert differing == {"name", "digest", "asymmetric_signature"}
    assert strong.asymmetric_signature == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert f"{ns.DS}rsa-sha1" in strong.accepted_asymmetric_signatures


def test_every_offered_suite_is_a_row_of_the_engines_table():
    for offered in AlgorithmSuite:
        assert suite_algorithms(offered) is ALGORITHM_SUITES[offered.value]
