"""WS-SecurityPolicy algorithm suites: which URIs a suite names for each cryptographic role."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stsdesk.core import ns
from stsdesk.core.errors import StsError

__all__ = [
    "Algorithm", "AlgorithmSuite", "ALGORITHM_SUITES", "UnsupportedAlgorithmError",
    "suite_named", "BLOCK_KEY_BYTES",
]


class UnsupportedAlgorithmError(StsError):
    """wsse:UnsupportedAlgorithm: the message uses an algorithm the applied policy does not."""

    fault_local_name = "UnsupportedAlgorithm"
    trust_fault = False
    sender = True


class Algorithm(StrEnum):
    """The algorithm URIs the message-security engine reads and writes."""

    SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
    SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
    HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
    AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
    AES192_CBC = "http://www.w3.org/2001/04/xmlenc#aes192-cbc"
    AES256_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
    AES128_GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
    AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
    TRIPLEDES_CBC = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc"
    KW_AES128 = "http://www.w3.org/2001/04/xmlenc#kw-aes128"
    KW_AES192 = "http://www.w3.org/2001/04/xmlenc#kw-aes192"
    KW_AES256 = "http://www.w3.org/2001/04/xmlenc#kw-aes256"
    RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
    RSA_1_5 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5"
    EXC_C14N = ns.EXC_C14N
    P_SHA1 = "http://schemas.xmlsoap.org/ws/2005/02/sc/dk/p_sha1"
    P_SHA1_13 = "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512/dk/p_sha1"


# Key length in bytes that each block cipher needs.
BLOCK_KEY_BYTES: dict[str, int] = {
    Algorithm.AES128_CBC: 16,
    Algorithm.AES192_CBC: 24,
    Algorithm.AES256_CBC: 32,
    Algorithm.AES128_GCM: 16,
    Algorithm.AES256_GCM: 32,
    Algorithm.TRIPLEDES_CBC: 24,
}


@dataclass(frozen=True)
class AlgorithmSuite:
    """One ``sp:AlgorithmSuite`` (WS-SecurityPolicy 1.2 section 6.1).

    The specification's table signs with RSA-SHA1 under every suite (the SHA-256 suites change
    only the digests), and Rampart and WSS4J 1.6 clients do so; .NET and newer stacks sign with
    RSA-SHA256 under the SHA-256 suites. Both are accepted (``accepted_asymmetric_signatures``);
    this STS signs its answers with ``asymmetric_signature``: RSA-SHA256 under a SHA-256 suite,
    which every one of those clients verifies.
    """

    name: str
    digest: str
    encryption: str
    symmetric_key_wrap: str
    asymmetric_key_wrap: str
    encryption_key_bits: int
    signature_key_bits: int
    asymmetric_signature: str = Algorithm.RSA_SHA1
    symmetric_signature: str = Algorithm.HMAC_SHA1
    canonicalization: str = Algorithm.EXC_C14N

    @property
    def accepted_asymmetric_signatures(self) -> frozenset[str]:
        return frozenset({Algorithm.RSA_SHA1.value, Algorithm.RSA_SHA256.value})

    @property
    def strong(self) -> bool:
        """No SHA-1 digest and no RSA PKCS#1 v1.5 key transport."""
        return self.digest != Algorithm.SHA1 and self.asymmetric_key_wrap != Algorithm.RSA_1_5


def _suite(name: str, digest: str, block: str, kw: str, rsa_kw: str, enc_bits: int,
           sig_bits: int) -> AlgorithmSuite:
    signature = Algorithm.RSA_SHA256 if digest == Algorithm.SHA256 else Algorithm.RSA_SHA1
    return AlgorithmSuite(name, digest, block, kw, rsa_kw, enc_bits, sig_bits,
                          asymmetric_signature=signature)


_A = Algorithm
ALGORITHM_SUITES: dict[str, AlgorithmSuite] = {
    suite.name: suite for suite in (
        _suite("Basic256", _A.SHA1, _A.AES256_CBC, _A.KW_AES256, _A.RSA_OAEP_MGF1P, 256, 192),
        _suite("Basic192", _A.SHA1, _A.AES192_CBC, _A.KW_AES192, _A.RSA_OAEP_MGF1P, 192, 192),
        _suite("Basic128", _A.SHA1, _A.AES128_CBC, _A.KW_AES128, _A.RSA_OAEP_MGF1P, 128, 128),
        _suite("TripleDes", _A.SHA1, _A.TRIPLEDES_CBC, _A.KW_AES192, _A.RSA_OAEP_MGF1P, 192,
               192),
        _suite("Basic256Rsa15", _A.SHA1, _A.AES256_CBC, _A.KW_AES256, _A.RSA_1_5, 256, 192),
        _suite("Basic192Rsa15", _A.SHA1, _A.AES192_CBC, _A.KW_AES192, _A.RSA_1_5, 192, 192),
        _suite("Basic128Rsa15", _A.SHA1, _A.AES128_CBC, _A.KW_AES128, _A.RSA_1_5, 128, 128),
        _suite("Basic256Sha256", _A.SHA256, _A.AES256_CBC, _A.KW_AES256, _A.RSA_OAEP_MGF1P, 256,
               192),
        _suite("Basic192Sha256", _A.SHA256, _A.AES192_CBC, _A.KW_AES192, _A.RSA_OAEP_MGF1P, 192,
               192),
        _suite("Basic128Sha256", _A.SHA256, _A.AES128_CBC, _A.KW_AES128, _A.RSA_OAEP_MGF1P, 128,
               128),
        _suite("Basic256Sha256Rsa15", _A.SHA256, _A.AES256_CBC, _A.KW_AES256, _A.RSA_1_5, 256,
               192),
        _suite("Basic128Sha256Rsa15", _A.SHA256, _A.AES128_CBC, _A.KW_AES128, _A.RSA_1_5, 128,
               128),
    )
}


def suite_named(name: str) -> AlgorithmSuite | None:
    """The suite a policy's ``sp:AlgorithmSuite`` child names (its local name), or None."""
    return ALGORITHM_SUITES.get(name)
