"""Property tests: no input makes the request parser or the token decoder raise a foreign error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stsdesk.core.errors import StsError
from stsdesk.core.soap import SoapVersion, build_envelope, parse_envelope
from stsdesk.core.tokeninfo import decode_token
from stsdesk.core.tokeninput import extract_token
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import RequestType, TrustVersion, build_request, parse_request

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SEED = build_envelope(
    SoapVersion.SOAP12,
    build_request(TrustVersion.WST_13, RequestType.ISSUE, applies_to="https://rp.example.org/"),
    headers=[build_security_header(SoapVersion.SOAP12, username="u", password="p")],
)


def _parse(data: bytes, content_type: str | None) -> None:
    try:
        message = parse_envelope(data, content_type=content_type, soap_action=None)
        parse_request(message.body, action=message.action)
    except StsError:
        pass


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from([None, "text/xml", "application/soap+xml"]))
def test_request_parser_on_random_bytes(data, content_type):
    _parse(data, content_type)


@FUZZ
@given(st.integers(0, len(SEED) - 1), st.binary(min_size=0, max_size=40),
       st.integers(0, 40))
def test_request_parser_on_a_mutated_envelope(position, insert, cut):
    _parse(SEED[:position] + insert + SEED[position + cut:], "application/soap+xml")


@FUZZ
@given(st.text(max_size=200, alphabet=st.characters(blacklist_categories=("Cs",))))
def test_request_parser_on_text_in_the_request(text):
    xml = SEED.replace(b"https://rp.example.org/", text.encode("utf-8", "replace"))
    _parse(xml, "application/soap+xml")


@FUZZ
@given(st.one_of(st.binary(max_size=1500), st.text(max_size=1500)))
def test_token_decoder_on_random_input(data):
    try:
        decode_token(extract_token(data))
    except StsError:
        pass


@FUZZ
@given(st.integers(0, 600), st.binary(max_size=30))
def test_token_decoder_on_a_mutated_assertion(position, insert):
    assertion = (b'<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" '
                 b'ID="_a" IssueInstant="2024-01-01T00:00:00Z" Version="2.0">'
                 b"<saml2:Issuer>x</saml2:Issuer><saml2:Subject><saml2:NameID>n</saml2:NameID>"
                 b"</saml2:Subject><saml2:Conditions NotBefore=\"2024-01-01T00:00:00Z\" "
                 b'NotOnOrAfter="2024-01-01T00:05:00Z"/></saml2:Assertion>')
    position = min(position, len(assertion))
    try:
        decode_token(extract_token(assertion[:position] + insert + assertion[position:]))
    except StsError:
        pass
