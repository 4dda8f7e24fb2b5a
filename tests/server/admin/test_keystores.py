"""The keystores API: trust-store certificates and signing keys, over the real application."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    pkcs12,
)
from cryptography.x509.oid import NameOID

from stsdesk.server.app import build_app
from stsdesk.server.bootstrap import open_existing
from stsdesk.server.model import RelyingParty
from tests.core.pki import identity
from tests.server.admin.conftest import API, client_for
from tests.server.conftest import ADMIN_PASSWORD

CERTS = f"{API}/keystores/certs"
KEYS = f"{API}/keystores/signing-keys"
P12_PASSWORD = "Pkcs12-very-secret-passphrase"
NOW = dt.datetime.now(dt.UTC)


# ----------------------------------------------------------------------------- material


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(Encoding.PEM).decode()


def _der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def _sha256(cert: x509.Certificate) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(cert.public_bytes(Encoding.DER)).digest())


def _self_signed(key, name: str, *, before=None, after=None) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(before or NOW - dt.timedelta(days=1))
        .not_valid_after(after or NOW + dt.timedelta(days=30))
        .sign(key, algorithm)
    )


def _p12(key, cert, password: str | None = P12_PASSWORD) -> str:
    protection = BestAvailableEncryption(password.encode()) if password else NoEncryption()
    data = pkcs12.serialize_key_and_certificates(b"key", key, cert, None, protection)
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def rp_cert() -> x509.Certificate:
    return identity("keystores-rp").certificate


@pytest.fixture(scope="module")
def other_cert() -> x509.Certificate:
    return identity("keystores-other").certificate


def _import(api, alias, cert):
    answer = api.post(CERTS, json={"alias": alias, "certificate": _pem(cert)})
    assert answer.status_code == 201, answer.text
    return answer


def _audit(api) -> list[dict]:
    return api.get(f"{API}/audit-logs").json()["entries"]


# ----------------------------------------------------------------------------- access


PROTECTED = [
    ("get", CERTS, None),
    ("get", f"{CERTS}/x", None),
    ("post", CERTS, {"alias": "x", "certificate": "x"}),
    ("delete", f"{CERTS}/x", None),
    ("get", KEYS, None),
    ("get", f"{KEYS}/x", None),
    ("post", KEYS, {"alias": "x", "generate": {"commonName": "x"}}),
    ("get", f"{KEYS}/active", None),
    ("put", f"{KEYS}/active", {"alias": "x"}),
    ("delete", f"{KEYS}/x", None),
]


def test_every_endpoint_needs_an_admin(anonymous, as_user):
    operator = as_user("operator", roles=("operators",))
    for method, path, body in PROTECTED:
        kwargs = {"json": body} if body is not None else {}
        answer = anonymous.request(method.upper(), path, **kwargs)
        assert answer.status_code == 401, (method, path)
        assert answer.headers["www-authenticate"].startswith("Basic")
        answer = operator.request(method.upper(), path, **kwargs)
        assert answer.status_code == 403, (method, path)
        assert "admin role" in answer.json()["description"]


def test_public_certificate_needs_no_credentials_and_is_the_active_signing_certificate(
    anonymous, bootstrapped
):
    answer = anonymous.get(f"{CERTS}/public")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-pem-file")
    served = x509.load_pem_x509_certificate(answer.content)
    assert served == bootstrapped.keystore.signing_certificate("wso2carbon")
    encoded = anonymous.get(f"{CERTS}/public", params={"encode-cert": "true"})
    assert base64.b64decode(encoded.text) == served.public_bytes(Encoding.DER)


def test_openapi_describes_the_keystore_paths(anonymous):
    paths = anonymous.get(f"{API}/openapi.json").json()["paths"]
    for path in ("/keystores/certs", "/keystores/certs/{alias}", "/keystores/certs/public",
                 "/keystores/signing-keys", "/keystores/signing-keys/active",
                 "/keystores/signing-keys/{alias}"):
        assert f"{API}{path}" in paths
    schema = paths[f"{API}/keystores/certs"]["post"]["requestBody"]["content"]["application/json"]
    assert schema["schema"]["$ref"].endswith("/CertificateRequest")


# ----------------------------------------------------------------------------- trust store


def test_import_list_download_and_delete_a_certificate(api, rp_cert):
    assert api.get(CERTS).json() == []
    created = _import(api, "rp-example", rp_cert)
    assert created.headers["location"] == f"https://testserver{CERTS}/rp-example"
    body = created.json()
    assert body["alias"] == "rp-example"
    assert body["certificate"] == created.headers["location"]
    assert body["subject"] == "CN=keystores-rp"
    assert body["sha256Fingerprint"] == _sha256(rp_cert)
    assert int(body["serialNumber"], 16) == rp_cert.serial_number
    assert (body["keyAlgorithm"], body["keySize"]) == ("RSA", 2048)
    assert body["usedBy"] == [] and body["warnings"] == []
    assert dt.datetime.fromisoformat(body["notAfter"]) == rp_cert.not_valid_after_utc

    listed = api.get(CERTS).json()
    assert [entry["alias"] for entry in listed] == ["rp-example"]
    assert listed[0] == body

    pem = api.get(f"{CERTS}/rp-example")
    assert pem.status_code == 200
    assert pem.headers["content-type"].startswith("application/x-pem-file")
    assert x509.load_pem_x509_certificate(pem.content) == rp_cert
    encoded = api.get(f"{CERTS}/rp-example", params={"encode-cert": "true"})
    assert base64.b64decode(encoded.text) == rp_cert.public_bytes(Encoding.DER)

    assert api.delete(f"{CERTS}/rp-example").status_code == 204
    assert api.get(f"{CERTS}/rp-example").status_code == 404
    assert api.get(CERTS).json() == []
    actions = [(e["action"], e["target"]) for e in _audit(api)]
    assert ("certificate.import", "rp-example") in actions
    assert ("certificate.delete", "rp-example") in actions


def test_base64_der_is_accepted_as_wso2_sends_it(api, rp_cert):
    answer = api.post(CERTS, json={"alias": "der", "certificate": _der_b64(rp_cert)})
    assert answer.status_code == 201
    assert x509.load_pem_x509_certificate(api.get(f"{CERTS}/der").content) == rp_cert


def test_ec_certificate_is_accepted_with_a_warning(api):
    cert = _self_signed(ec.generate_private_key(ec.SECP256R1()), "ec-rp")
    answer = api.post(CERTS, json={"alias": "ec-rp", "certificate": _pem(cert)})
    assert answer.status_code == 201
    (warning,) = answer.json()["warnings"]
    assert "cannot be used to encrypt tokens" in warning
    assert api.get(CERTS).json()[0]["warnings"] == [warning]


def test_expired_certificate_is_accepted_with_a_warning(api):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _self_signed(key, "old", before=NOW - dt.timedelta(days=60),
                        after=NOW - dt.timedelta(days=1))
    answer = api.post(CERTS, json={"alias": "old", "certificate": _pem(cert)})
    assert answer.status_code == 201
    assert any("expired on" in w for w in answer.json()["warnings"])


IMPORT_ERRORS = [
        ({"alias": "", "certificate": "x"}, "alias"),
        ({"alias": "a" * 129, "certificate": "x"}, "alias"),
        ({"alias": "../etc", "certificate": "PEM"}, "not allowed"),
        ({"alias": "a/b", "certificate": "PEM"}, "not allowed"),
        ({"alias": "with space", "certificate": "PEM"}, "not allowed"),
        ({"alias": "..", "certificate": "PEM"}, "only dots"),
        ({"alias": "public", "certificate": "PEM"}, "reserved"),
        ({"alias": "ok"}, "certificate"),
        ({"alias": "ok", "certificate": ""}, "certificate"),
        ({"alias": "ok", "certificate": "x" * 100_001}, "certificate"),
        ({"alias": "ok", "certificate": "PEM", "extra": 1}, "extra"),
        ({"alias": "ok", "certificate": "not a certificate!"},
         "The certificate could not be read"),
        ({"alias": "ok", "certificate": base64.b64encode(b"\x30\x03\x02\x01\x01").decode()},
         "The certificate could not be read"),
]


def test_import_validation_errors(api, rp_cert):
    for body, expected in IMPORT_ERRORS:
        body = {k: (_pem(rp_cert) if v == "PEM" else v) for k, v in body.items()}
        answer = api.post(CERTS, json=body)
        assert answer.status_code == 400, (body.get("alias"), answer.text[:300])
        payload = answer.json()
        assert set(payload) == {"code", "message", "description"}
        assert expected in payload["description"], (expected, payload["description"])
    assert api.get(CERTS).json() == []
    assert not _audit(api)


def test_a_private_key_is_not_a_certificate(api):
    from cryptography.hazmat.primitives.serialization import PrivateFormat

    key_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    answer = api.post(CERTS, json={"alias": "key", "certificate": key_pem})
    assert answer.status_code == 400
    assert "could not be read" in answer.json()["description"]
    assert "PRIVATE" not in answer.text.upper().replace("PRIVATE KEY", "")  # no key echoed back
    assert key_pem.splitlines()[1] not in answer.text


def test_non_rsa_non_ec_certificate_is_refused(api):
    cert = _self_signed(ed25519.Ed25519PrivateKey.generate(), "edwards")
    answer = api.post(CERTS, json={"alias": "ed", "certificate": _pem(cert)})
    assert answer.status_code == 400
    assert "Ed25519" in answer.json()["description"]
    assert "RSA" in answer.json()["description"]


def test_body_that_is_not_json_is_400(api):
    answer = api.post(CERTS, content=b"{nope", headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert "JSON" in answer.json()["description"]


def test_duplicate_alias_is_409(api, rp_cert, other_cert):
    _import(api, "rp", rp_cert)
    answer = api.post(CERTS, json={"alias": "rp", "certificate": _pem(other_cert)})
    assert answer.status_code == 409
    assert "'rp'" in answer.json()["description"]


def test_same_certificate_under_another_alias_is_409_naming_it(api, rp_cert):
    _import(api, "first", rp_cert)
    answer = api.post(CERTS, json={"alias": "second", "certificate": _der_b64(rp_cert)})
    assert answer.status_code == 409
    assert "'first'" in answer.json()["description"]
    assert [e["alias"] for e in api.get(CERTS).json()] == ["first"]


FILTERS = [
        ("alias eq rp-one", ["rp-one"]),
        ("alias eq \"rp-one\"", ["rp-one"]),
        ("ALIAS EQ rp-one", ["rp-one"]),
        ("alias sw rp-", ["rp-one", "rp-two"]),
        ("alias ew two", ["rp-two"]),
        ("alias co -t", ["rp-two"]),
        ("alias eq nothing", []),
        ("", ["other", "rp-one", "rp-two"]),
]


def test_filter_by_alias(api):
    for alias in ("rp-one", "rp-two", "other"):
        _import(api, alias, identity(f"filter-{alias}").certificate)
    for filter_, expected in FILTERS:
        answer = api.get(CERTS, params={"filter": filter_})
        assert answer.status_code == 200, filter_
        assert [entry["alias"] for entry in answer.json()] == expected, filter_
    for filter_ in ("alias", "alias gt x", "name eq x", "alias eq", "x" * 301):
        answer = api.get(CERTS, params={"filter": filter_})
        assert answer.status_code == 400, filter_
        description = answer.json()["description"]
        assert "alias eq" in description or "300" in description, description


def test_unknown_alias_is_404_naming_the_known_ones(api, rp_cert):
    _import(api, "known-one", rp_cert)
    answer = api.get(f"{CERTS}/missing")
    assert answer.status_code == 404
    assert "'missing'" in answer.json()["description"]
    assert "'known-one'" in answer.json()["description"]
    assert api.delete(f"{CERTS}/missing").status_code == 404


def test_signing_key_alias_in_the_trust_store_path_points_to_the_signing_keys(api):
    answer = api.get(f"{CERTS}/wso2carbon")
    assert answer.status_code == 404
    assert "/keystores/signing-keys/wso2carbon" in answer.json()["description"]


def test_certificate_in_use_cannot_be_deleted_and_the_error_names_the_users(
    api, bootstrapped, rp_cert
):
    _import(api, "rp-in-use", rp_cert)
    store = bootstrapped.store
    for name in ("Billing portal", "HR portal"):
        app_id = store.applications.create(name)
        store.applications.set_relying_party(
            app_id, RelyingParty("", name, f"https://{name[:2]}.example.org/",
                                 certificate_alias="rp-in-use"))
    (entry,) = api.get(CERTS).json()
    assert entry["usedBy"] == ["Billing portal", "HR portal"]
    answer = api.delete(f"{CERTS}/rp-in-use")
    assert answer.status_code == 409
    assert "'Billing portal'" in answer.json()["description"]
    assert "'HR portal'" in answer.json()["description"]
    assert api.get(f"{CERTS}/rp-in-use").status_code == 200
    assert not any(e["action"] == "certificate.delete" for e in _audit(api))


def test_trust_store_changes_persist_across_a_restart(api, rp_cert, server_settings):
    _import(api, "durable", rp_cert)
    reopened = open_existing(server_settings)
    try:
        with client_for(build_app(reopened, server_settings), "admin", ADMIN_PASSWORD) as again:
            assert [e["alias"] for e in again.get(CERTS).json()] == ["durable"]
    finally:
        reopened.close()


# ----------------------------------------------------------------------------- signing keys


def test_the_bootstrap_signing_key_is_listed_as_active(api, bootstrapped):
    (entry,) = api.get(KEYS).json()
    cert = bootstrapped.keystore.signing_certificate("wso2carbon")
    assert entry["alias"] == "wso2carbon"
    assert entry["active"] is True
    assert entry["sha256Fingerprint"] == _sha256(cert)
    assert x509.load_pem_x509_certificate(entry["pem"].encode()) == cert
    assert "PRIVATE" not in api.get(KEYS).text
    assert api.get(f"{KEYS}/active").json() == {"alias": "wso2carbon"}
    assert x509.load_pem_x509_certificate(api.get(f"{KEYS}/wso2carbon").content) == cert


def test_generate_switch_and_delete_a_signing_key(api, anonymous, bootstrapped):
    created = api.post(KEYS, json={"alias": "next-2025", "generate": {
        "commonName": "sts.example.org", "keySize": 2048, "validityDays": 30}})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"https://testserver{KEYS}/next-2025"
    body = created.json()
    assert body["alias"] == "next-2025" and body["active"] is False
    assert body["subject"] == "CN=sts.example.org" and body["keySize"] == 2048
    not_after = dt.datetime.fromisoformat(body["notAfter"])
    assert dt.timedelta(days=29) < not_after - NOW < dt.timedelta(days=31)
    new_cert = bootstrapped.keystore.signing_certificate("next-2025")
    assert body["sha256Fingerprint"] == _sha256(new_cert)

    switched = api.put(f"{KEYS}/active", json={"alias": "next-2025"})
    assert switched.status_code == 200
    assert switched.json() == {"alias": "next-2025"}
    assert api.get(f"{KEYS}/active").json() == {"alias": "next-2025"}
    assert bootstrapped.store.snapshot().signing_alias == "next-2025"
    flags = {e["alias"]: e["active"] for e in api.get(KEYS).json()}
    assert flags == {"next-2025": True, "wso2carbon": False}
    public = anonymous.get(f"{CERTS}/public")
    assert x509.load_pem_x509_certificate(public.content) == new_cert

    refused = api.delete(f"{KEYS}/next-2025")
    assert refused.status_code == 409
    assert "signs the tokens" in refused.json()["description"]
    assert api.delete(f"{KEYS}/wso2carbon").status_code == 204
    assert [e["alias"] for e in api.get(KEYS).json()] == ["next-2025"]
    assert api.delete(f"{KEYS}/wso2carbon").status_code == 404
    assert api.get(f"{KEYS}/wso2carbon").status_code == 404

    actions = [(e["action"], e["target"]) for e in _audit(api)]
    assert ("signing-key.create", "next-2025") in actions
    assert ("signing-key.activate", "next-2025") in actions
    assert ("signing-key.delete", "wso2carbon") in actions


def test_choosing_the_active_key_again_changes_nothing(api):
    assert api.put(f"{KEYS}/active", json={"alias": "wso2carbon"}).status_code == 200
    assert not any(e["action"] == "signing-key.activate" for e in _audit(api))


def test_signing_key_filter(api):
    assert [e["alias"] for e in api.get(KEYS, params={"filter": "alias sw wso2"}).json()] == [
        "wso2carbon"]
    assert api.get(KEYS, params={"filter": "alias sw"}).status_code == 400


def test_import_a_pkcs12_signing_key(api, bootstrapped):
    signer = identity("keystores-pkcs12")
    answer = api.post(KEYS, json={"alias": "imported", "pkcs12": _p12(
        signer.private_key, signer.certificate), "password": P12_PASSWORD})
    assert answer.status_code == 201, answer.text
    assert answer.json()["sha256Fingerprint"] == _sha256(signer.certificate)
    stored = bootstrapped.keystore.signing_identity("imported")
    assert stored.private_key.private_numbers() == signer.private_key.private_numbers()
    (entry,) = [e for e in _audit(api) if e["action"] == "signing-key.create"]
    assert "PKCS#12" in entry["detail"]


def test_pkcs12_without_a_password(api):
    signer = identity("keystores-pkcs12-open")
    answer = api.post(KEYS, json={"alias": "open", "pkcs12": _p12(
        signer.private_key, signer.certificate, password=None)})
    assert answer.status_code == 201, answer.text


def test_the_pkcs12_password_never_appears_anywhere(api, caplog):
    caplog.set_level(logging.DEBUG)
    signer = identity("keystores-pkcs12")
    good = _p12(signer.private_key, signer.certificate)
    answers = [
        api.post(KEYS, json={"alias": "secret-1", "pkcs12": good, "password": P12_PASSWORD}),
        api.post(KEYS, json={"alias": "secret-2", "pkcs12": good, "password": P12_PASSWORD + "x"}),
        api.post(KEYS, json={"alias": "secret-3", "pkcs12": "@@", "password": P12_PASSWORD}),
        api.post(KEYS, json={"alias": "../", "pkcs12": good, "password": P12_PASSWORD}),
        api.post(KEYS, json={"alias": "secret-4", "pkcs12": good, "password": P12_PASSWORD * 60}),
    ]
    assert [a.status_code for a in answers] == [201, 400, 400, 400, 400]
    for answer in answers:
        assert P12_PASSWORD not in answer.text
    assert P12_PASSWORD not in caplog.text
    assert P12_PASSWORD not in api.get(f"{API}/audit-logs").text
    assert P12_PASSWORD not in api.get(KEYS).text


def test_pkcs12_errors_say_which(api):
    signer = identity("keystores-pkcs12")
    good = _p12(signer.private_key, signer.certificate)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    cert_der = base64.b64encode(signer.certificate.public_bytes(Encoding.DER)).decode()
    cases = [
        ({"pkcs12": good, "password": "not-the-password"},
         "could not be opened with the given password"),
        ({"pkcs12": good}, "(none was given)"),
        ({"pkcs12": "this is not base64!", "password": P12_PASSWORD}, "not base64"),
        ({"pkcs12": cert_der, "password": P12_PASSWORD}, "not a PKCS#12"),
        ({"pkcs12": _p12(ec_key, _self_signed(ec_key, "ec-signer")), "password": P12_PASSWORD},
         "not an RSA key"),
    ]
    for body, expected in cases:
        answer = api.post(KEYS, json={"alias": "bad", **body})
        assert answer.status_code == 400, answer.text
        assert expected in answer.json()["description"], (expected, answer.text)
    assert [e["alias"] for e in api.get(KEYS).json()] == ["wso2carbon"]


SIGNING_KEY_ERRORS = [
        ({"alias": "k"}, "either 'generate'"),
        ({"alias": "k", "generate": {"commonName": "x"}, "pkcs12": "AAAA"}, "not both"),
        ({"alias": "k", "generate": {"commonName": "x"}, "password": "p"}, "'password' goes"),
        ({"alias": "k", "generate": {"commonName": "x", "keySize": 1024}}, "keySize"),
        ({"alias": "k", "generate": {"commonName": "x", "validityDays": 0}}, "validityDays"),
        ({"alias": "k", "generate": {"commonName": "x", "validityDays": 3651}}, "validityDays"),
        ({"alias": "k", "generate": {"commonName": ""}}, "commonName"),
        ({"alias": "k", "generate": {"commonName": "   "}}, "blank"),
        ({"alias": "k", "generate": {"commonName": "x" * 65}}, "commonName"),
        ({"alias": "k", "generate": {"commonName": "x", "curve": "p256"}}, "curve"),
        ({"alias": "active", "generate": {"commonName": "x"}}, "reserved"),
        ({"alias": "a b", "generate": {"commonName": "x"}}, "not allowed"),
        ({"alias": "k", "pkcs12": "A" * 200_001}, "pkcs12"),
]


def test_signing_key_validation_errors(api):
    for body, expected in SIGNING_KEY_ERRORS:
        answer = api.post(KEYS, json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert expected in answer.json()["description"], (expected, answer.text)
    assert [e["alias"] for e in api.get(KEYS).json()] == ["wso2carbon"]
    assert not _audit(api)


def test_duplicate_signing_key_alias_is_409(api):
    answer = api.post(KEYS, json={"alias": "wso2carbon", "generate": {"commonName": "x"}})
    assert answer.status_code == 409
    assert "'wso2carbon'" in answer.json()["description"]


def test_activating_an_unknown_key_is_400_naming_the_known_ones(api):
    answer = api.put(f"{KEYS}/active", json={"alias": "nope"})
    assert answer.status_code == 400
    assert "'nope'" in answer.json()["description"]
    assert "'wso2carbon'" in answer.json()["description"]
    assert api.put(f"{KEYS}/active", json={}).status_code == 400
    assert api.get(f"{KEYS}/active").json() == {"alias": "wso2carbon"}


def test_activating_an_expired_key_is_refused(api):
    signer = identity("keystores-expired")
    expired = _self_signed(signer.private_key, "expired", before=NOW - dt.timedelta(days=60),
                           after=NOW - dt.timedelta(days=1))
    created = api.post(KEYS, json={"alias": "expired", "pkcs12": _p12(signer.private_key, expired),
                                   "password": P12_PASSWORD})
    assert created.status_code == 201
    assert any("expired" in w for w in created.json()["warnings"])
    answer = api.put(f"{KEYS}/active", json={"alias": "expired"})
    assert answer.status_code == 400
    assert "reject tokens" in answer.json()["description"]
    assert api.get(f"{KEYS}/active").json() == {"alias": "wso2carbon"}


def test_active_key_persists_across_a_restart(api, server_settings):
    signer = identity("keystores-durable")
    api.post(KEYS, json={"alias": "durable", "pkcs12": _p12(signer.private_key, signer.certificate),
                         "password": P12_PASSWORD})
    assert api.put(f"{KEYS}/active", json={"alias": "durable"}).status_code == 200
    reopened = open_existing(server_settings)
    try:
        with client_for(build_app(reopened, server_settings), "admin", ADMIN_PASSWORD) as again:
            assert again.get(f"{KEYS}/active").json() == {"alias": "durable"}
            public = again.get(f"{CERTS}/public")
            assert x509.load_pem_x509_certificate(public.content) == signer.certificate
    finally:
        reopened.close()
