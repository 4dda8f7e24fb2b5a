"""SOAP envelopes: parsing requests, building responses and faults (both SOAP versions)."""

from __future__ import annotations

import copy
from functools import cache

import pytest
from lxml import etree

from stsdesk.core import ns, soap
from stsdesk.core.errors import (
    InvalidRequestError,
    InvalidSecurityError,
    RequestFailedError,
    XmlInputError,
)
from stsdesk.core.soap import (
    SoapMessage,
    SoapVersion,
    build_envelope,
    build_fault,
    build_response,
    parse_envelope,
    parse_fault,
)
from tests.helpers.data import SCHEMAS

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ISSUE_13 = f"{ns.WST_13}/RST/Issue"


@cache
def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def envelope_schema(version: SoapVersion) -> etree.XMLSchema:
    return schema("soap-envelope-1.1.xsd" if version is SoapVersion.SOAP11
                  else "soap-envelope-1.2.xsd")


def rst() -> etree._Element:
    element = etree.Element(f"{{{ns.WST_13}}}RequestSecurityToken")
    etree.SubElement(element, f"{{{ns.WST_13}}}RequestType").text = f"{ns.WST_13}/Issue"
    return element


def envelope(version: SoapVersion, *, headers: str = "", body: str | None = None,
             extra: str = "") -> bytes:
    body = body if body is not None else (
        f'<wst:RequestSecurityToken xmlns:wst="{ns.WST_13}"><wst:RequestType>'
        f"{ns.WST_13}/Issue</wst:RequestType></wst:RequestSecurityToken>"
    )
    header = f"<s:Header>{headers}</s:Header>" if headers else ""
    return (f'<s:Envelope xmlns:s="{version.value}" xmlns:a="{ns.WSA_2005}" '
            f'xmlns:b="{ns.WSA_2004}">{header}<s:Body>{body}</s:Body>{extra}</s:Envelope>').encode()


def wsa_headers(action: str = ISSUE_13, message_id: str = "urn:uuid:1234",
                prefix: str = "a") -> str:
    return (f"<{prefix}:Action>{action}</{prefix}:Action>"
            f"<{prefix}:MessageID>{message_id}</{prefix}:MessageID>")


# ---------------------------------------------------------------- parse_envelope

def test_soap11_action_comes_from_the_quoted_soapaction_header() -> None:
    message = parse_envelope(envelope(SoapVersion.SOAP11), content_type="text/xml; charset=utf-8",
                             soap_action=f'"{ISSUE_13}"')
    assert message.version is SoapVersion.SOAP11
    assert message.action == ISSUE_13
    assert message.body.tag == f"{{{ns.WST_13}}}RequestSecurityToken"
    assert message.headers == ()
    assert message.addressing_namespace is None
    assert message.message_id is None


def test_soap12_action_comes_from_the_content_type_parameter() -> None:
    message = parse_envelope(
        envelope(SoapVersion.SOAP12),
        content_type=f'application/soap+xml; charset=utf-8; action="{ISSUE_13}"',
    )
    assert message.version is SoapVersion.SOAP12
    assert message.action == ISSUE_13


def test_the_same_content_type_read_again_gives_each_message_its_own_action() -> None:
    # Content-Type values are remembered; a remembered one still reads as it did the first time.
    for action in (ISSUE_13, f"{ns.WST_13}/RST/Validate", ISSUE_13):
        for _ in range(2):
            content_type = f'application/soap+xml; charset=utf-8; action="{action}"'
            assert parse_envelope(envelope(SoapVersion.SOAP12),
                                  content_type=content_type).action == action


def test_content_types_kept_are_bounded_and_a_refused_one_is_never_kept() -> None:
    for n in range(200):
        parse_envelope(envelope(SoapVersion.SOAP12),
                       content_type=f'application/soap+xml; action="urn:a{n}"')
    long_value = 'application/soap+xml; x="' + "y" * 5000 + '"'
    assert parse_envelope(envelope(SoapVersion.SOAP12), content_type=long_value).action is None
    assert soap._cached_transport.cache_info().currsize <= 64
    before = soap._cached_transport.cache_info()
    for _ in range(2):
        with pytest.raises(InvalidRequestError, match="not a SOAP content type"):
            parse_envelope(envelope(SoapVersion.SOAP12), content_type="application/json")
    after = soap._cached_transport.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (2, 0)


def test_empty_soapaction_means_no_action() -> None:
    message = parse_envelope(envelope(SoapVersion.SOAP11), content_type="text/xml",
                             soap_action='""')
    assert message.action is None


def test_ws_addressing_action_and_message_id_are_read() -> None:
    message = parse_envelope(envelope(SoapVersion.SOAP12, headers=wsa_headers()),
                             content_type="application/soap+xml")
    assert message.action == ISSUE_13
    assert message.message_id == "urn:uuid:1234"
    assert message.addressing_namespace == ns.WSA_2005
    assert len(message.header(ns.WSA_2005, "Action")) == 1
    assert message.header(ns.WSA_2004, "Action") == ()


def test_submission_addressing_is_recognised() -> None:
    message = parse_envelope(
        envelope(SoapVersion.SOAP11, headers=wsa_headers(prefix="b")),
        content_type="text/xml", soap_action=ISSUE_13,
    )
    assert message.addressing_namespace == ns.WSA_2004
    assert message.action == ISSUE_13


def test_ws_addressing_action_wins_when_soapaction_agrees_or_is_absent() -> None:
    message = parse_envelope(envelope(SoapVersion.SOAP11, headers=wsa_headers()),
                             content_type="text/xml", soap_action=None)
    assert message.action == ISSUE_13


def test_ws_addressing_action_contradicting_soapaction_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_envelope(envelope(SoapVersion.SOAP11, headers=wsa_headers()),
                       content_type="text/xml", soap_action=f"{ns.WST_13}/RST/Cancel")
    assert "contradicts the SOAPAction" in info.value.message
    assert "send the same action" in info.value.message


def test_ws_addressing_action_contradicting_content_type_action_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="contradicts"):
        parse_envelope(envelope(SoapVersion.SOAP12, headers=wsa_headers()),
                       content_type=f'application/soap+xml;action="{ns.WST_13}/RST/Renew"')


@pytest.mark.parametrize(
    ("version", "content_type", "advice"),
    [
        (SoapVersion.SOAP11, "application/soap+xml; charset=utf-8", "text/xml"),
        (SoapVersion.SOAP12, "text/xml; charset=utf-8", "application/soap+xml"),
        (SoapVersion.SOAP11, "application/json", "text/xml"),
        (SoapVersion.SOAP12, None, "application/soap+xml"),
        (SoapVersion.SOAP12, "", "application/soap+xml"),
    ],
)
def test_content_type_must_fit_the_soap_version(version: SoapVersion, content_type: str | None,
                                                advice: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_envelope(envelope(version), content_type=content_type)
    assert advice in info.value.message


def test_content_type_is_case_insensitive_and_may_carry_parameters() -> None:
    message = parse_envelope(envelope(SoapVersion.SOAP11),
                             content_type='Text/XML;Charset="UTF-8"')
    assert message.version is SoapVersion.SOAP11


def test_not_an_envelope_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="not a SOAP envelope"):
        parse_envelope(b"<Envelope><Body/></Envelope>", content_type="text/xml")


def test_envelope_without_body_is_refused() -> None:
    data = f'<s:Envelope xmlns:s="{ns.SOAP11}"><s:Header/></s:Envelope>'.encode()
    with pytest.raises(InvalidRequestError, match="no Body; put the request in a Body"):
        parse_envelope(data, content_type="text/xml")


@pytest.mark.parametrize("body", ["", "<x/><y/>"])
def test_body_must_hold_exactly_one_element(body: str) -> None:
    with pytest.raises(InvalidRequestError, match="send exactly one request element"):
        parse_envelope(envelope(SoapVersion.SOAP11, body=body), content_type="text/xml")


@pytest.mark.parametrize("version", list(SoapVersion))
def test_an_empty_body_is_read_only_when_allowed(version: SoapVersion) -> None:
    # A WS-Transfer Get has an empty Body; a token request never has.
    data = envelope(version, body="")
    message = parse_envelope(data, content_type=version.content_type, allow_empty_body=True)
    assert message.body_is_empty
    assert message.body.tag == f"{{{version.value}}}Body"
    full = parse_envelope(envelope(version, body="<x/>"), content_type=version.content_type,
                          allow_empty_body=True)
    assert not full.body_is_empty and full.body.tag == "x"


@pytest.mark.parametrize("body", ["<x/><y/>", "some text"])
def test_allowing_an_empty_body_still_refuses_two_elements_or_text(body: str) -> None:
    with pytest.raises(InvalidRequestError):
        parse_envelope(envelope(SoapVersion.SOAP11, body=body), content_type="text/xml",
                       allow_empty_body=True)


def test_soap11_header_in_a_soap12_envelope_is_refused() -> None:
    data = (f'<s:Envelope xmlns:s="{ns.SOAP12}" xmlns:o="{ns.SOAP11}"><o:Header/>'
            f"<s:Body><x/></s:Body></s:Envelope>").encode()
    with pytest.raises(InvalidRequestError) as info:
        parse_envelope(data, content_type="application/soap+xml")
    assert "SOAP 1.1 Header" in info.value.message
    assert "use the SOAP 1.2 namespace" in info.value.message


def test_soap12_body_in_a_soap11_envelope_is_refused() -> None:
    data = (f'<s:Envelope xmlns:s="{ns.SOAP11}" xmlns:t="{ns.SOAP12}">'
            f"<t:Body><x/></t:Body></s:Envelope>").encode()
    with pytest.raises(InvalidRequestError, match="SOAP 1.2 Body"):
        parse_envelope(data, content_type="text/xml")


def test_two_bodies_are_refused() -> None:
    data = (f'<s:Envelope xmlns:s="{ns.SOAP11}"><s:Body><x/></s:Body>'
            f"<s:Body><y/></s:Body></s:Envelope>").encode()
    with pytest.raises(InvalidRequestError, match="one optional Header followed by one Body"):
        parse_envelope(data, content_type="text/xml")


def test_mixed_addressing_versions_are_refused() -> None:
    headers = wsa_headers() + "<b:To>http://x</b:To>"
    with pytest.raises(InvalidRequestError, match="use one WS-Addressing version"):
        parse_envelope(envelope(SoapVersion.SOAP12, headers=headers),
                       content_type="application/soap+xml")


def test_a_dtd_in_the_envelope_is_refused() -> None:
    data = (b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x "boom">]>'
            + envelope(SoapVersion.SOAP11))
    with pytest.raises(XmlInputError, match="DTD"):
        parse_envelope(data, content_type="text/xml")


# ---------------------------------------------------------------- building

@pytest.mark.parametrize("version", list(SoapVersion))
def test_build_envelope_is_schema_valid_with_declaration(version: SoapVersion) -> None:
    header = etree.Element(f"{{{ns.WSA_2005}}}To")
    header.text = "https://localhost/services/wso2carbon-sts"
    data = build_envelope(version, rst(), headers=[header])
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = etree.fromstring(data)
    envelope_schema(version).assertValid(root)
    assert root.find(f"{{{version.value}}}Header/{{{ns.WSA_2005}}}To") is not None
    assert root.find(f"{{{version.value}}}Body/{{{ns.WST_13}}}RequestSecurityToken") is not None


def test_content_types() -> None:
    assert SoapVersion.SOAP11.content_type == "text/xml; charset=utf-8"
    assert SoapVersion.SOAP12.content_type == "application/soap+xml; charset=utf-8"


def _request(version: SoapVersion, addressing: str | None,
             message_id: str | None = "urn:uuid:req-1") -> SoapMessage:
    return SoapMessage(version=version, headers=(), body=rst(), action=ISSUE_13,
                       message_id=message_id, addressing_namespace=addressing)


@pytest.mark.parametrize("wsa", [ns.WSA_2005, ns.WSA_2004])
def test_build_response_echoes_addressing(wsa: str) -> None:
    action = f"{ns.WST_13}/RSTRC/IssueFinal"
    data = build_response(_request(SoapVersion.SOAP12, wsa), etree.Element("answer"),
                          action=action)
    root = etree.fromstring(data)
    envelope_schema(SoapVersion.SOAP12).assertValid(root)
    header = root.find(f"{{{ns.SOAP12}}}Header")
    assert header.findtext(f"{{{wsa}}}Action") == action
    assert header.findtext(f"{{{wsa}}}RelatesTo") == "urn:uuid:req-1"
    assert header.findtext(f"{{{wsa}}}MessageID").startswith("urn:uuid:")
    assert header.findtext(f"{{{wsa}}}MessageID") != "urn:uuid:req-1"


def test_build_response_without_addressing_has_no_header() -> None:
    data = build_response(_request(SoapVersion.SOAP11, None), etree.Element("answer"),
                          action="x")
    root = etree.fromstring(data)
    assert root.find(f"{{{ns.SOAP11}}}Header") is None
    assert root.find(f"{{{ns.SOAP11}}}Body/answer") is not None


def test_answers_of_one_shape_carry_only_their_own_headers_and_body() -> None:
    # Every answer's envelope is a copy of one skeleton per shape: the second answer must not
    # keep the first one's values, nor the fault in between either one's.
    first = build_response(_request(SoapVersion.SOAP12, ns.WSA_2005, "urn:uuid:one"),
                           etree.Element("first"), action="urn:action:one")
    fault = build_fault(SoapVersion.SOAP12, InvalidRequestError("refused"),
                        request=_request(SoapVersion.SOAP12, ns.WSA_2005, "urn:uuid:two"))
    second = build_response(_request(SoapVersion.SOAP12, ns.WSA_2005, "urn:uuid:three"),
                            etree.Element("second"), action="urn:action:three")
    read = [etree.fromstring(data) for data in (first, fault, second)]
    wsa = f"{{{ns.WSA_2005}}}"
    assert [r.findtext(f".//{wsa}RelatesTo") for r in read] == [
        "urn:uuid:one", "urn:uuid:two", "urn:uuid:three"]
    assert [r.findtext(f".//{wsa}Action") for r in read] == [
        "urn:action:one", ns.WSA_2005_FAULT, "urn:action:three"]
    assert len({r.findtext(f".//{wsa}MessageID") for r in read}) == 3
    assert [[etree.QName(child).localname for child in r.find(f"{{{ns.SOAP12}}}Body")]
            for r in read] == [["first"], ["Fault"], ["second"]]


def test_build_response_without_message_id_has_no_relates_to() -> None:
    data = build_response(_request(SoapVersion.SOAP11, ns.WSA_2005, message_id=None),
                          etree.Element("answer"), action="x")
    root = etree.fromstring(data)
    assert root.find(f".//{{{ns.WSA_2005}}}RelatesTo") is None
    assert root.find(f".//{{{ns.WSA_2005}}}Action") is not None


# ---------------------------------------------------------------- faults

def test_soap11_fault_round_trip_and_schema() -> None:
    error = InvalidRequestError("The RequestType is missing; send one.")
    data = build_fault(SoapVersion.SOAP11, error, trust_namespace=ns.WST_2005)
    root = etree.fromstring(data)
    fault = root.find(f"{{{ns.SOAP11}}}Body/{{{ns.SOAP11}}}Fault")
    assert fault.findtext("faultcode") == "wst:InvalidRequest"
    assert fault.find("faultstring").get(XML_LANG) == "en"
    # The SOAP 1.1 schema types faultstring as a plain xs:string; WS-I BP 1.1 R1016 permits
    # xml:lang on it anyway, so validate the rest of the structure without that attribute.
    stripped = copy.deepcopy(root)
    del stripped.find(f".//{{{ns.SOAP11}}}Fault/faultstring").attrib[XML_LANG]
    envelope_schema(SoapVersion.SOAP11).assertValid(stripped)
    assert parse_fault(data) == (f"{{{ns.WST_2005}}}InvalidRequest", error.message)


@pytest.mark.parametrize(
    ("error", "code", "subcode"),
    [
        (InvalidRequestError("Bad request; fix it."), "Sender", f"{{{ns.WST_13}}}InvalidRequest"),
        (RequestFailedError("No key; configure it."), "Receiver", f"{{{ns.WST_13}}}RequestFailed"),
        (InvalidSecurityError("No timestamp; add one."), "Sender", f"{{{ns.WSSE}}}InvalidSecurity"),
    ],
)
def test_soap12_fault_has_code_subcode_and_reason(error, code: str, subcode: str) -> None:
    data = build_fault(SoapVersion.SOAP12, error)
    root = etree.fromstring(data)
    envelope_schema(SoapVersion.SOAP12).assertValid(root)
    s = f"{{{ns.SOAP12}}}"
    fault = root.find(f"{s}Body/{s}Fault")
    value = fault.find(f"{s}Code/{s}Value")
    prefix, local = value.text.split(":")
    assert value.nsmap[prefix] == ns.SOAP12 and local == code
    text = fault.find(f"{s}Reason/{s}Text")
    assert text.get(XML_LANG) == "en"
    assert text.text == error.message
    assert fault.find(f"{s}Code/{s}Subcode/{s}Value") is not None
    assert parse_fault(data) == (subcode, error.message)
    assert parse_fault(fault) == (subcode, error.message)


@pytest.mark.parametrize(
    ("wsa", "action"),
    [
        (ns.WSA_2005, "http://www.w3.org/2005/08/addressing/soap/fault"),
        (ns.WSA_2004, "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"),
    ],
)
def test_fault_echoes_relates_to_when_request_used_addressing(wsa: str, action: str) -> None:
    request = _request(SoapVersion.SOAP11, wsa)
    data = build_fault(SoapVersion.SOAP11, InvalidRequestError("x; y."), request=request)
    root = etree.fromstring(data)
    assert root.findtext(f".//{{{wsa}}}Action") == action
    assert root.findtext(f".//{{{wsa}}}RelatesTo") == "urn:uuid:req-1"


def test_fault_without_addressing_has_no_header() -> None:
    data = build_fault(SoapVersion.SOAP12, InvalidRequestError("x"),
                       request=_request(SoapVersion.SOAP12, None))
    assert etree.fromstring(data).find(f"{{{ns.SOAP12}}}Header") is None


def test_parse_fault_refuses_a_non_fault() -> None:
    with pytest.raises(InvalidRequestError, match="no SOAP Fault"):
        parse_fault(build_envelope(SoapVersion.SOAP11, rst()))


def test_parse_fault_reads_a_foreign_soap11_fault() -> None:
    data = (f'<e:Envelope xmlns:e="{ns.SOAP11}"><e:Body><e:Fault xmlns:q="urn:x">'
            "<faultcode>q:Oops</faultcode><faultstring>went wrong</faultstring>"
            "</e:Fault></e:Body></e:Envelope>").encode()
    assert parse_fault(data) == ("{urn:x}Oops", "went wrong")
