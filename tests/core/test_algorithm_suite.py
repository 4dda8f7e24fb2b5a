"""The algorithm suites an applied policy may name, and the algorithms each stands for."""

from __future__ import annotations

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import (
    DEFAULT_ALGORITHM_SUITE,
    AlgorithmSuite,
    suite_algorithms,
)


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
    assert (suite.encryption_derived_key_length, suite.signature_derived_key_length,
            suite.minimum_symmetric_key_length) == (256, 192, 256)


def test_basic256sha256_changes_the_digest_only():
    basic = suite_algorithms(AlgorithmSuite.BASIC256)
    strong = suite_algorithms(AlgorithmSuite.BASIC256_SHA256)
    assert strong.digest == f"{ns.XENC}sha256"
    assert strong.suite is AlgorithmSuite.BASIC256_SHA256
    differing = {name for name in vars(basic) if getattr(basic, name) != getattr(strong, name)}
    assert differing == {"suite", "digest"}
