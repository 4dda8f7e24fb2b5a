"""P_SHA-1 and the WS-Trust CK/PSHA1 computed key, checked against an independent definition."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.psha1 import computed_key, p_sha1


def _reference_p_sha1(secret: bytes, seed: bytes, length: int) -> bytes:
    # RFC 2246 section 5, written out literally: A(0)=seed, A(i)=HMAC(secret, A(i-1)),
    # output = HMAC(secret, A(1)+seed) || HMAC(secret, A(2)+seed) || ...
    a = [seed]
    blocks = []
    while sum(len(b) for b in blocks) < length:
        a.append(hmac.digest(secret, a[-1], "sha1"))
        blocks.append(hmac.digest(secret, a[-1] + seed, "sha1"))
    return b"".join(blocks)[:length]


@pytest.mark.parametrize("length", [0, 1, 16, 20, 21, 32, 39, 40, 41, 64, 100])
def test_p_sha1_matches_the_rfc_definition(length: int) -> None:
    secret, seed = b"requestor-entropy-0123456789", b"issuer-entropy-abcdef"
    assert p_sha1(secret, seed, length) == _reference_p_sha1(secret, seed, length)


def test_p_sha1_known_vector() -> None:
    # The first block computed by hand from the definition, independent of any loop.
    secret, seed = b"secret", b"seed"
    a1 = hmac.new(secret, seed, hashlib.sha1).digest()
    first = hmac.new(secret, a1 + seed, hashlib.sha1).digest()
    a2 = hmac.new(secret, a1, hashlib.sha1).digest()
    second = hmac.new(secret, a2 + seed, hashlib.sha1).digest()
    assert p_sha1(secret, seed, 20) == first
    assert p_sha1(secret, seed, 27) == first + second[:7]
    assert p_sha1(secret, seed, 27).hex() == (first + second[:7]).hex()


def test_computed_key_uses_requestor_entropy_as_secret_and_issuer_entropy_as_seed() -> None:
    client, server = bytes(range(32)), bytes(range(100, 132))
    key = computed_key(client, server, 256)
    assert len(key) == 32
    assert key == _reference_p_sha1(client, server, 32)
    assert key != _reference_p_sha1(server, client, 32)  # the roles are not interchangeable


def test_computed_key_odd_sizes() -> None:
    key = computed_key(b"c" * 16, b"s" * 16, 192)
    assert key == _reference_p_sha1(b"c" * 16, b"s" * 16, 24)


@pytest.mark.parametrize("bits", [0, -8, 7, 129, 1024 * 8 + 8])
def test_computed_key_refuses_unusable_sizes(bits: int) -> None:
    with pytest.raises(InvalidRequestError, match="key size"):
        computed_key(b"c" * 16, b"s" * 16, bits)


def test_computed_key_needs_both_entropies() -> None:
    with pytest.raises(InvalidRequestError, match="client entropy"):
        computed_key(b"", b"s" * 16, 256)
    with pytest.raises(InvalidRequestError, match="issuer entropy"):
        computed_key(b"c" * 16, b"", 256)


def test_p_sha1_refuses_negative_and_huge_lengths() -> None:
    with pytest.raises(InvalidRequestError):
        p_sha1(b"a", b"b", -1)
    with pytest.raises(InvalidRequestError):
        p_sha1(b"a", b"b", 10_000_000)
