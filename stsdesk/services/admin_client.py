"""One client for the admin API of the embedded STS and of a remote one."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests

from stsdesk.services.endpoint import SUPER_TENANT, ServerEndpoint, ServerKind
from stsdesk.services.errors import (
    AdminApiError,
    ServerUnreachableError,
    ServiceError,
    admin_error,
)
from stsdesk.services.tls import explain_tls_failure, make_session

__all__ = ["AdminClient", "ServerEndpoint", "ServerKind", "API_PREFIX", "SCIM_PREFIX",
           "SUPER_TENANT"]

log = logging.getLogger("stsdesk.services")

API_PREFIX = "/api/server/v1"
SCIM_PREFIX = "/scim2"
SCIM_JSON = "application/scim+json"


class AdminClient:
    """Blocking calls to the admin API; run them off the GUI thread. Safe to share between
    threads: each thread gets its own ``requests.Session`` (a session's connection pool and
    cookies are not safe to use from several threads at once)."""

    def __init__(self, endpoint: ServerEndpoint, *, timeout: float = 15.0) -> None:
        self.endpoint = endpoint
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions: list[requests.Session] = []

    @property
    def _session(self) -> requests.Session:
        """This thread's session, made on its first request."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = make_session(self.endpoint.trust)
            session.auth = (self.endpoint.username, self.endpoint.password)
            session.headers["Accept"] = "application/json"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    # -- generic ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        scim: bool = False,
        raw: bool = False,
    ) -> Any:
        """Send one request; the decoded JSON (or text when ``raw``), or a typed error."""
        url = self.endpoint.base_url.rstrip("/") + path
        headers = {"Content-Type": SCIM_JSON, "Accept": SCIM_JSON} if scim else None
        started = time.perf_counter()
        session = self._session
        try:
            answer = session.request(
                method,
                url,
                json=json,
                params=params,
                headers=headers,
                timeout=self._timeout,
                # Passed on every request: requests would otherwise let REQUESTS_CA_BUNDLE in
                # the environment override the session's own setting, and the pin with it.
                verify=session.verify,
            )
        except requests.exceptions.SSLError as exc:
            raise explain_tls_failure(self.endpoint.base_url, self.endpoint.trust, exc) from exc
        except requests.exceptions.Timeout as exc:
            raise ServerUnreachableError(
                f"The server at {self.endpoint.base_url} did not answer within {self._timeout:.0f} "
                "seconds. It may be overloaded or hanging; try again."
            ) from exc
        except requests.RequestException as exc:
            raise ServerUnreachableError(
                f"The server at {self.endpoint.base_url} cannot be reached. Check that it is "
                "running and the URL is right."
            ) from exc
        log.debug(
            "%s %s -> %s in %.0f ms",
            method,
            path,
            answer.status_code,
            (time.perf_counter() - started) * 1000,
        )
        if answer.status_code >= 400:
            raise _error_from(answer)
        if answer.status_code == 204 or not answer.content:
            return None
        if raw:
            return answer.text
        try:
            return answer.json()
        except ValueError as exc:
            raise ServiceError(
                f"The server answered {method} {path} with something that is not JSON; is "
                f"{self.endpoint.base_url} an stsdesk or WSO2 server?"
            ) from exc

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", API_PREFIX + path, params=params or None)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", API_PREFIX + path, json=body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", API_PREFIX + path, json=body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", API_PREFIX + path, json=body)

    def delete(self, path: str) -> None:
        self.request("DELETE", API_PREFIX + path)

    def scim(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        return self.request(method, SCIM_PREFIX + path, json=body, params=params or None, scim=True)

    # -- probes ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """The server's /health answer (no auth); ServerUnreachableError when it is down."""
        result: dict[str, Any] = self.request("GET", "/health")
        return result


def _error_from(answer: requests.Response) -> AdminApiError:
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if "detail" in body and "schemas" in body:  # SCIM error
        return admin_error(
            answer.status_code,
            str(body.get("scimType", "")),
            "SCIM error",
            str(body.get("detail", "")),
        )
    description = str(body.get("description") or body.get("message") or answer.reason)
    if answer.status_code == 401:
        description = description or "The user name or password is wrong."
    return admin_error(
        answer.status_code, str(body.get("code", "")), str(body.get("message", "")), description
    )
