"""Answers on WSO2's paths are valid against WSO2's own OpenAPI schemas (tests/data/wso2-openapi).

Every client made by ``client_for`` checks each JSON answer as it arrives (see conftest); these
tests make sure that check is real, and walk the WSO2-shaped answers in the states where a field
has no value, which is where our answers and WSO2's schemas used to disagree.
"""

from __future__ import annotations

from tests.helpers.wso2_schema import operation_for, response_problems
from tests.server.admin.conftest import API

META = f"{API}/applications/meta/inbound-protocols/ws-trust"


def test_the_check_knows_wso2s_operations_and_refuses_a_null():
    assert operation_for("GET", META).template == "/applications/meta/inbound-protocols/ws-trust"
    assert operation_for("GET", f"{API}/applications/abc/inbound-protocols/ws-trust").template == (
        "/applications/{applicationId}/inbound-protocols/ws-trust")
    assert operation_for("GET", f"{API}/sts/security") is None  # ours alone: not checked
    problems = response_problems("GET", META, 200, {"certificateAlias": {"options": [],
                                                                         "defaultValue": None}})
    assert problems and "defaultValue" in problems[0]


def test_metadata_without_a_default_alias_leaves_the_default_out(api):
    answer = api.get(META)
    assert answer.status_code == 200
    assert "defaultValue" not in answer.json()["certificateAlias"]
    assert response_problems("GET", META, 200, answer.json()) == []


def test_a_relying_party_without_a_certificate_reads_as_wso2_declares_it(api):
    created = api.post(f"{API}/applications", json={"name": "No certificate"}).json()
    url = f"{API}/applications/{created['id']}/inbound-protocols/ws-trust"
    # WSO2's clients send "" for "no certificate"; null is accepted too.
    answer = api.put(url, json={"audience": "https://rp.example.org/plain", "certificateAlias": ""})
    assert answer.status_code == 201, answer.text
    body = api.get(url).json()
    assert body["certificateAlias"] == ""  # required by WSO2's schema, so "" rather than absent
    assert "tokenLifetimeSeconds" not in body  # no value of its own: the server's default
    assert response_problems("GET", url, 200, body) == []
    application = api.get(f"{API}/applications/{created['id']}").json()
    assert "claim" not in application["claimConfiguration"]["subject"]
    assert response_problems("GET", f"{API}/applications/{created['id']}", 200, application) == []
