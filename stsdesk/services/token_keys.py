"""The test client's own key pair: its certificate and private key, checked to belong together."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stsdesk.core.certificate_files import load_private_key
from stsdesk.core.certificates import load_certificate
from stsdesk.core.errors import InvalidRequestError

__all__ = ["ClientKeyPair", "load_client_key_pair"]


@dataclass(frozen=True)
class ClientKeyPair:
    """The client's certificate and private key, for PublicKey tokens and EncryptedKey proofs."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        public = self.certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey) or (
            public.public_numbers() != self.private_key.public_key().public_numbers()
        ):
            raise InvalidRequestError(
                "The client key does not belong to the client certificate; choose the key that "
                "was made with the certificate."
            )

    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def load_client_key_pair(
    certificate: bytes, private_key: bytes, password: bytes | str | None = None
) -> ClientKeyPair:
    """A :class:`ClientKeyPair` from a certificate file and a key file (PEM, DER or PKCS#12)."""
    return ClientKeyPair(load_certificate(certificate), load_private_key(private_key, password))
