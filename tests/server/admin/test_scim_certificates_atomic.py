"""A SCIM change to a user's x509Certificates and profile is one change: when the profile part
is refused, the certificate mapping (which decides who an X.509 client is) is not changed
either, and a user whose creation is refused never existed, not even for a moment."""

from __future__ import annotations

import base64

from stsdesk.server.storage.user_certificates import certificate_fingerprint
from tests.helpers import certfactory
from tests.server.admin.test_scim import HEADERS, SCIM, create, patch, rfc_user


def b64(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


def test_a_put_refused_for_its_user_name_leaves_the_certificates_unmapped(api, bootstrapped):
    create(api, rfc_user("taken"))
    alice = create(api, rfc_user("alice"))
    certificate = certfactory.issue("alice-laptop").der
    body = rfc_user("taken", x509Certificates=[{"value": b64(certificate)}])
    del body["password"]
    answer = api.put(f"{SCIM}/Users/{alice['id']}", json=body, headers=HEADERS)
    assert answer.status_code == 409, answer.text
    # Nothing of the refused request is in force: the certificate stands for nobody.
    store = bootstrapped.store
    assert store.user_certificates.username_for(certificate_fingerprint(certificate)) is None
    read = api.get(f"{SCIM}/Users/{alice['id']}", headers=HEADERS).json()
    assert "x509Certificates" not in read and read["userName"] == "alice"


def test_a_patch_refused_for_its_user_name_leaves_the_certificates_unmapped(api, bootstrapped):
    create(api, rfc_user("taken"))
    alice = create(api, rfc_user("alice"))
    certificate = certfactory.issue("alice-phone").der
    answer = patch(api, f"{SCIM}/Users/{alice['id']}",
                   {"op": "replace", "path": "userName", "value": "taken"},
                   {"op": "add", "path": "x509Certificates", "value": [{"value": b64(certificate)}]})
    assert answer.status_code == 409, answer.text
    store = bootstrapped.store
    assert store.user_certificates.username_for(certificate_fingerprint(certificate)) is None


def test_a_certificate_change_alone_is_stored_with_the_user(api, bootstrapped):
    alice = create(api, rfc_user("alice"))
    certificate = certfactory.issue("alice-desk").der
    answer = patch(api, f"{SCIM}/Users/{alice['id']}",
                   {"op": "add", "path": "x509Certificates", "value": [{"value": b64(certificate)}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["x509Certificates"] == [{"value": b64(certificate)}]
    store = bootstrapped.store
    assert store.user_certificates.username_for(certificate_fingerprint(certificate)) == "alice"


def test_a_user_created_with_a_certificate_of_another_user_is_never_created(api, bootstrapped):
    certificate = certfactory.issue("shared").der
    create(api, rfc_user("owner", x509Certificates=[{"value": b64(certificate)}]))
    store = bootstrapped.store
    version = store.snapshot().version
    answer = api.post(f"{SCIM}/Users", json=rfc_user(
        "intruder", x509Certificates=[{"value": b64(certificate)}]), headers=HEADERS)
    assert answer.status_code == 409, answer.text
    assert store.users.get("intruder") is None
    # Not created and deleted again: no configuration change happened at all.
    assert store.snapshot().version == version
    assert store.user_certificates.username_for(certificate_fingerprint(certificate)) == "owner"
