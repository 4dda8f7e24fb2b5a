"""The double's REST APIs (/api/server/v1) and SCIM 2.0 (/scim2), with WSO2's refusals.

Request bodies reach these handlers only after validation against WSO2's OpenAPI schema; what
WSO2's own code would still refuse (a name in use, an audience changed on update, a super-tenant
import through REST, a missing WS-Trust connector) is refused here with WSO2's error codes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.wso2double.profiles import DoubleProfile
from tests.wso2double.state import App, DoubleState

__all__ = ["Answer", "RestError", "handle_rest", "handle_scim"]

_API = "/api/server/v1"
_CONNECTOR_404 = ("APP-60504", "WS-Trust protocol is not supported.",
                  "STS admin service is unavailable at the moment.")
_CLAIMS = (("http://wso2.org/claims/emailaddress", "Email"),
           ("http://wso2.org/claims/givenname", "First Name"),
           ("http://wso2.org/claims/lastname", "Last Name"),
           ("http://wso2.org/claims/role", "Role"),
           ("http://wso2.org/claims/username", "Username"))


@dataclass
class Answer:
    status: int
    body: Any = None  # JSON, or bytes/str sent as they are
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class RestError(Exception):
    """WSO2's error JSON: {code, message, description, traceId}."""

    def __init__(self, status: int, code: str, message: str, description: str = "") -> None:
        super().__init__(description or message)
        self.answer = Answer(status, {"code": code, "message": message,
                                      "description": description or message,
                                      "traceId": "d0ub1e00-0000-4000-8000-000000000000"})


def _certificate_answer(der: bytes, query: dict[str, str]) -> Answer:
    if query.get("encode-cert") == "true":
        pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        return Answer(200, base64.b64encode(pem).decode("ascii"), "application/pkix-cert")
    return Answer(200, der, "application/pkix-cert")


def _application_json(app: App, root: str) -> dict[str, Any]:
    body: dict[str, Any] = {"id": app.id, "name": app.name, "description": app.description,
                            "inboundProtocols": []}
    if app.claim_configuration is not None:
        body["claimConfiguration"] = app.claim_configuration
    if app.ws_trust is not None:
        body["inboundProtocols"] = [{
            "type": "ws-trust", "name": "WS-Trust",
            "self": f"{root}/applications/{app.id}/inbound-protocols/ws-trust"}]
    return body


def _app(state: DoubleState, app_id: str) -> App:
    app = state.applications.get(app_id)
    if app is None:
        raise RestError(404, "APP-60006", "Application not found.",
                        f"Application cannot be found for the provided id: {app_id}.")
    return app


def _configs(state: DoubleState) -> dict[str, Any]:
    return {"homeRealmIdentifiers": list(state.home_realms),
            "idleSessionTimeoutPeriod": state.idle_timeout,
            "rememberMePeriod": state.remember_me}


def _patch_configs(state: DoubleState, operations: list[dict[str, Any]]) -> None:
    realms = list(state.home_realms)
    values = {"idle": state.idle_timeout, "remember": state.remember_me}
    for op in operations:
        action, path, value = op["operation"], op["path"], op.get("value")
        realm = re.fullmatch(r"/homeRealmIdentifiers/(\d+|-)", path)
        if realm is not None:
            index = len(realms) if realm.group(1) == "-" else int(realm.group(1))
            if action == "ADD" and value and index <= len(realms):
                realms.insert(index, value)
            elif action == "REPLACE" and value and index < len(realms):
                realms[index] = value
            elif action == "REMOVE" and index < len(realms):
                del realms[index]
            else:
                raise RestError(400, "CNF-60001", "Invalid input.",
                                f"Unsupported patch operation {action} on {path}.")
        elif path in ("/idleSessionTimeoutPeriod", "/rememberMePeriod") and action == "REPLACE":
            if not (value or "").isdigit() or int(value or "0") <= 0:
                raise RestError(400, "CNF-60001", "Invalid input.",
                                f"The value of {path[1:]} must be a positive number of minutes.")
            values["idle" if path == "/idleSessionTimeoutPeriod" else "remember"] = value or ""
        else:
            raise RestError(400, "CNF-60001", "Invalid input.",
                            f"Unsupported patch operation {action} on {path}.")
    state.home_realms, state.idle_timeout, state.remember_me = (
        realms, values["idle"], values["remember"])


def handle_rest(method: str, path: str, query: dict[str, str], body: Any, state: DoubleState,
                profile: DoubleProfile, super_tenant: bool, root: str) -> Answer:
    """``path`` is below ``/api/server/v1``; ``root`` is the tenant's API root for links."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if parts == ["configs"]:
        if not profile.configs_api:
            raise RestError(404, "", "Not Found")  # 5.10's REST API has no /configs
        if method == "PATCH":
            _patch_configs(state, body)
        return Answer(200, _configs(state))
    if parts == ["claim-dialects", "local", "claims"]:
        return Answer(200, [{"id": base64.urlsafe_b64encode(uri.encode()).decode().rstrip("="),
                             "claimURI": uri, "displayName": name} for uri, name in _CLAIMS])
    if parts[:1] == ["applications"]:
        return _applications(method, parts[1:], query, body, state, profile, root)
    if parts[:1] == ["keystores"]:
        return _keystores(method, parts[1:], query, body, state, super_tenant)
    raise RestError(404, "", "Not Found", f"No such resource: {path}")


def _applications(method: str, rest: list[str], query: dict[str, str], body: Any,
                  state: DoubleState, profile: DoubleProfile, root: str) -> Answer:
    if rest == ["meta", "inbound-protocols", "ws-trust"]:
        if not profile.connector:
            raise RestError(404, *_CONNECTOR_404)
        return Answer(200, {"certificateAlias": {"options": ["wso2carbon"],
                                                 "defaultValue": "wso2carbon"}})
    if not rest:
        if method == "POST":
            if any(a.name == body["name"] for a in state.applications.values()):
                raise RestError(409, "APP-60007", "Application already exists.",
                                f"Application with name {body['name']} already exists.")
            app = App(state.new_id(), body["name"], body.get("description", ""),
                      body.get("claimConfiguration"))
            state.applications[app.id] = app
            return Answer(201, None, headers={"Location": f"{root}/applications/{app.id}"})
        apps = sorted(state.applications.values(), key=lambda a: a.name)
        wanted = re.fullmatch(r"name eq (.+)", query.get("filter", ""))
        if wanted:
            apps = [a for a in apps if a.name == wanted.group(1)]
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 15))
        page = apps[offset:offset + limit]
        return Answer(200, {"totalResults": len(apps), "startIndex": offset + 1,
                            "count": len(page), "applications": [
                                {"id": a.id, "name": a.name, "description": a.description,
                                 "self": f"{root}/applications/{a.id}"} for a in page]})
    app = _app(state, rest[0])
    if len(rest) == 1:
        if method == "DELETE":
            if app.ws_trust:  # the connector's listener drops the trusted service with the SP
                state.trusted_services.pop(app.ws_trust["audience"], None)
            del state.applications[app.id]
            return Answer(204)
        if method == "PATCH":
            if "name" in body and any(a.name == body["name"] and a.id != app.id
                                      for a in state.applications.values()):
                raise RestError(409, "APP-60007", "Application already exists.")
            app.name = body.get("name", app.name)
            app.description = body.get("description", app.description)
            app.claim_configuration = body.get("claimConfiguration", app.claim_configuration)
            return Answer(200)
        return Answer(200, _application_json(app, root))
    if rest[1:] == ["inbound-protocols", "ws-trust"]:
        return _ws_trust(method, app, body, state, profile)
    raise RestError(404, "", "Not Found")


def _ws_trust(method: str, app: App, body: Any, state: DoubleState,
              profile: DoubleProfile) -> Answer:
    if not profile.connector:
        if method == "PUT":
            raise RestError(400, "APP-60001", "Invalid request.", _CONNECTOR_404[1])
        raise RestError(404, *_CONNECTOR_404)
    if method == "PUT":
        if app.ws_trust and app.ws_trust["audience"] != body["audience"]:
            raise RestError(400, "APP-60001", "Invalid request.",
                            "Invalid audience value provided for update.")
        if any(a.ws_trust and a.ws_trust["audience"] == body["audience"] and a.id != app.id
               for a in state.applications.values()):
            raise RestError(409, "APP-60008", "Inbound configuration already exists.",
                            f"Audience {body['audience']} is used by another application.")
        app.ws_trust = {"audience": body["audience"], "certificateAlias": body["certificateAlias"]}
        state.trusted_services[body["audience"]] = body["certificateAlias"] or None
        return Answer(200)
    if app.ws_trust is None:
        raise RestError(404, "APP-60505", "Inbound protocol not found.",
                        "Inbound protocol not found for the application.")
    if method == "DELETE":
        state.trusted_services.pop(app.ws_trust["audience"], None)
        app.ws_trust = None
        return Answer(204)
    return Answer(200, dict(app.ws_trust))


def _keystores(method: str, rest: list[str], query: dict[str, str], body: Any,
               state: DoubleState, super_tenant: bool) -> Answer:
    if rest == ["certs", "public"]:
        return _certificate_answer(state.public_certificate, query)
    if rest[:1] == ["client-certs"]:
        if not super_tenant:
            raise RestError(405, "KSS-60002", "Method not allowed.",
                            "The client truststore is available to the super tenant only.")
        store = state.trust_store
    else:
        store = state.tenant_certs
    if len(rest) == 1:
        if method == "POST":
            if super_tenant:
                raise RestError(405, "KSS-60002", "Method not allowed.",
                                "Importing certificates is not allowed for the super tenant.")
            if body["alias"] in store:
                raise RestError(409, "KSS-60003", "Conflict.",
                                f"Alias {body['alias']} already exists.")
            try:
                der = base64.b64decode(body["certificate"], validate=True)
                x509.load_der_x509_certificate(der)
            except (binascii.Error, ValueError) as exc:
                raise RestError(400, "KSS-60001", "Invalid certificate.", str(exc)) from exc
            store[body["alias"]] = der
            return Answer(201)
        return Answer(200, [{"alias": alias, "certificate": f"/keystores/{rest[0]}/{alias}"}
                            for alias in sorted(store)])
    alias = rest[1]
    if alias not in store:
        raise RestError(404, "KSS-60004", "Not found.", f"No certificate with alias {alias}.")
    if method == "DELETE":
        if super_tenant:
            raise RestError(405, "KSS-60002", "Method not allowed.")
        del store[alias]
        return Answer(204)
    return _certificate_answer(store[alias], query)


# -- SCIM 2.0 ---------------------------------------------------------------------------------

_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        body = {"schemas": [_ERROR], "status": str(status), "detail": detail}
        if scim_type:
            body["scimType"] = scim_type
        self.answer = Answer(status, body, "application/scim+json")


def _user_json(state: DoubleState, user: dict[str, Any]) -> dict[str, Any]:
    groups = [{"value": g["id"], "display": g["displayName"]} for g in state.groups.values()
              if any(m["value"] == user["id"] for m in g["members"])]
    return {**user, "groups": groups, "schemas": [_USER]}


def _group_json(state: DoubleState, group: dict[str, Any]) -> dict[str, Any]:
    members = [{"value": m["value"], "display": state.users[m["value"]]["userName"]}
               for m in group["members"] if m["value"] in state.users]
    return {"id": group["id"], "displayName": group["displayName"], "members": members,
            "schemas": [_GROUP]}


def _page(resources: list[dict[str, Any]], query: dict[str, str]) -> Answer:
    start, count = int(query.get("startIndex", 1)), int(query.get("count", 100))
    page = resources[start - 1:start - 1 + count]
    return Answer(200, {"schemas": [_LIST], "totalResults": len(resources),
                        "startIndex": start, "itemsPerPage": len(page), "Resources": page},
                  "application/scim+json")


def _patch_user(state: DoubleState, user: dict[str, Any], operations: list[dict[str, Any]]) -> None:
    for op in operations:
        path, value = op.get("path", ""), op.get("value")
        if path == "password":
            state.passwords[user["id"]] = str(value)
        elif path.startswith("name."):
            user.setdefault("name", {})[path[5:]] = value
            if op["op"] == "remove":
                user["name"].pop(path[5:], None)
        elif op["op"] == "remove":
            user.pop(path, None)
        else:
            user[path] = value


def _patch_group(state: DoubleState, group: dict[str, Any],
                 operations: list[dict[str, Any]]) -> None:
    for op in operations:
        path = op.get("path", "")
        removed = re.fullmatch(r'members\[value eq (".*")\]', path)
        if op["op"] == "add" and path == "members":
            for member in op["value"]:
                if member["value"] not in state.users:
                    raise ScimError(400, f"No user {member['value']}", "invalidValue")
                if member not in group["members"]:
                    group["members"].append({"value": member["value"]})
        elif op["op"] == "remove" and removed:
            gone = json.loads(removed.group(1))
            group["members"] = [m for m in group["members"] if m["value"] != gone]
        elif op["op"] == "replace" and path == "displayName":
            group["displayName"] = op["value"]
        else:
            raise ScimError(400, f"Unsupported operation {op}", "invalidPath")


def handle_scim(method: str, path: str, query: dict[str, str], body: Any,
                state: DoubleState) -> Answer:
    parts = [unquote(p) for p in path.strip("/").split("/")]
    kind, rest = parts[0], parts[1:]
    if kind == "Users":
        if not rest and method == "POST":
            if any(u["userName"] == body.get("userName") for u in state.users.values()):
                raise ScimError(409, f"User {body.get('userName')} already exists", "uniqueness")
            user = {k: v for k, v in body.items() if k not in ("password", "schemas")}
            user["id"] = state.new_id()
            state.passwords[user["id"]] = body.get("password", "")
            state.users[user["id"]] = user
            return Answer(201, _user_json(state, user), "application/scim+json")
        if not rest:
            users = sorted(state.users.values(), key=lambda u: u["userName"])
            prefix = re.fullmatch(r'userName sw (".*")', query.get("filter", ""))
            if prefix:
                users = [u for u in users if u["userName"].startswith(json.loads(prefix.group(1)))]
            return _page([_user_json(state, u) for u in users], query)
        user = state.users.get(rest[0])
        if user is None:
            raise ScimError(404, f"Specified resource; User does not exist {rest[0]}")
        if method == "DELETE":
            del state.users[user["id"]]
            return Answer(204)
        if method == "PATCH":
            _patch_user(state, user, body["Operations"])
        return Answer(200, _user_json(state, user), "application/scim+json")
    if kind == "Groups":
        if not rest and method == "POST":
            if body.get("displayName") in state.role_names():
                raise ScimError(409, f"Group {body.get('displayName')} already exists",
                                "uniqueness")
            group = {"id": state.new_id(), "displayName": body["displayName"],
                     "members": [{"value": m["value"]} for m in body.get("members", [])]}
            state.groups[group["id"]] = group
            return Answer(201, _group_json(state, group), "application/scim+json")
        if not rest:
            groups = sorted(state.groups.values(), key=lambda g: g["displayName"])
            return _page([_group_json(state, g) for g in groups], query)
        group = state.groups.get(rest[0])
        if group is None:
            raise ScimError(404, f"Specified resource; Group does not exist {rest[0]}")
        if method == "DELETE":
            del state.groups[group["id"]]
            return Answer(204)
        if method == "PATCH":
            _patch_group(state, group, body["Operations"])
        return Answer(200, _group_json(state, group), "application/scim+json")
    raise ScimError(404, f"No SCIM endpoint {path}")
