"""The admin API's error table: core errors the caller caused are 400, the server's own are 500."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from stsdesk.core.errors import CryptoError, InvalidRequestError, RequestFailedError, StsError
from stsdesk.server.admin.errors import install_error_handlers
from stsdesk.server.storage.errors import UNAVAILABLE_MESSAGE, DatabaseUnavailableError


def _client_raising(error: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/server/v1/boom")
    def boom() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


def test_a_core_error_the_caller_caused_is_theirs_to_fix():
    answer = _client_raising(InvalidRequestError("The certificate is not PEM; send PEM.")).get(
        "/api/server/v1/boom")
    assert answer.status_code == 400
    assert answer.json() == {"code": "STS-60400", "message": "Invalid input.",
                             "description": "The certificate is not PEM; send PEM."}


@pytest.mark.parametrize(
    "error",
    [
        CryptoError("The token could not be signed (xmlsec: sign failed); check the key."),
        RequestFailedError("The policy document for scenario9 is missing."),
        StsError("something in core"),
    ],
)
def test_a_failure_on_the_servers_side_is_a_500_that_does_not_blame_the_caller(error, caplog):
    with caplog.at_level(logging.ERROR, logger="stsdesk.server.admin"):
        answer = _client_raising(error).get("/api/server/v1/boom")
    assert answer.status_code == 500
    body = answer.json()
    assert body["code"] == "STS-60500" and body["message"] == "Server error."
    assert "not because of what was sent" in body["description"]
    assert "server log" in body["description"]
    assert error.message not in body["description"]  # internals stay in the log ...
    assert error.message in caplog.text  # ... where the administrator finds them


def test_an_unavailable_database_is_503_and_no_soap_fault_class():
    error = DatabaseUnavailableError(UNAVAILABLE_MESSAGE)
    assert not isinstance(error, StsError)
    answer = _client_raising(error).get("/api/server/v1/boom")
    assert answer.status_code == 503
    assert answer.json()["description"] == UNAVAILABLE_MESSAGE
