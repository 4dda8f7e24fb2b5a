"""WS-Security header: UsernameToken (text and digest), Timestamp, BinarySecurityToken."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta, timezone
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidSecurityError, MessageExpiredError
from stsdesk.core.soap import SoapVersion, build_envelope, parse_envelope
from stsdesk.core.wssecurity import (
    TIMESTAMP_TTL_SECONDS,
    SecurityHeader,
    Timestamp,
    UsernameToken,
    build_security_header,
    check_timestamp,
    check_username_token_freshness,
    claimed_username,
    parse_security_header,
    password_digest,
    password_matches,
    timestamp_acceptable_until,
)
from stsdesk.core.xsdatetime import format_xs_datetime, parse_xs_datetime
from tests.helpers.data import SCHEMAS

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@cache
def secext_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "oasis-200401-wss-wssecurity-secext-1.0.xsd")))


@cache
def certificate_der() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def message_with(security_xml: str, version: SoapVersion = SoapVersion.SOAP11):
    data = (f'<s:Envelope xmlns:s="{version.value}" xmlns:wsse="{ns.WSSE}" xmlns:wsu="{ns.WSU}">'
            f"<s:Header>{security_xml}</s:Header><s:Body><x/></s:Body></s:Envelope>").encode()
    return parse_envelope(data, content_type=version.content_type)


def parse(security_xml: str, version: SoapVersion = SoapVersion.SOAP11) -> SecurityHeader:
    header = parse_security_header(message_with(security_xml, version))
    assert header is not None
    return header


def ut(inner: str) -> str:
    return f"<wsse:Security><wsse:UsernameToken>{inner}</wsse:UsernameToken></wsse:Security>"


def round_trip(version: SoapVersion, **kwargs) -> SecurityHeader:
    security = build_security_header(version, **kwargs)
    data = build_envelope(version, etree.Element("x"), headers=[security])
    header = parse_security_header(parse_envelope(data, content_type=version.content_type))
    assert header is not None
    return header


# ---------------------------------------------------------------- digest

def test_password_digest_matches_an_independent_computation() -> None:
    nonce = bytes(range(16))
    created = "2024-05-01T12:00:00.000Z"
    expected = base64.b64encode(
        hashlib.sha1(nonce + created.encode() + b"p\xc3\xa4ssword").digest()  # noqa: S324
    ).decode()
    assert password_digest(nonce, created, "pässword") == expected
    assert password_digest(nonce, created, "password") != expected


def test_password_matches_uses_constant_time_comparison(monkeypatch) -> None:
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    token = UsernameToken("admin", "secret", ns.PASSWORD_TEXT, None, None, None)
    assert password_matches(token, "secret")
    assert not password_matches(token, "Secret")
    digest_token = UsernameToken("admin", password_digest(b"n", "c", "secret"),
                                 ns.PASSWORD_DIGEST, b"n", NOW, "c")
    assert password_matches(digest_token, "secret")
    assert not password_matches(digest_token, "wrong")
    assert len(calls) == 4


def test_password_matches_refuses_a_token_without_password() -> None:
    token = UsernameToken("admin", None, ns.PASSWORD_TEXT, None, None, None)
    assert not password_matches(token, "")


def test_digest_without_nonce_never_matches() -> None:
    token = UsernameToken("admin", password_digest(b"", "c", "pw"), ns.PASSWORD_DIGEST,
                          None, NOW, "c")
    assert not password_matches(token, "pw")


def test_repr_hides_the_password() -> None:
    token = UsernameToken("admin", "hunter2", ns.PASSWORD_TEXT, None, None, None)
    assert "hunter2" not in repr(token)


# ---------------------------------------------------------------- builder and round trip

@pytest.mark.parametrize("version", list(SoapVersion))
@pytest.mark.parametrize("digest", [False, True])
def test_built_header_is_schema_valid_and_parses_back(version: SoapVersion, digest: bool) -> None:
    security = build_security_header(version, username="admin", password="pässword",
                                     digest=digest, now=NOW, nonce=b"0123456789abcdef")
    secext_schema().assertValid(security)
    assert security.get(f"{{{version.value}}}mustUnderstand") == "1"
    token_el = security.find(f"{{{ns.WSSE}}}UsernameToken")
    assert token_el.get(f"{{{ns.WSU}}}Id")
    assert security.find(f"{{{ns.WSU}}}Timestamp").get(f"{{{ns.WSU}}}Id")

    header = round_trip(version, username="admin", password="pässword", digest=digest, now=NOW,
                        nonce=b"0123456789abcdef")
    token = header.username_token
    assert token is not None and token.username == "admin"
    assert token.password_type == (ns.PASSWORD_DIGEST if digest else ns.PASSWORD_TEXT)
    assert password_matches(token, "pässword")
    assert not password_matches(token, "password")
    assert header.timestamp == Timestamp(NOW, NOW + timedelta(seconds=300))
    if digest:
        assert token.nonce == b"0123456789abcdef"
        assert token.created == NOW and token.created_text == "2024-05-01T12:00:00.000Z"
        check_username_token_freshness(token, now=NOW)


def test_header_without_timestamp_when_ttl_is_none() -> None:
    header = round_trip(SoapVersion.SOAP12, username="u", password="p", timestamp_ttl=None)
    assert header.timestamp is None
    assert header.username_token is not None


def test_digest_builder_uses_a_random_nonce_by_default() -> None:
    a = round_trip(SoapVersion.SOAP11, username="u", password="p", digest=True)
    b = round_trip(SoapVersion.SOAP11, username="u", password="p", digest=True)
    assert a.username_token.nonce and len(a.username_token.nonce) == 16
    assert a.username_token.nonce != b.username_token.nonce


# ---------------------------------------------------------------- parsing

def test_no_security_header_gives_none() -> None:
    assert parse_security_header(message_with("<other/>")) is None


def test_password_without_type_defaults_to_text() -> None:
    header = parse(ut("<wsse:Username>admin</wsse:Username><wsse:Password>pw</wsse:Password>"))
    assert header.username_token.password_type == ns.PASSWORD_TEXT
    assert password_matches(header.username_token, "pw")


def test_token_without_password_parses_but_never_matches() -> None:
    header = parse(ut("<wsse:Username>admin</wsse:Username>"))
    assert header.username_token.password is None
    assert not password_matches(header.username_token, "")


def test_two_security_headers_for_the_same_role_are_refused() -> None:
    one = "<wsse:Security/>"
    with pytest.raises(InvalidSecurityError) as info:
        parse(one + one)
    assert "two WS-Security headers" in info.value.message
    assert "merge them" in info.value.message


def test_ultimate_receiver_role_counts_as_the_default_role() -> None:
    role = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
    xml = f'<wsse:Security/><wsse:Security s:role="{role}"/>'
    with pytest.raises(InvalidSecurityError, match="two WS-Security headers"):
        parse(xml, SoapVersion.SOAP12)


def test_security_headers_for_different_actors_pick_ours() -> None:
    xml = ('<wsse:Security s:actor="urn:other">'
           "<wsse:UsernameToken><wsse:Username>intermediary</wsse:Username></wsse:UsernameToken>"
           "</wsse:Security>" + ut("<wsse:Username>me</wsse:Username>"))
    assert parse(xml).username_token.username == "me"


def test_the_claimed_username_is_the_one_authentication_reads() -> None:
    ours = ut("<wsse:Username> me </wsse:Username><wsse:Password>p</wsse:Password>")
    other = ('<wsse:Security s:actor="urn:other"><wsse:UsernameToken>'
             "<wsse:Username>intermediary</wsse:Username></wsse:UsernameToken></wsse:Security>")
    for xml in (ours, other + ours):
        message = message_with(xml)
        claimed = claimed_username(message)
        assert claimed == " me "  # the very text, as parse_security_header reads it
        assert claimed == parse_security_header(message).username_token.username


@pytest.mark.parametrize("security_xml", [
    "",  # no header
    "<wsse:Security/>",  # no UsernameToken
    "<wsse:Security/><wsse:Security/>",  # refused by authentication, not by the hint
    ut("<wsse:Password>p</wsse:Password>"),  # no Username
    ut("<wsse:Username/>"),
    ut(f"<wsse:Username>{'a' * 257}</wsse:Username>"),  # too long to look up
    '<wsse:Security s:actor="urn:other">'
    "<wsse:UsernameToken><wsse:Username>x</wsse:Username></wsse:UsernameToken></wsse:Security>",
])
def test_no_username_is_claimed_without_one_to_look_up(security_xml: str) -> None:
    assert claimed_username(message_with(security_xml)) is None


def test_security_header_only_for_another_actor_gives_none() -> None:
    xml = '<wsse:Security s:actor="urn:other"/>'
    assert parse_security_header(message_with(xml)) is None


@pytest.mark.parametrize("username", ["", "   "])
def test_missing_or_empty_username_is_refused(username: str) -> None:
    with pytest.raises(InvalidSecurityError, match="put the user name in wsse:Username"):
        parse(ut(f"<wsse:Username>{username}</wsse:Username><wsse:Password>p</wsse:Password>"))
    with pytest.raises(InvalidSecurityError, match="no username"):
        parse(ut("<wsse:Password>p</wsse:Password>"))


def test_too_long_username_is_refused() -> None:
    parse(ut(f"<wsse:Username>{'a' * 256}</wsse:Username>"))
    with pytest.raises(InvalidSecurityError, match="longer than 256 characters"):
        parse(ut(f"<wsse:Username>{'a' * 257}</wsse:Username>"))


def test_unknown_password_type_names_the_supported_ones() -> None:
    with pytest.raises(InvalidSecurityError) as info:
        parse(ut('<wsse:Username>a</wsse:Username><wsse:Password Type="urn:x">p</wsse:Password>'))
    assert ns.PASSWORD_TEXT in info.value.message
    assert ns.PASSWORD_DIGEST in info.value.message


def test_nonce_with_other_encoding_is_refused() -> None:
    with pytest.raises(InvalidSecurityError, match="base64-encoded"):
        parse(ut('<wsse:Username>a</wsse:Username><wsse:Nonce EncodingType="urn:hex">00'
                 "</wsse:Nonce>"))


def test_nonce_without_encoding_type_is_base64() -> None:
    header = parse(ut("<wsse:Username>a</wsse:Username><wsse:Nonce>AAEC</wsse:Nonce>"))
    assert header.username_token.nonce == b"\x00\x01\x02"


def test_nonce_over_one_kib_is_refused() -> None:
    ok = base64.b64encode(b"x" * 1024).decode()
    parse(ut(f"<wsse:Username>a</wsse:Username><wsse:Nonce>{ok}</wsse:Nonce>"))
    big = base64.b64encode(b"x" * 1025).decode()
    with pytest.raises(InvalidSecurityError, match="longer than 1024 bytes"):
        parse(ut(f"<wsse:Username>a</wsse:Username><wsse:Nonce>{big}</wsse:Nonce>"))


def test_nonce_that_is_not_base64_is_refused() -> None:
    with pytest.raises(InvalidSecurityError, match="not valid base64"):
        parse(ut("<wsse:Username>a</wsse:Username><wsse:Nonce>**notbase64**</wsse:Nonce>"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", NOW),
        ("2024-05-01T12:00:00+00:00", NOW),  # zeep's form
        ("2024-05-01T14:00:00.000+02:00", NOW),
        ("2024-05-01T12:00:00.123456789Z", NOW + timedelta(microseconds=123456)),
    ],
)
def test_created_accepts_xs_datetime_forms(text: str, expected: datetime) -> None:
    header = parse(ut(f"<wsse:Username>a</wsse:Username><wsu:Created>{text}</wsu:Created>"))
    assert header.username_token.created == expected
    assert header.username_token.created_text == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("yesterday", "not written like"),
        ("2024-13-01T00:00:00Z", "does not exist"),
        ("2024-05-01 12:00:00Z", "not written like"),
        ("", "not written like"),
        # WS-Security requires UTC: a time without a zone could be anyone's local time.
        ("2024-05-01T12:00:00", "no time zone"),
        ("2024-05-01T12:00:00+15:00", "not within -14:00 to +14:00"),
    ],
)
def test_unparsable_created_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidSecurityError, match="not an xs:dateTime") as info:
        parse(ut(f"<wsse:Username>a</wsse:Username><wsu:Created>{text}</wsu:Created>"))
    assert reason in info.value.message


def test_timestamp_is_parsed_and_requires_created() -> None:
    header = parse("<wsse:Security><wsu:Timestamp><wsu:Created>2024-05-01T12:00:00Z</wsu:Created>"
                   "</wsu:Timestamp></wsse:Security>")
    assert header.timestamp == Timestamp(NOW, None)
    with pytest.raises(InvalidSecurityError, match="no wsu:Created"):
        parse("<wsse:Security><wsu:Timestamp><wsu:Expires>2024-05-01T12:00:00Z</wsu:Expires>"
              "</wsu:Timestamp></wsse:Security>")
    with pytest.raises(InvalidSecurityError, match="not an xs:dateTime"):
        parse("<wsse:Security><wsu:Timestamp><wsu:Created>2024-05-01T12:00:00Z</wsu:Created>"
              "<wsu:Expires>soon</wsu:Expires></wsu:Timestamp></wsse:Security>")


def test_binary_security_token_carries_the_certificate() -> None:
    der = certificate_der()
    b64 = base64.b64encode(der).decode()
    header = parse(f'<wsse:Security><wsse:BinarySecurityToken ValueType="{ns.X509V3}" '
                   f'EncodingType="{ns.BASE64_BINARY}" wsu:Id="X1">{b64}'
                   "</wsse:BinarySecurityToken></wsse:Security>")
    assert header.binary_security_tokens == (der,)
    cert = x509.load_der_x509_certificate(header.binary_security_tokens[0])
    assert cert.subject.rfc4514_string() == "CN=client"


def test_binary_security_token_with_bad_base64_is_refused() -> None:
    with pytest.raises(InvalidSecurityError, match="not valid base64"):
        parse(f'<wsse:Security><wsse:BinarySecurityToken ValueType="{ns.X509V3}">%%%'
              "</wsse:BinarySecurityToken></wsse:Security>")


_CREATED = "<wsu:Created>2024-05-01T12:00:00Z</wsu:Created>"


@pytest.mark.parametrize(
    ("security_xml", "words"),
    [
        ("<wsse:Security>"
         + "<wsse:UsernameToken><wsse:Username>a</wsse:Username></wsse:UsernameToken>" * 2
         + "</wsse:Security>", "2 wsse:UsernameToken elements"),
        ("<wsse:Security>" + f"<wsu:Timestamp>{_CREATED}</wsu:Timestamp>" * 3
         + "</wsse:Security>", "3 wsu:Timestamp elements"),
        (ut("<wsse:Username>a</wsse:Username>" * 2), "2 wsse:Username elements"),
        (ut("<wsse:Username>a</wsse:Username>" + "<wsse:Password>p</wsse:Password>" * 2),
         "2 wsse:Password elements"),
        (ut("<wsse:Username>a</wsse:Username>" + "<wsse:Nonce>AAAA</wsse:Nonce>" * 2),
         "2 wsse:Nonce elements"),
        (ut("<wsse:Username>a</wsse:Username>" + _CREATED * 2), "2 wsu:Created elements"),
        (f"<wsse:Security><wsu:Timestamp>{_CREATED}"
         + "<wsu:Expires>2024-05-01T12:05:00Z</wsu:Expires>" * 2
         + "</wsu:Timestamp></wsse:Security>", "2 wsu:Expires elements"),
    ],
    ids=["username-token", "timestamp", "username", "password", "nonce", "created", "expires"],
)
def test_a_repeated_part_of_the_security_header_is_refused(security_xml: str, words: str) -> None:
    with pytest.raises(InvalidSecurityError, match=f"The message has {words}; send one."):
        parse(security_xml)


def test_every_x509_binary_security_token_is_read_in_order() -> None:
    der = certificate_der()
    b64 = base64.b64encode(der).decode()
    other = base64.b64encode(b"not read").decode()
    header = parse(f"<wsse:Security><wsse:BinarySecurityToken>{b64}</wsse:BinarySecurityToken>"
                   f'<wsse:BinarySecurityToken ValueType="urn:other">{other}'
                   "</wsse:BinarySecurityToken>"
                   f'<wsse:BinarySecurityToken ValueType="{ns.X509V3}">{b64}'
                   "</wsse:BinarySecurityToken></wsse:Security>")
    assert header.binary_security_tokens == (der, der)


# ---------------------------------------------------------------- timestamp checks

def ts(created: datetime, expires: datetime | None) -> Timestamp:
    return Timestamp(created, expires)


def test_missing_timestamp_when_required() -> None:
    with pytest.raises(InvalidSecurityError) as info:
        check_timestamp(None, now=NOW)
    assert "has no wsu:Timestamp; the security policy requires one" in info.value.message
    check_timestamp(None, now=NOW, required=False)


def test_expires_exactly_at_skew_is_accepted_and_one_second_past_is_not() -> None:
    created = NOW - timedelta(seconds=900)
    check_timestamp(ts(created, NOW - timedelta(seconds=300)), now=NOW, skew_seconds=300)
    with pytest.raises(MessageExpiredError, match="check the client's clock"):
        check_timestamp(ts(created, NOW - timedelta(seconds=301)), now=NOW, skew_seconds=300)


def test_created_exactly_at_skew_in_future_is_accepted_and_one_second_more_is_not() -> None:
    check_timestamp(ts(NOW + timedelta(seconds=300), None), now=NOW)
    with pytest.raises(MessageExpiredError) as info:
        check_timestamp(ts(NOW + timedelta(seconds=301), None), now=NOW)
    assert "created in the future; check the client's clock" in info.value.message


def test_without_expires_created_ten_minutes_ago_is_refused() -> None:
    """No wsu:Expires: Created may be at most skew + TTL (WSS4J's 300 s) old, or a signed
    message could be replayed once the replay cache has forgotten it."""
    assert TIMESTAMP_TTL_SECONDS == 300
    with pytest.raises(MessageExpiredError, match="no Expires") as info:
        check_timestamp(ts(NOW - timedelta(minutes=10), None), now=NOW, skew_seconds=60)
    assert info.value.fault_code().local_name == "MessageExpired"
    with pytest.raises(MessageExpiredError, match="no Expires"):
        check_timestamp(ts(NOW - timedelta(seconds=601), None), now=NOW, skew_seconds=300)
    check_timestamp(ts(NOW - timedelta(seconds=600), None), now=NOW, skew_seconds=300)
    check_timestamp(ts(NOW, None), now=NOW, skew_seconds=300)
    # With Expires it is Expires that decides, however old Created is.
    check_timestamp(ts(NOW - timedelta(minutes=30), NOW + timedelta(seconds=1)), now=NOW)


def test_the_replay_window_covers_every_moment_the_timestamp_passes() -> None:
    created = NOW - timedelta(seconds=30)
    bare = ts(created, None)
    until = timestamp_acceptable_until(bare, skew_seconds=300)
    assert until == created + timedelta(seconds=600)
    check_timestamp(bare, now=until, skew_seconds=300)
    with pytest.raises(MessageExpiredError):
        check_timestamp(bare, now=until + timedelta(seconds=1), skew_seconds=300)
    long_lived = ts(created, created + timedelta(hours=2))
    assert timestamp_acceptable_until(long_lived, skew_seconds=300) == (
        created + timedelta(hours=2, seconds=300))
    short_lived = ts(created, created + timedelta(seconds=5))
    assert timestamp_acceptable_until(short_lived, skew_seconds=300) == (
        created + timedelta(seconds=600))


def test_expires_before_created_is_invalid() -> None:
    with pytest.raises(InvalidSecurityError, match="expires before it was created"):
        check_timestamp(ts(NOW, NOW - timedelta(seconds=1)), now=NOW)


@pytest.fixture
def local_time_five_hours_west(monkeypatch: pytest.MonkeyPatch):
    """The process's local time zone set to UTC-5, so "naive means local" cannot pass for UTC."""
    monkeypatch.setenv("TZ", "XST+05")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_five_hours_west")
def test_naive_now_is_taken_as_utc_not_as_local_time() -> None:
    stamp = ts(NOW, NOW + timedelta(seconds=60))
    naive = NOW.replace(tzinfo=None)
    check_timestamp(stamp, now=naive, skew_seconds=0)
    # Read as local time (UTC-5), the same naive value would be five hours later: expired.
    assert naive.astimezone(UTC) == NOW + timedelta(hours=5)
    with pytest.raises(MessageExpiredError):
        check_timestamp(stamp, now=naive + timedelta(seconds=61), skew_seconds=0)


def test_aware_now_in_another_zone_is_the_same_instant() -> None:
    stamp = ts(NOW, NOW + timedelta(seconds=60))
    five_east = timezone(timedelta(hours=5))
    check_timestamp(stamp, now=NOW.astimezone(five_east), skew_seconds=0)
    # 12:00 on a +05:00 clock is 07:00 UTC: five hours before the message was created.
    with pytest.raises(MessageExpiredError, match="created in the future"):
        check_timestamp(stamp, now=NOW.replace(tzinfo=five_east), skew_seconds=0)


# ---------------------------------------------------------------- username token freshness

def digest_token(created: datetime | None, nonce: bytes | None = b"n" * 16) -> UsernameToken:
    created_text = format_xs_datetime(created) if created else None
    return UsernameToken("u", "x", ns.PASSWORD_DIGEST, nonce, created, created_text)


def test_digest_token_needs_nonce_and_created() -> None:
    with pytest.raises(InvalidSecurityError, match="no wsse:Nonce"):
        check_username_token_freshness(digest_token(NOW, nonce=None), now=NOW)
    with pytest.raises(InvalidSecurityError, match="no wsu:Created"):
        check_username_token_freshness(digest_token(None), now=NOW)


def test_digest_token_created_window_edges() -> None:
    check_username_token_freshness(digest_token(NOW - timedelta(seconds=300)), now=NOW)
    check_username_token_freshness(digest_token(NOW + timedelta(seconds=300)), now=NOW)
    with pytest.raises(MessageExpiredError, match="too long ago"):
        check_username_token_freshness(digest_token(NOW - timedelta(seconds=301)), now=NOW)
    with pytest.raises(MessageExpiredError, match="in the future; check the client's clock"):
        check_username_token_freshness(digest_token(NOW + timedelta(seconds=301)), now=NOW)


def test_text_token_without_created_is_fresh_enough() -> None:
    check_username_token_freshness(
        UsernameToken("u", "p", ns.PASSWORD_TEXT, None, None, None), now=NOW
    )
    stale = UsernameToken("u", "p", ns.PASSWORD_TEXT, None, NOW - timedelta(hours=1), "x")
    with pytest.raises(MessageExpiredError):
        check_username_token_freshness(stale, now=NOW)


def test_xs_datetime_formatting_round_trips_with_milliseconds() -> None:
    value = NOW + timedelta(microseconds=123999)
    text = format_xs_datetime(value)
    assert text == "2024-05-01T12:00:00.123Z"
    assert parse_xs_datetime(text) == NOW + timedelta(microseconds=123000)
