"""The WS-SecurityPolicy algorithm suites an applied policy may name, and what each one means.

WSO2's scenario policies all say ``sp:Basic256``; the administrator may choose
``Basic256Sha256`` instead. The algorithms are WS-SecurityPolicy's own table for each suite
(section 7.1 of the 2005/07 draft, 6.1 of 1.2), which Apache Rampart and WSS4J implement: both
suites encrypt with AES-256-CBC and transport keys with RSA-OAEP (MGF1, SHA-1); Basic256
digests with SHA-1, Basic256Sha256 with SHA-256. The signature methods are the table's
``RsaSha1`` and ``HmacSha1`` for both: a WSS4J or Rampart client configured with
Basic256Sha256 still signs its ``SignedInfo`` with them, and only the digests change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from stsdesk.core import ns

__all__ = ["AlgorithmSuite", "SuiteAlgorithms", "DEFAULT_ALGORITHM_SUITE", "suite_algorithms"]

_DS = ns.DS
_XENC = ns.XENC


class AlgorithmSuite(StrEnum):
    """An ``sp:AlgorithmSuite`` choice; the value is the assertion's local name."""

    BASIC256 = "Basic256"
    BASIC256_SHA256 = "Basic256Sha256"


# WSO2's scenario files say Basic256: the default keeps clients configured from them working.
DEFAULT_ALGORITHM_SUITE = AlgorithmSuite.BASIC256


@dataclass(frozen=True)
class SuiteAlgorithms:
    """The algorithm URIs and key lengths a suite stands for."""

    suite: AlgorithmSuite
    digest: str
    encryption: str
    symmetric_key_wrap: str
    asymmetric_key_wrap: str
    symmetric_signature: str
    asymmetric_signature: str
    canonicalization: str
    computed_key: str
    encryption_derived_key_length: int  # bits
    signature_derived_key_length: int  # bits
    minimum_symmetric_key_length: int  # bits


_BASIC256 = SuiteAlgorithms(
    suite=AlgorithmSuite.BASIC256,
    digest=f"{_DS}sha1",
    encryption=f"{_XENC}aes256-cbc",
    symmetric_key_wrap=f"{_XENC}kw-aes256",
    asymmetric_key_wrap=f"{_XENC}rsa-oaep-mgf1p",
    symmetric_signature=f"{_DS}hmac-sha1",
    asymmetric_signature=f"{_DS}rsa-sha1",
    canonicalization=ns.EXC_C14N,
    computed_key=f"{ns.WST_2005}/CK/PSHA1",
    encryption_derived_key_length=256,
    signature_derived_key_length=192,
    minimum_symmetric_key_length=256,
)
_SUITES = {
    AlgorithmSuite.BASIC256: _BASIC256,
    AlgorithmSuite.BASIC256_SHA256: replace(
        _BASIC256, suite=AlgorithmSuite.BASIC256_SHA256, digest=f"{_XENC}sha256"),
}


def suite_algorithms(suite: AlgorithmSuite) -> SuiteAlgorithms:
    """The algorithms ``suite`` names."""
    return _SUITES[suite]
