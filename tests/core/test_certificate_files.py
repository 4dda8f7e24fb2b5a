"""read_certificates: every supported format read back, and every broken file refused clearly."""

from __future__ import annotations

import base64
import logging

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from stsdesk.core.certificate_files import (
    MAX_FILE_BYTES,
    MAX_KEY_FILE_BYTES,
    FileKind,
    PasswordRequiredError,
    UnreadableCertificateFileError,
    WrongPasswordError,
    load_pkcs12_key_pair,
    load_private_key,
    read_certificates,
    read_pem_text,
)
from stsdesk.core.errors import InvalidRequestError
from tests.helpers.certfactory import (
    PASSWORD,
    CertificateFiles,
    der,
    issue,
    pem,
    rsa_key,
    write_all,
    write_jks,
    write_p7b,
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return write_all(tmp_path_factory.mktemp("certfiles"))


def _read(path, password=None):
    return read_certificates(path.read_bytes(), filename=path.name, password=password)


def _same_key(private_key, certificate) -> bool:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return private_key.public_key().public_bytes(serialization.Encoding.DER, spki) == (
        certificate.public_key().public_bytes(serialization.Encoding.DER, spki)
    )


# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("name", "kind"),
    [("pem_single", FileKind.PEM), ("der", FileKind.DER), ("cer_pem", FileKind.PEM),
     ("crt_der", FileKind.DER), ("base64_der", FileKind.DER)],
)
def test_single_certificate_in_every_encoding(files, name, kind):
    loaded = _read(getattr(files, name))
    assert loaded.kind is kind
    (entry,) = loaded.entries
    assert entry.certificate == files.rp.certificate
    assert entry.chain == (files.rp.certificate,)
    assert entry.private_key is None and entry.alias_hint is None


def test_several_pem_certificates_keep_file_order_and_find_their_chains(files):
    chain = files.chain
    loaded = _read(files.pem_multi)
    assert loaded.kind is FileKind.PEM
    assert loaded.certificates == chain.certificates
    leaf, intermediate, root = loaded.entries
    assert leaf.chain == chain.certificates
    assert intermediate.chain == (chain.intermediate.certificate, chain.root.certificate)
    assert root.chain == (chain.root.certificate,)


def test_chain_is_found_whatever_the_order_in_the_file(files):
    chain = files.chain
    text = pem(chain.root.certificate, chain.leaf.certificate, chain.intermediate.certificate)
    loaded = read_certificates(text)
    assert loaded.entries[1].certificate == chain.leaf.certificate
    assert loaded.entries[1].chain == chain.certificates


def test_a_lookalike_issuer_with_another_key_is_not_taken_into_the_chain(files):
    # Same subject as the intermediate, different key: the signature check rejects it.
    impostor = issue("test Intermediate CA", key=rsa_key("impostor"), ca=True,
                     organization="Stsdesk Tests")
    assert impostor.certificate.subject == files.chain.intermediate.certificate.subject
    loaded = read_certificates(pem(files.chain.leaf.certificate, impostor.certificate))
    assert loaded.entries[0].chain == (files.chain.leaf.certificate,)


@pytest.mark.parametrize("name", ["p7b_pem", "p7b_der"])
def test_pkcs7_chains_in_pem_and_der(files, name):
    loaded = _read(getattr(files, name))
    assert loaded.kind is FileKind.PKCS7
    assert set(loaded.certificates) == set(files.chain.certificates)
    (leaf,) = [e for e in loaded.entries if e.certificate == files.chain.leaf.certificate]
    assert leaf.chain == files.chain.certificates


def test_pasted_pkcs7_pem_text_is_read(files):
    text = files.p7b_pem.read_text()
    assert text.startswith("-----BEGIN PKCS7-----")
    assert read_pem_text(text).kind is FileKind.PKCS7


def test_pkcs12_key_entry_with_its_chain_and_friendly_name(files):
    loaded = _read(files.p12, PASSWORD)
    assert loaded.kind is FileKind.PKCS12
    (entry,) = loaded.entries
    assert entry.alias_hint == "rp-key"
    assert entry.certificate == files.chain.leaf.certificate
    assert entry.chain == files.chain.certificates
    assert isinstance(entry.private_key, rsa.RSAPrivateKey)
    assert _same_key(entry.private_key, entry.certificate)


def test_pkcs12_without_password_opens_without_one(files):
    (entry,) = _read(files.p12_no_password).entries
    assert entry.certificate == files.rp.certificate
    assert entry.alias_hint == "open"
    assert _same_key(entry.private_key, files.rp.certificate)


def test_pkcs12_holding_only_trusted_certificates_lists_each(files):
    loaded = _read(files.p12_trust_only, PASSWORD)
    assert [(e.alias_hint, e.private_key) for e in loaded.entries] == [
        ("intermediate", None), ("root", None)
    ]
    assert loaded.entries[0].chain == (files.chain.intermediate.certificate,
                                       files.chain.root.certificate)


def test_java_keystore_key_and_trusted_entries(files):
    loaded = _read(files.jks, PASSWORD)
    assert loaded.kind is FileKind.JKS
    key_entry, trusted = loaded.entries
    assert key_entry.alias_hint == "rp-key"
    assert key_entry.chain == (files.chain.leaf.certificate, files.chain.intermediate.certificate)
    assert _same_key(key_entry.private_key, files.chain.leaf.certificate)
    assert trusted.alias_hint == "rp-cert"
    assert trusted.certificate == files.rp.certificate
    assert trusted.private_key is None


def test_java_keystore_of_trusted_certificates_only(tmp_path, files):
    path = write_jks(tmp_path / "trust.jks", trusted={
        "root": files.chain.root.certificate, "intermediate": files.chain.intermediate.certificate,
    }, password="changeit")
    loaded = _read(path, "changeit")
    assert {e.alias_hint: e.certificate for e in loaded.entries} == {
        "root": files.chain.root.certificate,
        "intermediate": files.chain.intermediate.certificate,
    }
    (intermediate,) = [e for e in loaded.entries if e.alias_hint == "intermediate"]
    assert intermediate.chain[-1] == files.chain.root.certificate


def test_pem_with_its_private_key_pairs_them(files):
    (entry,) = _read(files.pem_with_key).entries
    assert _same_key(entry.private_key, files.rp.certificate)


def test_encrypted_pem_key_is_left_locked_without_password_and_opened_with_it(files):
    locked = _read(files.pem_with_encrypted_key)
    assert locked.skipped_encrypted_keys == 1
    assert locked.entries[0].private_key is None
    assert locked.entries[0].certificate == files.rp.certificate
    opened = _read(files.pem_with_encrypted_key, PASSWORD)
    assert opened.skipped_encrypted_keys == 0
    assert _same_key(opened.entries[0].private_key, files.rp.certificate)


def test_content_decides_not_the_file_name(files):
    # A PKCS#12 file named .cer and a PEM file named .der are still read for what they are.
    assert read_certificates(files.p12.read_bytes(), filename="looks-like.cer",
                             password=PASSWORD).kind is FileKind.PKCS12
    assert read_certificates(files.pem_single.read_bytes(),
                             filename="looks-like.der").kind is FileKind.PEM


def test_der_with_a_trailing_newline_is_accepted(files):
    loaded = read_certificates(der(files.rp.certificate) + b"\r\n")
    assert loaded.certificates == (files.rp.certificate,)


def test_openssl_trusted_certificate_block_is_read(files):
    body = files.rp.der + bytes.fromhex("300a300806062b0601050507")  # trust settings appended
    text = (b"-----BEGIN TRUSTED CERTIFICATE-----\n" + base64.encodebytes(body)
            + b"-----END TRUSTED CERTIFICATE-----\n")
    assert read_certificates(text).certificates == (files.rp.certificate,)


# ----------------------------------------------------------------------------- passwords


@pytest.mark.parametrize(("name", "kind"), [("p12", FileKind.PKCS12), ("jks", FileKind.JKS),
                                            ("p12_trust_only", FileKind.PKCS12)])
def test_missing_password_is_asked_for(files, name, kind):
    with pytest.raises(PasswordRequiredError, match="protected by a password") as caught:
        _read(getattr(files, name))
    assert caught.value.kind is kind
    assert isinstance(caught.value, InvalidRequestError)


@pytest.mark.parametrize(("name", "what"), [("p12", "PKCS#12 file"), ("jks", "Java keystore"),
                                            ("pem_with_encrypted_key", "encrypted private key")])
def test_wrong_password_says_so_and_never_repeats_it(files, name, what, caplog):
    guess = "Hunter2-wrong-guess"
    with caplog.at_level(logging.DEBUG, logger="stsdesk"):
        with pytest.raises(WrongPasswordError, match="password is wrong") as caught:
            _read(getattr(files, name), guess)
    assert what in caught.value.message
    assert guess not in caught.value.message
    assert guess not in caplog.text and PASSWORD not in caplog.text


def test_password_is_not_logged_on_success(files, caplog):
    with caplog.at_level(logging.DEBUG, logger="stsdesk"):
        _read(files.jks, PASSWORD)
        _read(files.p12, PASSWORD)
    assert PASSWORD not in caplog.text


# ----------------------------------------------------------------------------- broken files


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("truncated_der", None, "DER file 'truncated.der' is truncated"),
        ("truncated_pem", None, "is cut off"),
        ("truncated_p12", PASSWORD, "PKCS#12 file 'truncated.p12' is truncated"),
        ("truncated_jks", PASSWORD, "Java keystore 'truncated.jks' is truncated or damaged"),
        ("truncated_jks", None, "truncated or damaged"),
        ("garbage", None, "not in a certificate format"),
        ("garbage_p12", PASSWORD, "named like a PKCS#12 file but its content is not one"),
        ("empty", None, "'empty.cer' is empty"),
        ("key_only", None, "holds no certificate (it holds only a private key)"),
    ],
)
def test_broken_files_are_refused_with_a_clear_message(files, name, password, message):
    with pytest.raises(UnreadableCertificateFileError) as caught:
        _read(getattr(files, name), password)
    assert message in caught.value.message


def test_unknown_format_names_the_supported_ones(files):
    with pytest.raises(UnreadableCertificateFileError) as caught:
        _read(files.garbage)
    for name in ("PEM", "DER", "PKCS#7", "PKCS#12", "Java keystores"):
        assert name in caught.value.message


def test_too_large_file_is_refused_before_parsing():
    data = b"-----BEGIN CERTIFICATE-----\n" + b"A" * MAX_FILE_BYTES
    with pytest.raises(UnreadableCertificateFileError, match="larger than any certificate file"):
        read_certificates(data, filename="huge.pem")


def test_damaged_base64_inside_pem_is_refused(files):
    text = files.pem_single.read_bytes().replace(b"M", b"*", 3)
    with pytest.raises(UnreadableCertificateFileError, match="damaged"):
        read_certificates(text)


def test_pem_holding_only_a_certificate_request_says_what_it_holds():
    text = b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"
    with pytest.raises(UnreadableCertificateFileError, match="CERTIFICATE REQUEST"):
        read_certificates(text)


def test_der_certificate_with_a_flipped_inner_byte_is_damaged(files):
    data = bytearray(files.rp.der)
    data[4:8] = b"\xff\xff\xff\xff"  # breaks the TBSCertificate header
    with pytest.raises(UnreadableCertificateFileError):
        read_certificates(bytes(data), filename="bad.der")


def test_empty_pkcs7_is_refused(tmp_path, files):
    # A degenerate PKCS#7 needs at least one certificate to be written; make one and empty it
    # by reading a PKCS#7 that wraps something else entirely.
    path = write_p7b(tmp_path / "one.p7b", [files.rp.certificate], as_pem=False)
    broken = path.read_bytes()[:40] + b"\x00" * (len(path.read_bytes()) - 40)
    with pytest.raises(UnreadableCertificateFileError):
        read_certificates(broken, filename="one.p7b")


def test_pasted_text_without_pem_armour_or_empty_is_refused():
    with pytest.raises(UnreadableCertificateFileError, match="Nothing was pasted"):
        read_pem_text("   ")
    with pytest.raises(UnreadableCertificateFileError, match="no -----BEGIN CERTIFICATE-----"):
        read_pem_text("MIIBszCCAVmgAwIBAgIU")


def test_pasted_pem_with_surrounding_text_is_read(files):
    text = "Here is our certificate:\n\n" + files.pem_multi.read_text() + "\nRegards\n"
    assert read_pem_text(text).certificates == files.chain.certificates


# -- private keys: the one loader for decrypting, proving and signing -------------------------

KEY_OWNER = issue("certfiles-key-owner")


def _numbers(key) -> object:
    return key.private_numbers()


def _key_bytes(encoding, fmt, password: bytes | None = None) -> bytes:
    protection = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return KEY_OWNER.private_key.private_bytes(encoding, fmt, protection)


@pytest.mark.parametrize(
    ("encoding", "fmt", "password"),
    [
        (serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, None),
        (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, None),
        (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, b"s3cret"),
        (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, None),
        (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, b"s3cret"),
    ],
)
def test_load_private_key_reads_pem_and_der(encoding, fmt, password):
    data = _key_bytes(encoding, fmt, password)
    for given in (password, password.decode() if password else None):
        assert _numbers(load_private_key(data, given)) == _numbers(KEY_OWNER.private_key)


def test_load_private_key_reads_pkcs12_with_and_without_password():
    key, cert = KEY_OWNER.private_key, KEY_OWNER.certificate
    locked = pkcs12.serialize_key_and_certificates(
        b"rp", key, cert, None, serialization.BestAvailableEncryption(b"pw"))
    assert _numbers(load_private_key(locked, b"pw")) == _numbers(key)
    open_file = pkcs12.serialize_key_and_certificates(
        b"rp", key, cert, None, serialization.NoEncryption())
    assert _numbers(load_private_key(open_file)) == _numbers(key)
    # A password given for a file that needs none is no reason to refuse it.
    assert _numbers(load_private_key(open_file, "unneeded")) == _numbers(key)


def test_load_private_key_says_what_is_wrong():
    locked_pem = _key_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, b"s")
    locked_der = _key_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, b"s")
    p12 = pkcs12.serialize_key_and_certificates(
        b"rp", KEY_OWNER.private_key, KEY_OWNER.certificate, None,
        serialization.BestAvailableEncryption(b"pw"))
    for data in (locked_pem, locked_der, p12):
        with pytest.raises(PasswordRequiredError, match="protected by a password"):
            load_private_key(data)
    with pytest.raises(WrongPasswordError, match="password is wrong"):
        load_private_key(p12, b"wrong")
    with pytest.raises(WrongPasswordError):
        load_private_key(locked_pem, "wrong")
    with pytest.raises(UnreadableCertificateFileError, match="empty"):
        load_private_key(b"  \n")
    with pytest.raises(UnreadableCertificateFileError, match="too large"):
        load_private_key(b"0" * (MAX_KEY_FILE_BYTES + 1))
    with pytest.raises(UnreadableCertificateFileError, match="not a PEM, DER or PKCS#12"):
        load_private_key(b"garbage that is not a key")
    with pytest.raises(UnreadableCertificateFileError, match="holds no private key"):
        load_private_key(pem(KEY_OWNER.certificate))
    # Every refusal is an InvalidRequestError, so callers show it as the user's to fix.
    with pytest.raises(InvalidRequestError):
        load_private_key(b"garbage")


def test_load_private_key_refuses_keys_that_are_not_rsa():
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(UnreadableCertificateFileError, match="not an RSA key"):
        load_private_key(ec_pem)


def test_load_pkcs12_key_pair_gives_key_certificate_and_chain():
    ca = issue("certfiles-key-ca", ca=True)
    leaf = issue("certfiles-key-leaf", key=rsa_key("certfiles-key-leaf"), issuer=ca)
    data = pkcs12.serialize_key_and_certificates(
        b"leaf", leaf.private_key, leaf.certificate, [ca.certificate],
        serialization.BestAvailableEncryption(b"pw"))
    pair = load_pkcs12_key_pair(data, "pw")
    assert _numbers(pair.private_key) == _numbers(leaf.private_key)
    assert pair.certificate == leaf.certificate
    assert pair.chain == (leaf.certificate, ca.certificate)
    assert "RSAPrivateKey" not in repr(pair)  # a key never reaches a log line through repr


def test_load_pkcs12_key_pair_needs_both_halves_and_the_format():
    only_cert = pkcs12.serialize_key_and_certificates(
        b"c", None, None, [KEY_OWNER.certificate], serialization.NoEncryption())
    with pytest.raises(UnreadableCertificateFileError, match="holds no private key"):
        load_pkcs12_key_pair(only_cert)
    with pytest.raises(UnreadableCertificateFileError, match="not a PKCS#12"):
        load_pkcs12_key_pair(der(KEY_OWNER.certificate))
    with pytest.raises(PasswordRequiredError):
        load_pkcs12_key_pair(pkcs12.serialize_key_and_certificates(
            b"k", KEY_OWNER.private_key, KEY_OWNER.certificate, None,
            serialization.BestAvailableEncryption(b"pw")))
