"""The stsdesk backend's error mapping: each HTTP refusal becomes its typed error."""

from __future__ import annotations

import uuid

import pytest

from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.services.admin import StsdeskAdminApi
from stsdesk.services.admin.models import UserDraft
from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.errors import (
    AdminApiError,
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    admin_error,
)
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from tests.services.conftest import ADMIN_PASSWORD


def _api(server, user: str = "admin", password: str = ADMIN_PASSWORD) -> StsdeskAdminApi:
    pin = fingerprint(fetch_certificate(server.url))
    return StsdeskAdminApi(AdminClient(ServerEndpoint(server.url, user, password,
                                                      TrustPolicy(pinned_sha256=pin))))


@pytest.mark.parametrize(("status", "kind"), [
    (400, InvalidInputError), (401, AuthenticationError), (403, PermissionDeniedError),
    (404, NotFoundError), (409, ConflictError), (422, InvalidInputError),
])
def test_each_status_has_its_type_and_stays_an_admin_api_error(status, kind):
    error = admin_error(status, "X-1", "Title.", "What to do.")
    assert type(error) is kind
    assert isinstance(error, AdminApiError) and error.status == status
    assert error.message == "What to do."


def test_other_statuses_stay_plain_admin_api_errors():
    assert type(admin_error(500, "", "Server error.", "")) is AdminApiError


def test_wrong_password_is_an_authentication_error(server):
    api = _api(server, password="wrong-password")
    with pytest.raises(AuthenticationError) as caught:
        api.get_resident_idp()
    assert "wrong" in caught.value.message
    server.bootstrap.store.logins.record_success("admin")


def test_a_user_without_the_admin_role_is_denied(server):
    admin = _api(server)
    name = f"clerk-{uuid.uuid4().hex[:6]}"
    clerk = admin.create_user(UserDraft(name, "Cl3rk-passw0rd!"))
    try:
        with pytest.raises(PermissionDeniedError) as caught:
            _api(server, name, "Cl3rk-passw0rd!").list_applications()
        assert caught.value.message
    finally:
        admin.delete_user(clerk.id)


def test_scim_refusals_are_typed_too(server):
    api = _api(server)
    with pytest.raises(NotFoundError):
        api.get_user("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ConflictError):
        api.create_user(UserDraft("admin", "Adm1n-passw0rd!"))


class _Answers:
    """An AdminClient stand-in that answers every GET with one fixed body."""

    def __init__(self, body: object) -> None:
        self.body = body

    def get(self, path: str, **params: object) -> object:
        return self.body


def test_an_answer_of_the_wrong_shape_is_a_service_error_naming_it():
    api = StsdeskAdminApi(_Answers(["not", "an", "object"]))  # type: ignore[arg-type]
    with pytest.raises(ServiceError) as caught:
        api.get_resident_idp()
    assert "resident identity provider" in caught.value.message
    with pytest.raises(ServiceError):
        StsdeskAdminApi(_Answers({"sts": "x"})).get_endpoints()  # type: ignore[arg-type]


def _security_from(body: object):
    return StsdeskAdminApi(_Answers(body)).get_security_policy()  # type: ignore[arg-type]


def test_the_algorithm_suite_reads_as_wso2s_from_an_older_server_and_refuses_an_unknown_one():
    older = {"enabled": True, "scenarioId": "scenario5", "trustedKeystores": ["wso2carbon.jks"],
             "privateKeystore": "wso2carbon.jks"}
    policy = _security_from(older)
    assert policy.algorithm_suite is AlgorithmSuite.BASIC256
    assert policy.trusted_keystores == ("wso2carbon.jks",)
    newer = _security_from(older | {"algorithmSuite": "Basic256Sha256"})
    assert newer.algorithm_suite is AlgorithmSuite.BASIC256_SHA256
    with pytest.raises(ServiceError) as caught:
        _security_from(older | {"algorithmSuite": "Basic128"})
    assert "security policy" in caught.value.message
