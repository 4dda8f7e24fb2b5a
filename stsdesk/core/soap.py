"""SOAP 1.1 and 1.2 envelopes: parsing requests, writing responses and faults, WS-Addressing."""

from __future__ import annotations

import functools
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.c14ntext import escape_text
from stsdesk.core.errors import InvalidRequestError, StsError
from stsdesk.core.xmlparse import DEFAULT_LIMITS, XmlLimits, parse_xml
from stsdesk.core.xmlskeletons import TextTemplate, hole

__all__ = [
    "SoapVersion", "SoapMessage", "parse_envelope", "build_envelope", "build_response",
    "build_fault", "parse_fault", "fault_action", "new_message_id", "addressing_headers",
]

log = logging.getLogger("stsdesk.core.soap")

_XML_LANG = f"{{{ns.XML}}}lang"
_ADDRESSING = (ns.WSA_2005, ns.WSA_2004)
# Each WS-Addressing namespace with the Clark prefix its header tags start with.
_ADDRESSING_PREFIXES = tuple((wsa, f"{{{wsa}}}") for wsa in _ADDRESSING)
_FAULT_ACTIONS = {
    ns.WSA_2005: ns.WSA_2005_FAULT,
    ns.WSA_2004: ns.WSA_2004_FAULT,
}
# "Answer on this connection": WS-Addressing 1.0 and the 2004/08 submission spell it differently.
_ANONYMOUS = {
    ns.WSA_2005: ns.WSA_2005_ANONYMOUS,
    ns.WSA_2004: ns.WSA_2004_ANONYMOUS,
}
# Conventional prefixes for fault subcode namespaces, so a faultcode reads "wst:InvalidRequest".
_SUBCODE_PREFIXES = {ns.WST_13: "wst", ns.WST_2005: "wst", ns.WSSE: "wsse"}


class SoapVersion(StrEnum):
    """The SOAP version, identified by its envelope namespace."""

    SOAP11 = ns.SOAP11
    SOAP12 = ns.SOAP12

    @property
    def content_type(self) -> str:
        """The HTTP Content-Type a message of this version is sent with."""
        if self is SoapVersion.SOAP11:
            return "text/xml; charset=utf-8"
        return "application/soap+xml; charset=utf-8"

    @property
    def media_type(self) -> str:
        return "text/xml" if self is SoapVersion.SOAP11 else "application/soap+xml"

    @property
    def prefix(self) -> str:
        return "soap" if self is SoapVersion.SOAP11 else "soap12"


@dataclass(frozen=True, slots=True)
class SoapMessage:
    """A parsed SOAP request: its header blocks, its single body element and its action."""

    version: SoapVersion
    headers: tuple[etree._Element, ...]
    body: etree._Element
    action: str | None
    message_id: str | None
    addressing_namespace: str | None

    @property
    def body_is_empty(self) -> bool:
        """True when the Body held no element (only with ``allow_empty_body``)."""
        return self.body.tag == f"{{{self.version.value}}}Body"

    def header(self, namespace: str, local_name: str) -> tuple[etree._Element, ...]:
        """Every header block named ``{namespace}local_name``, in document order."""
        tag = f"{{{namespace}}}{local_name}"
        return tuple(h for h in self.headers if h.tag == tag)


def new_message_id() -> str:
    """A fresh WS-Addressing MessageID."""
    return f"urn:uuid:{uuid.uuid4()}"


def fault_action(addressing_namespace: str) -> str:
    """The WS-Addressing Action of a SOAP fault in the given WS-Addressing namespace."""
    return _FAULT_ACTIONS[addressing_namespace]


# ---------------------------------------------------------------- parsing

_PARAM = re.compile(r'\s*;\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    media, _, rest = value.partition(";")
    params: dict[str, str] = {}
    rest = ";" + rest if rest else ""
    for match in _PARAM.finditer(rest):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[match.group(1).lower()] = raw
    return media.strip().lower(), params


# Longer Content-Type values are read afresh each time, so the cache holds at most 64 short
# strings whatever a sender makes up.
_CACHED_CONTENT_TYPE_LENGTH = 512


def _transport(content_type: str) -> tuple[str, SoapVersion, str | None]:
    """The media type, the SOAP version it names and the ``action`` parameter of a
    Content-Type header value.

    Clients send the same few values again and again, and reading one took a fifth of the
    envelope's parse, so the answers for recent values are kept. A value that names no SOAP
    version is never kept (the error propagates).
    """
    if len(content_type) > _CACHED_CONTENT_TYPE_LENGTH:
        return _read_transport(content_type)
    return _cached_transport(content_type)


def _read_transport(content_type: str) -> tuple[str, SoapVersion, str | None]:
    media, params = _parse_content_type(content_type)
    return media, _version_for_media_type(media), params.get("action")


_cached_transport = functools.lru_cache(maxsize=64)(_read_transport)


def _version_for_media_type(media: str) -> SoapVersion:
    for version in SoapVersion:
        if media == version.media_type:
            return version
    raise InvalidRequestError(
        f"The Content-Type {media or '(empty)'!r} is not a SOAP content type; send SOAP 1.1 "
        "as text/xml or SOAP 1.2 as application/soap+xml."
    )


def _strip_quotes(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].strip()
    return value or None


def _element_children(element: etree._Element) -> list[etree._Element]:
    return list(element.iterchildren(etree.Element))


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def parse_envelope(data: bytes, *, content_type: str | None, soap_action: str | None = None,
                   limits: XmlLimits = DEFAULT_LIMITS,
                   allow_empty_body: bool = False) -> SoapMessage:
    """Parse an untrusted SOAP request received over HTTP.

    ``content_type`` is the HTTP Content-Type header (``None`` when the request had none, which
    is refused); ``soap_action`` is the SOAPAction header. The action is the WS-Addressing Action
    header if there is one, else the transport's action (SOAP 1.2: the content type's ``action``
    parameter, falling back to a SOAPAction header; SOAP 1.1: the SOAPAction header).

    ``allow_empty_body`` accepts a Body with no element (a WS-Transfer Get has one); the
    message's ``body`` is then the SOAP Body itself and ``body_is_empty`` is true.
    """
    if content_type is None or not content_type.strip():
        raise InvalidRequestError(
            "The request has no Content-Type; send SOAP 1.1 as text/xml or SOAP 1.2 as "
            "application/soap+xml."
        )
    media, transport_version, action_parameter = _transport(content_type)
    root = parse_xml(data, limits)
    if root.tag == f"{{{ns.SOAP11}}}Envelope":
        version = SoapVersion.SOAP11
    elif root.tag == f"{{{ns.SOAP12}}}Envelope":
        version = SoapVersion.SOAP12
    else:
        raise InvalidRequestError(
            f"The message is not a SOAP envelope (its root element is {root.tag}); send a SOAP "
            "1.1 or 1.2 Envelope."
        )
    if version is not transport_version:
        raise InvalidRequestError(
            f"The message is a {_version_name(version)} envelope but was sent as {media}; send "
            f"{_version_name(version)} with Content-Type {version.media_type}."
        )
    header, body = _envelope_parts(root, version)
    headers = tuple(_element_children(header)) if header is not None else ()
    body_children = _element_children(body)
    if allow_empty_body and not body_children and not (body.text or "").strip():
        body_children = [body]
    elif len(body_children) != 1:
        raise InvalidRequestError(
            f"The SOAP Body holds {len(body_children)} elements; send exactly one request "
            "element (a wst:RequestSecurityToken)."
        )
    if any((body.text or "").strip() or (child.tail or "").strip() for child in body_children):
        raise InvalidRequestError(
            "The SOAP Body holds text besides its element; send only the request element."
        )

    if version is SoapVersion.SOAP12:
        transport_action = _strip_quotes(action_parameter) or _strip_quotes(soap_action)
    else:
        transport_action = _strip_quotes(soap_action)
    addressing_namespace, wsa_action, message_id = _addressing(headers)
    if wsa_action is not None and transport_action is not None and wsa_action != transport_action:
        raise InvalidRequestError(
            f"The WS-Addressing Action {wsa_action!r} contradicts the SOAPAction "
            f"{transport_action!r}; send the same action in both, or leave the SOAPAction empty."
        )
    return SoapMessage(
        version=version,
        headers=headers,
        body=body_children[0],
        action=wsa_action if wsa_action is not None else transport_action,
        message_id=message_id,
        addressing_namespace=addressing_namespace,
    )


def _version_name(version: SoapVersion) -> str:
    return "SOAP 1.1" if version is SoapVersion.SOAP11 else "SOAP 1.2"


# Per SOAP version: the other version's Clark prefix, then this version's Header and Body tags.
_ENVELOPE_TAGS = {
    version: (f"{{{other}}}", f"{{{version.value}}}Header", f"{{{version.value}}}Body")
    for version, other in ((SoapVersion.SOAP11, ns.SOAP12), (SoapVersion.SOAP12, ns.SOAP11))
}


def _envelope_parts(
    root: etree._Element, version: SoapVersion
) -> tuple[etree._Element | None, etree._Element]:
    other = SoapVersion.SOAP12 if version is SoapVersion.SOAP11 else SoapVersion.SOAP11
    other_prefix, header_tag, body_tag = _ENVELOPE_TAGS[version]
    header: etree._Element | None = None
    body: etree._Element | None = None
    for child in root.iterchildren(etree.Element):
        tag = child.tag
        if tag.startswith(other_prefix):
            raise InvalidRequestError(
                f"The {_version_name(version)} envelope holds a {_version_name(other)} "
                f"{etree.QName(child).localname}; use the {_version_name(version)} namespace "
                "for the Envelope, Header and Body alike."
            )
        if tag == header_tag and header is None and body is None:
            header = child
        elif tag == body_tag and body is None:
            body = child
        else:
            raise InvalidRequestError(
                f"The SOAP Envelope holds an unexpected {child.tag}; send one optional Header "
                "followed by one Body."
            )
    if body is None:
        raise InvalidRequestError("The SOAP Envelope has no Body; put the request in a Body.")
    return header, body


def _addressing(headers: tuple[etree._Element, ...]) -> tuple[str | None, str | None, str | None]:
    used = [wsa for wsa, prefix in _ADDRESSING_PREFIXES
            if any(h.tag.startswith(prefix) for h in headers)]
    if not used:
        return None, None, None
    if len(used) > 1:
        raise InvalidRequestError(
            "The message mixes WS-Addressing 1.0 and the 2004/08 submission headers; use one "
            "WS-Addressing version."
        )
    wsa = used[0]
    action_tag, id_tag = f"{{{wsa}}}Action", f"{{{wsa}}}MessageID"
    actions = [h for h in headers if h.tag == action_tag]
    ids = [h for h in headers if h.tag == id_tag]
    if len(actions) > 1 or len(ids) > 1:
        raise InvalidRequestError(
            "The message has more than one wsa:Action or wsa:MessageID header; send one of each."
        )
    action = _text(actions[0]) or None if actions else None
    message_id = _text(ids[0]) or None if ids else None
    return wsa, action, message_id


# ---------------------------------------------------------------- building

def _serialize(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="utf-8")


def _envelope(version: SoapVersion, headers: Sequence[etree._Element]) -> etree._Element:
    """An Envelope holding ``headers`` (moved into it) and an empty Body."""
    env = etree.Element(f"{{{version.value}}}Envelope", nsmap={version.prefix: version.value})
    if headers:
        header = etree.SubElement(env, f"{{{version.value}}}Header")
        for block in headers:
            header.append(block)
    etree.SubElement(env, f"{{{version.value}}}Body")
    return env


def build_envelope(version: SoapVersion, body: etree._Element, *,
                   headers: Sequence[etree._Element] = ()) -> bytes:
    """A complete envelope as UTF-8 bytes with an XML declaration.

    ``body`` and ``headers`` are moved into the envelope (lxml elements have one parent); pass
    copies if the caller still needs them where they are.
    """
    envelope = _envelope(version, headers)
    envelope[-1].append(body)
    return _serialize(envelope)


def addressing_headers(addressing_namespace: str, *, action: str, to: str | None = None,
                       reply_to_anonymous: bool = False,
                       relates_to: str | None = None) -> list[etree._Element]:
    """WS-Addressing header blocks: Action and a fresh MessageID, then what is given.

    A request names its destination (``to``) and asks for the answer on the same connection
    (``reply_to_anonymous``): ADFS and WCF endpoints dispatch on these. An answer names the
    request it answers (``relates_to``).
    """
    wsa = addressing_namespace
    nsmap = {"wsa": wsa}

    def header(name: str, text: str) -> etree._Element:
        element = etree.Element(f"{{{wsa}}}{name}", nsmap=nsmap)
        element.text = text
        return element

    out = [header("Action", action), header("MessageID", new_message_id())]
    if to is not None:
        out.append(header("To", to))
    if reply_to_anonymous:
        reply_to = etree.Element(f"{{{wsa}}}ReplyTo", nsmap=nsmap)
        etree.SubElement(reply_to, f"{{{wsa}}}Address").text = _ANONYMOUS[wsa]
        out.append(reply_to)
    if relates_to is not None:
        out.append(header("RelatesTo", relates_to))
    return out


def build_response(request: SoapMessage, body: etree._Element | bytes, *, action: str) -> bytes:
    """The answer to ``request``: same SOAP version, WS-Addressing headers if it used them.

    ``body`` is the Body's element as UTF-8 text (no XML declaration, declaring what it uses),
    or an element, which is written out first.
    """
    return _answer(request.version, request, body, action=action)


@dataclass(frozen=True)
class _AnswerShape:
    """What the envelope of an answer (a response or a fault) depends on."""

    version: SoapVersion
    addressing_namespace: str | None
    relates_to: bool


# Holes of an answer's template: the Body's content, then (with WS-Addressing) the Action, the
# MessageID and the RelatesTo.
_BODY, _ACTION, _MESSAGE_ID, _RELATES_TO = range(4)
_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>\n"


@functools.cache  # a handful of shapes: two SOAP versions, three addressing choices
def _answer_template(shape: _AnswerShape) -> TextTemplate:
    headers: list[etree._Element] = []
    if shape.addressing_namespace is not None:
        headers = addressing_headers(shape.addressing_namespace, action=hole(_ACTION),
                                     relates_to=hole(_RELATES_TO) if shape.relates_to else None)
        headers[1].text = hole(_MESSAGE_ID)
    envelope = _envelope(shape.version, headers)
    envelope[-1].text = hole(_BODY)
    return TextTemplate(envelope)


def _answer(version: SoapVersion, request: SoapMessage | None, body: etree._Element | bytes, *,
            action: str) -> bytes:
    """The envelope answering ``request`` (None: one that could not be read) with ``body``.

    Written from a template kept per shape: when the request used WS-Addressing, with the
    Action, a fresh MessageID and the RelatesTo naming the request's MessageID.
    """
    if not isinstance(body, bytes):
        body = etree.tostring(body, encoding="utf-8")
    addressing = request.addressing_namespace if request is not None else None
    relates_to = request.message_id if request is not None else None
    template = _answer_template(_AnswerShape(version, addressing, relates_to is not None))
    values = [body]
    if addressing is not None:
        values += [escape_text(action, "action").encode(), new_message_id().encode()]
        if relates_to is not None:
            values.append(escape_text(relates_to, "request's MessageID").encode())
    return _DECLARATION + template.fill(values)


def build_fault(version: SoapVersion, error: StsError, *, trust_namespace: str = ns.WST_13,
                request: SoapMessage | None = None) -> bytes:
    """A SOAP fault for ``error`` with its WS-Trust or WS-Security subcode and message."""
    code = error.fault_code(trust_namespace)
    prefix = _SUBCODE_PREFIXES.get(code.namespace, "sf")
    subcode_text = f"{prefix}:{code.local_name}"
    soap = version.value
    fault = etree.Element(f"{{{soap}}}Fault", nsmap={version.prefix: soap,
                                                     prefix: code.namespace})
    if version is SoapVersion.SOAP11:
        etree.SubElement(fault, "faultcode").text = subcode_text
        faultstring = etree.SubElement(fault, "faultstring")
        # WS-I Basic Profile R1016 allows xml:lang on faultstring (the 1.1 schema predates it).
        faultstring.set(_XML_LANG, "en")
        faultstring.text = error.message
    else:
        code_el = etree.SubElement(fault, f"{{{soap}}}Code")
        etree.SubElement(code_el, f"{{{soap}}}Value").text = (
            f"{version.prefix}:{'Sender' if code.sender else 'Receiver'}"
        )
        sub = etree.SubElement(code_el, f"{{{soap}}}Subcode")
        etree.SubElement(sub, f"{{{soap}}}Value").text = subcode_text
        reason = etree.SubElement(fault, f"{{{soap}}}Reason")
        text = etree.SubElement(reason, f"{{{soap}}}Text")
        text.set(_XML_LANG, "en")
        text.text = error.message
    addressing = request.addressing_namespace if request is not None else None
    return _answer(version, request, fault,
                   action=fault_action(addressing) if addressing is not None else "")


def _resolve_qname(element: etree._Element, value: str) -> str:
    prefix, sep, local = value.strip().rpartition(":")
    if not sep:
        namespace = element.nsmap.get(None)
        return f"{{{namespace}}}{local}" if namespace else local
    namespace = element.nsmap.get(prefix)
    if namespace is None:
        raise InvalidRequestError(
            f"The fault code {value!r} uses an undeclared prefix; the fault is malformed."
        )
    return f"{{{namespace}}}{local}"


def parse_fault(element_or_bytes: etree._Element | bytes) -> tuple[str, str]:
    """Read a SOAP 1.1 or 1.2 fault: ``(subcode QName in Clark notation, reason text)``.

    Accepts the fault's envelope as bytes or an element (Envelope, Body or Fault). For SOAP 1.2
    the innermost Subcode is reported, or the Code itself when there is none.
    """
    root = (parse_xml(bytes(element_or_bytes))
            if isinstance(element_or_bytes, bytes | bytearray) else element_or_bytes)
    fault = None
    for version in SoapVersion:
        tag = f"{{{version.value}}}Fault"
        fault = root if root.tag == tag else root.find(f".//{tag}")
        if fault is not None:
            break
    if fault is None:
        raise InvalidRequestError("The message holds no SOAP Fault.")
    if fault.tag == f"{{{ns.SOAP11}}}Fault":
        code_el = fault.find("faultcode")
        reason_el = fault.find("faultstring")
        if code_el is None:
            raise InvalidRequestError("The SOAP 1.1 fault has no faultcode.")
        reason_text = _text(reason_el) if reason_el is not None else ""
        return _resolve_qname(code_el, _text(code_el)), reason_text
    soap = ns.SOAP12
    value_el = fault.find(f"{{{soap}}}Code/{{{soap}}}Value")
    if value_el is None:
        raise InvalidRequestError("The SOAP 1.2 fault has no Code/Value.")
    sub = fault.find(f"{{{soap}}}Code/{{{soap}}}Subcode")
    while sub is not None:
        sub_value = sub.find(f"{{{soap}}}Value")
        if sub_value is not None:
            value_el = sub_value
        sub = sub.find(f"{{{soap}}}Subcode")
    texts = fault.findall(f"{{{soap}}}Reason/{{{soap}}}Text")
    reason = next((t for t in texts if t.get(_XML_LANG, "").lower().startswith("en")),
                  texts[0] if texts else None)
    return _resolve_qname(value_el, _text(value_el)), _text(reason) if reason is not None else ""
