"""Every form a person may paste or open: XML, base64, base64+deflate, wrapped in RSTR or SOAP."""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse
import zlib

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import AuthenticationError, InvalidRequestError
from stsdesk.core.rstr import build_issue_response
from stsdesk.core.saml import (
    PASSWORD_AUTHN_20,
    AssertionSpec,
    SamlVersion,
    build_assertion,
    encrypt_assertion,
    new_assertion_id,
    sign_assertion,
)
from stsdesk.core.soap import SoapVersion, build_envelope, build_fault
from stsdesk.core.tokeninput import (
    MAX_INFLATED_BYTES,
    InputEncoding,
    TokenForm,
    extract_token,
)
from stsdesk.core.wstrust import IssuedToken, TokenType, TrustVersion
from stsdesk.core.xmlparse import parse_xml
from tests.core.pki import identity

STS = identity("tokeninput-sts")
RP = identity("tokeninput-rp")
NOW = dt.datetime.now(dt.UTC)


def _assertion(version: SamlVersion = SamlVersion.SAML20) -> etree._Element:
    spec = AssertionSpec(
        version=version,
        assertion_id=new_assertion_id(),
        issuer="localhost",
        issue_instant=NOW,
        not_before=NOW,
        not_on_or_after=NOW + dt.timedelta(minutes=5),
        subject_name="alice",
        name_id_format="",
        audiences=("https://rp.example.org",),
        authn_instant=NOW,
        authn_method=PASSWORD_AUTHN_20,
    )
    element = build_assertion(spec)
    sign_assertion(element, STS)
    return element


def _xml(element: etree._Element) -> bytes:
    return etree.tostring(element)


def _rstr(token: etree._Element, version: TrustVersion) -> etree._Element:
    issued = IssuedToken(
        token=etree.tostring(token),
        token_type=TokenType.SAML20,
        token_id=token.get("ID") or "x",
        applies_to="https://rp.example.org",
        created=NOW,
        expires=NOW + dt.timedelta(minutes=5),
    )
    return parse_xml(build_issue_response(version, issued, context=None))


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize("version", [SamlVersion.SAML11, SamlVersion.SAML20])
def test_plain_assertion_as_bytes_and_text(version):
    element = _assertion(version)
    expected = TokenForm.SAML20_ASSERTION if version is SamlVersion.SAML20 else (
        TokenForm.SAML11_ASSERTION
    )
    for given in (_xml(element), _xml(element).decode(), b"\xef\xbb\xbf  \n" + _xml(element)):
        extracted = extract_token(given)
        assert extracted.form is expected
        assert extracted.encoding is InputEncoding.XML
        assert extracted.container == "token"
        assert not extracted.encrypted
        assert extracted.element.tag == element.tag


def test_encrypted_assertion_and_bare_encrypted_data():
    wrapped = encrypt_assertion(_assertion(), RP.certificate)
    extracted = extract_token(_xml(wrapped))
    assert extracted.form is TokenForm.ENCRYPTED_ASSERTION
    assert extracted.encrypted
    bare = encrypt_assertion(_assertion(SamlVersion.SAML11), RP.certificate)
    extracted = extract_token(_xml(bare))
    assert extracted.form is TokenForm.ENCRYPTED_DATA
    assert extracted.encrypted


@pytest.mark.parametrize(
    ("version", "container"),
    [(TrustVersion.WST_13, "RSTR collection"), (TrustVersion.WST_2005, "RSTR")],
)
def test_token_inside_rstr_and_its_response_read(version, container):
    token = _assertion()
    extracted = extract_token(_xml(_rstr(token, version)))
    assert extracted.container == container
    assert extracted.element.get("ID") == token.get("ID")
    assert extracted.response is not None
    assert extracted.response.applies_to == "https://rp.example.org"
    assert extracted.response.attached_reference == token.get("ID")


@pytest.mark.parametrize("soap", [SoapVersion.SOAP11, SoapVersion.SOAP12])
def test_token_inside_soap_envelope(soap):
    token = _assertion()
    envelope = build_envelope(soap, _rstr(token, TrustVersion.WST_13))
    extracted = extract_token(envelope)
    name = "SOAP 1.1" if soap is SoapVersion.SOAP11 else "SOAP 1.2"
    assert extracted.container == f"{name} envelope, RSTR collection"
    assert extracted.element.get("ID") == token.get("ID")
    # the token stays in its document, so ID uniqueness is checked over the whole message
    assert extracted.document.tag == f"{{{soap.value}}}Envelope"


def test_assertion_inside_saml_protocol_response():
    response = etree.Element(f"{{{ns.SAML2P}}}Response", nsmap={"samlp": ns.SAML2P})
    response.append(_assertion())
    extracted = extract_token(_xml(response))
    assert extracted.container == "SAML 2.0 Response"
    assert extracted.form is TokenForm.SAML20_ASSERTION


def test_base64_forms():
    token = _assertion()
    xml = _xml(_rstr(token, TrustVersion.WST_13))
    plain = base64.b64encode(xml).decode()
    wrapped = "\n".join(plain[i : i + 76] for i in range(0, len(plain), 76))
    for given in (plain, wrapped, plain.encode()):
        extracted = extract_token(given)
        assert extracted.encoding is InputEncoding.BASE64
        assert extracted.element.get("ID") == token.get("ID")


def test_base64_of_raw_deflate_as_saml_tracer_shows_redirect_bindings():
    token = _assertion()
    encoded = base64.b64encode(_raw_deflate(_xml(token))).decode()
    extracted = extract_token(encoded)
    assert extracted.encoding is InputEncoding.BASE64_DEFLATE
    assert extracted.element.get("ID") == token.get("ID")
    # still URL-encoded, as copied from a query string
    extracted = extract_token(urllib.parse.quote(encoded, safe=""))
    assert extracted.encoding is InputEncoding.BASE64_DEFLATE


def test_base64_of_zlib_stream_is_accepted_too():
    token = _assertion()
    extracted = extract_token(base64.b64encode(zlib.compress(_xml(token))))
    assert extracted.encoding is InputEncoding.BASE64_DEFLATE


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ('{"token": 1}', "neither XML nor base64"),
        ("aGVsbG8gd29ybGQ=", "decodes neither to XML"),
        ("not base64 at all!", "neither XML nor base64"),
        ("<a><b></a>", "not well-formed"),
        ("<html><body>hi</body></html>", "holds a html element"),
        ("\u00e9t\u00e9", "neither XML nor base64"),
    ],
)
def test_anything_else_is_refused_with_a_reason(given, words):
    with pytest.raises(InvalidRequestError) as info:
        extract_token(given)
    assert info.value.message.startswith("This is not a SAML token")
    assert words in info.value.message


def test_doctype_is_refused():
    hostile = b'<!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>'
    with pytest.raises(InvalidRequestError, match="DTD"):
        extract_token(hostile)
    with pytest.raises(InvalidRequestError, match="DTD"):
        extract_token(base64.b64encode(hostile))


def test_oversized_input_is_refused_before_parsing():
    with pytest.raises(InvalidRequestError, match="more than"):
        extract_token(b"<a>" + b"x" * 3_000_000 + b"</a>")


def test_deflate_bomb_is_refused():
    bomb = _raw_deflate(b"<a>" + b" " * (MAX_INFLATED_BYTES * 2) + b"</a>")
    with pytest.raises(InvalidRequestError, match="inflates to more than"):
        extract_token(base64.b64encode(bomb))


def test_soap_fault_says_the_sts_refused():
    fault = build_fault(SoapVersion.SOAP12, AuthenticationError("Wrong user name or password."))
    with pytest.raises(InvalidRequestError) as info:
        extract_token(fault)
    assert "FailedAuthentication" in info.value.message
    assert "Wrong user name or password." in info.value.message


def test_rstr_without_token_is_refused():
    rstr = etree.Element(f"{{{ns.WST_13}}}RequestSecurityTokenResponse", nsmap={"wst": ns.WST_13})
    etree.SubElement(rstr, f"{{{ns.WST_13}}}RequestedTokenCancelled")
    with pytest.raises(InvalidRequestError, match="cancellation"):
        extract_token(_xml(rstr))


def test_token_type_other_than_saml_is_refused():
    rstr = etree.Element(f"{{{ns.WST_13}}}RequestSecurityTokenResponse", nsmap={"wst": ns.WST_13})
    holder = etree.SubElement(rstr, f"{{{ns.WST_13}}}RequestedSecurityToken")
    etree.SubElement(holder, "{urn:example}SecurityContextToken")
    with pytest.raises(InvalidRequestError, match="SecurityContextToken"):
        extract_token(_xml(rstr))


def test_saml_response_without_assertion_is_refused():
    response = etree.Element(f"{{{ns.SAML2P}}}Response")
    with pytest.raises(InvalidRequestError, match="carries no Assertion"):
        extract_token(_xml(response))
