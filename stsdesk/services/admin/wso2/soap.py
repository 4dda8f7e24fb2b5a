"""WSO2's SOAP admin services: envelopes built with lxml, answers read through core.xmlparse.

Admin services are document/literal wrapped SOAP 1.1 under ``/services/<Service>`` (``SOAPAction:
"urn:<operation>"``); they accept HTTP Basic. Answers are read by local name only: Axis2's
prefixes and the beans' namespaces change from build to build (see FACTS.md §1 and §8 in
tests/data/wso2-admin).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import requests
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.xmlparse import XmlInputError, parse_xml
from stsdesk.services.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ServerUnreachableError,
    ServiceError,
    UnsupportedError,
)
from stsdesk.services.tls import TrustPolicy, explain_tls_failure, make_session

__all__ = ["Field", "SoapClient", "children", "text_of", "texts_of"]

log = logging.getLogger("stsdesk.services.admin.wso2")

@dataclass(frozen=True)
class Field:
    """A request field: a text (None: xsi:nil), texts (one element each, none when empty) or
    nested fields (a bean), given in the order the WSDL's sequence declares them."""

    name: str
    value: FieldValue
    namespace: str | None = None  # None: the wrapper's namespace


FieldValue: TypeAlias = str | None | Sequence[str] | Sequence[Field]


def _add(parent: etree._Element, namespace: str, field: Field) -> None:
    tag = f"{{{field.namespace or namespace}}}{field.name}"
    value = field.value
    if value is None:
        etree.SubElement(parent, tag, {f"{{{ns.XSI}}}nil": "true"})
    elif isinstance(value, str):
        etree.SubElement(parent, tag).text = value
    elif not value:
        return  # an empty array: no element at all (minOccurs="0")
    elif all(isinstance(item, Field) for item in value):
        bean = etree.SubElement(parent, tag)
        for item in value:
            assert isinstance(item, Field)
            _add(bean, field.namespace or namespace, item)
    else:
        for item in value:
            etree.SubElement(parent, tag).text = str(item)


def envelope(namespace: str, operation: str, fields: Sequence[Field] = ()) -> bytes:
    """The SOAP 1.1 request for ``operation``: its wrapper element holds ``fields`` in order."""
    root = etree.Element(f"{{{ns.SOAP11}}}Envelope",
                         nsmap={"soapenv": ns.SOAP11, "ser": namespace, "xsi": ns.XSI})
    etree.SubElement(root, f"{{{ns.SOAP11}}}Header")
    body = etree.SubElement(root, f"{{{ns.SOAP11}}}Body")
    wrapper = etree.SubElement(body, f"{{{namespace}}}{operation}")
    for field in fields:
        _add(wrapper, namespace, field)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def children(element: etree._Element | None, name: str) -> list[etree._Element]:
    """The child elements called ``name`` in any namespace, without nil ones."""
    if element is None:
        return []
    return [child for child in element.findall(f"{{*}}{name}")
            if child.get(f"{{{ns.XSI}}}nil") != "true"]


def text_of(element: etree._Element | None, name: str) -> str | None:
    found = children(element, name)
    return None if not found else (found[0].text or "").strip()


def texts_of(element: etree._Element | None, name: str) -> tuple[str, ...]:
    return tuple((child.text or "").strip() for child in children(element, name))


# Axis2's fault text when a service is not deployed: on 5.11+ the WS-Trust connector's services
# are missing until it is installed.
_NO_SERVICE = "service cannot be found"
# The services the WS-Trust connector deploys on 5.11 and later.
CONNECTOR_SERVICES = ("STSAdminService", "SecurityAdminService")


class SoapClient:
    """Blocking calls to one WSO2 server's admin services; run them off the GUI thread."""

    def __init__(self, base_url: str, username: str, password: str, trust: TrustPolicy, *,
                 timeout: float = 15.0, missing_service_reason: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self._trust = trust
        self._timeout = timeout
        self._session = make_session(trust)
        self._verify = self._session.verify  # see AdminClient: keeps the pin in force
        self._session.auth = (username, password)
        self._missing_service_reason = missing_service_reason

    def close(self) -> None:
        self._session.close()

    def call(self, service: str, namespace: str, operation: str,
             fields: Sequence[Field] = ()) -> etree._Element | None:
        """Call ``operation``; the ``<operation>Response`` element, or None for a void one."""
        url = f"{self.base_url}/services/{service}"
        try:
            answer = self._session.post(
                url, data=envelope(namespace, operation, fields), timeout=self._timeout,
                verify=self._verify, headers={"Content-Type": "text/xml; charset=utf-8",
                                              "SOAPAction": f'"urn:{operation}"'})
        except requests.exceptions.SSLError as exc:
            raise explain_tls_failure(self.base_url, self._trust, exc) from exc
        except requests.exceptions.Timeout as exc:
            raise ServerUnreachableError(
                f"The server at {self.base_url} did not answer {service}.{operation} within "
                f"{self._timeout:.0f} seconds; try again.") from exc
        except requests.RequestException as exc:
            raise ServerUnreachableError(
                f"The server at {self.base_url} cannot be reached. Check that it is running and "
                "the URL is right.") from exc
        log.debug("SOAP %s.%s -> %s", service, operation, answer.status_code)
        if answer.status_code == 401:
            raise AuthenticationError(401, "", "Unauthorized",
                                      "The user name or password is wrong.")
        if answer.status_code == 404:
            raise self._missing(service)
        if answer.status_code == 202 or not answer.content.strip():
            return None  # in-only operations answer 202 with no envelope
        try:
            root = parse_xml(answer.content)
        except XmlInputError as exc:
            raise ServiceError(
                f"{self.base_url} answered {service}.{operation} with something that is not "
                f"SOAP ({exc}); is it a WSO2 Identity Server?") from exc
        body = root.find(f"{{{ns.SOAP11}}}Body")
        if body is None:
            body = root.find(f"{{{ns.SOAP12}}}Body")
        if body is None or len(body) == 0:
            return None
        first = body[0]
        if etree.QName(first).localname == "Fault":
            raise self._fault(service, first, answer.status_code)
        if etree.QName(first).localname != f"{operation}Response":
            raise ServiceError(f"{service}.{operation} answered with an unexpected "
                               f"{etree.QName(first).localname} element.")
        return first

    def _missing(self, service: str) -> ServiceError:
        if self._missing_service_reason and service in CONNECTOR_SERVICES:
            return UnsupportedError(self._missing_service_reason, capability="ws-trust")
        return NotFoundError(404, "", "Not Found",
                             f"The admin service {service} is not available on {self.base_url}.")

    def _fault(self, service: str, fault: etree._Element, status: int) -> ServiceError:
        reason = (text_of(fault, "faultstring") or text_of(fault, "Text")
                  or "the server gave no reason")
        lowered = reason.lower()
        if _NO_SERVICE in lowered:
            return self._missing(service)
        if "please login first" in lowered or "invalid username" in lowered:
            return AuthenticationError(401, "", "Access Denied", reason)
        if lowered.startswith("access denied"):
            return PermissionDeniedError(403, "", "Access Denied", reason)
        # A SecurityConfigException and its kin (HTTP 500 in Axis2): WSO2 refused what was sent.
        return InvalidInputError(status, "", service, reason)
