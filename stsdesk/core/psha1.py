"""P_SHA-1 (RFC 2246) and the WS-Trust computed key (CK/PSHA1) built from it."""

from __future__ import annotations

import hashlib
import hmac

from stsdesk.core.errors import InvalidRequestError

__all__ = ["p_sha1", "computed_key", "MAX_OUTPUT_BYTES"]

# Proof keys are at most a few hundred bits; a bound keeps a hostile KeySize from costing much.
MAX_OUTPUT_BYTES = 1024


def p_sha1(secret: bytes, seed: bytes, length: int) -> bytes:
    """RFC 2246 section 5 P_SHA-1: HMAC-SHA1(secret, A(i) + seed) blocks, cut to ``length``.

    A(0) = seed, A(i) = HMAC-SHA1(secret, A(i-1)).
    """
    if length < 0 or length > MAX_OUTPUT_BYTES:
        raise InvalidRequestError(
            f"A derived key of {length} bytes was asked for; this STS derives 0 to "
            f"{MAX_OUTPUT_BYTES} bytes."
        )
    output = bytearray()
    a = seed
    while len(output) < length:
        a = hmac.new(secret, a, hashlib.sha1).digest()
        output += hmac.new(secret, a + seed, hashlib.sha1).digest()
    return bytes(output[:length])


def computed_key(requestor_entropy: bytes, issuer_entropy: bytes, key_size_bits: int) -> bytes:
    """WS-Trust 1.3 section 4.4.4 CK/PSHA1: P_SHA1(secret=requestor entropy, seed=issuer entropy).

    ``key_size_bits`` must be a positive multiple of 8.
    """
    if key_size_bits <= 0 or key_size_bits % 8 or key_size_bits > MAX_OUTPUT_BYTES * 8:
        raise InvalidRequestError(
            f"The requested key size of {key_size_bits} bits is not usable; ask for a multiple "
            "of 8 bits such as 256."
        )
    if not requestor_entropy:
        raise InvalidRequestError(
            "The request asks for a computed key but carries no client entropy; send "
            "wst:Entropy/wst:BinarySecret."
        )
    if not issuer_entropy:
        raise InvalidRequestError("The issuer entropy for the computed key is empty.")
    return p_sha1(requestor_entropy, issuer_entropy, key_size_bits // 8)
