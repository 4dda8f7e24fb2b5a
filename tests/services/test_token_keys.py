"""The test client's one key pair loader: every file a person may have for the client's key pair
(PKCS#12, PEM with both, PEM or DER certificate with its key file) gives the same pair, and each
problem names the one input to change."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from stsdesk.services.errors import InputError
from stsdesk.services.token_keys import (
    ClientKeyPairError,
    ClientKeyPairFiles,
    KeyPairField,
    load_client_key_pair,
    read_client_key_pair,
)
from tests.helpers import certfactory

PASSWORD = "key-pair-Pa55"
PEM = serialization.Encoding.PEM
PKCS8 = serialization.PrivateFormat.PKCS8


class Files:
    """One client identity written in every form an administrator gets it in."""

    def __init__(self, folder: Path) -> None:
        self.ca = certfactory.issue("key-pair-ca", ca=True)
        self.issued = certfactory.issue("key-pair-client", issuer=self.ca)
        cert, key = self.issued.certificate, self.issued.private_key
        self.folder = folder
        self.p12 = self._write("client.p12", pkcs12.serialize_key_and_certificates(
            b"client", key, cert, [self.ca.certificate],  # type: ignore[arg-type]
            serialization.BestAvailableEncryption(PASSWORD.encode())))
        self.cert_pem = self._write("client.crt", cert.public_bytes(PEM))
        self.cert_der = self._write("client.der", cert.public_bytes(serialization.Encoding.DER))
        self.key_pem = self._write("client.key", key.private_bytes(
            PEM, PKCS8, serialization.NoEncryption()))
        self.locked_key_pem = self._write("locked.key", key.private_bytes(
            PEM, PKCS8, serialization.BestAvailableEncryption(PASSWORD.encode())))
        # The chain first, as some exports write it: the key picks its own certificate.
        self.chain_pem = self._write("chain.pem", self.ca.certificate.public_bytes(PEM)
                                     + cert.public_bytes(PEM))
        self.both_pem = self._write("both.pem", cert.public_bytes(PEM) + self.key_pem.read_bytes())
        self.both_locked_pem = self._write(
            "both-locked.pem", cert.public_bytes(PEM) + self.locked_key_pem.read_bytes())
        other = certfactory.issue("key-pair-someone-else").private_key
        self.other_key_pem = self._write("other.key", other.private_bytes(
            PEM, PKCS8, serialization.NoEncryption()))
        ec_key = certfactory.ec_key("key-pair-ec")
        self.ec_cert = self._write("ec.crt", certfactory.issue(
            "key-pair-ec", key=ec_key).certificate.public_bytes(PEM))
        self.ec_key = self._write("ec.key", ec_key.private_bytes(
            PEM, PKCS8, serialization.NoEncryption()))

    def _write(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    return Files(tmp_path_factory.mktemp("key-pair"))


def read(certificate: Path, key: Path | None = None, password: str = ""):
    return read_client_key_pair(ClientKeyPairFiles(str(certificate), str(key) if key else "",
                                                   password))


@pytest.mark.parametrize("choice", [
    ("p12", None, PASSWORD),
    ("both_pem", None, ""),
    ("both_locked_pem", None, PASSWORD),
    ("cert_pem", "key_pem", ""),
    ("cert_der", "key_pem", ""),
    ("cert_pem", "locked_key_pem", PASSWORD),
    ("chain_pem", "key_pem", ""),
    ("cert_pem", "p12", PASSWORD),  # the key file may be the PKCS#12 file as well
])
def test_every_form_of_the_key_pair_gives_the_same_pair(files, choice):
    certificate, key, password = choice
    pair = read(getattr(files, certificate), getattr(files, key) if key else None, password)
    assert pair.certificate == files.issued.certificate
    assert pair.private_key.private_numbers() == files.issued.private_key.private_numbers()


@pytest.mark.parametrize(("choice", "field", "words"), [
    (("p12", None, "not-it"), KeyPairField.PASSWORD, "password is wrong"),
    (("p12", None, ""), KeyPairField.PASSWORD, "protected by a password"),
    (("both_locked_pem", None, ""), KeyPairField.PASSWORD, "protected by a password"),
    (("both_locked_pem", None, "not-it"), KeyPairField.PASSWORD, "password is wrong"),
    (("cert_pem", "locked_key_pem", ""), KeyPairField.PASSWORD, "password"),
    (("cert_pem", None, ""), KeyPairField.KEY, "no private key"),
    (("cert_der", None, ""), KeyPairField.KEY, "no private key"),
    (("cert_pem", "other_key_pem", ""), KeyPairField.KEY, "does not belong"),
    (("cert_pem", "cert_pem", ""), KeyPairField.KEY, "no private key"),
    (("key_pem", None, ""), KeyPairField.CERTIFICATE, "holds no certificate"),
    (("ec_cert", "ec_key", ""), KeyPairField.KEY, "not an RSA key"),
])
def test_each_problem_names_the_one_field_to_change(files, choice, field, words):
    certificate, key, password = choice
    with pytest.raises(ClientKeyPairError, match=words) as caught:
        read(getattr(files, certificate), getattr(files, key) if key else None, password)
    assert caught.value.field is field
    assert isinstance(caught.value, InputError)  # shown to the person, never a crash
    assert PASSWORD not in caught.value.message and "not-it" not in caught.value.message


def test_broken_and_missing_files_are_named(files, tmp_path):
    broken = tmp_path / "broken.p12"
    broken.write_bytes(b"not a key pair at all")
    with pytest.raises(ClientKeyPairError, match="broken.p12") as caught:
        read(broken)
    assert caught.value.field is KeyPairField.CERTIFICATE
    with pytest.raises(ClientKeyPairError, match="cannot be read") as caught:
        read(tmp_path / "missing.p12")
    assert caught.value.field is KeyPairField.CERTIFICATE
    with pytest.raises(ClientKeyPairError, match="cannot be read") as caught:
        read(files.cert_pem, tmp_path / "missing.key")
    assert caught.value.field is KeyPairField.KEY
    with pytest.raises(ClientKeyPairError, match="private key") as caught:
        read(files.cert_pem, broken)
    assert caught.value.field is KeyPairField.KEY


def test_the_bytes_loader_is_what_the_command_line_calls(files):
    pair = load_client_key_pair(files.cert_pem.read_bytes(), files.key_pem.read_bytes())
    assert pair.certificate == files.issued.certificate
    assert "private_key" not in repr(pair)
    assert PASSWORD not in repr(ClientKeyPairFiles("a.p12", "", PASSWORD))
