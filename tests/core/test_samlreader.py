"""The one SAML reader: the STS (strict) and the inspector (lenient) read every token the same."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, InvalidSecurityTokenError
from stsdesk.core.saml import (
    PASSWORD_AUTHN_11,
    PASSWORD_AUTHN_20,
    AssertionSpec,
    Bearer,
    HolderOfKeyPublic,
    HolderOfKeySymmetric,
    SamlAttribute,
    SamlVersion,
    build_assertion,
    join_claim_uri,
    new_assertion_id,
    sign_assertion,
    split_claim_uri,
)
from stsdesk.core.samlreader import read_assertion, read_assertion_spec
from stsdesk.core.tokeninfo import decode_token
from stsdesk.core.tokeninput import extract_token
from stsdesk.core.xmlenc import encrypt_key
from tests.core.pki import SCHEMAS, identity

STS = identity("samlreader-sts")
RP = identity("samlreader-rp")
CLIENT = identity("samlreader-client")
NOW = dt.datetime(2025, 3, 4, 5, 6, 7, 891000, tzinfo=dt.UTC)
S1, S2 = f"{{{ns.SAML11}}}", f"{{{ns.SAML2}}}"


def _spec(version=SamlVersion.SAML11, attributes=(), confirmation=None) -> AssertionSpec:
    return AssertionSpec(
        version=version,
        assertion_id=new_assertion_id(),
        issuer="localhost",
        issue_instant=NOW,
        not_before=NOW,
        not_on_or_after=NOW + dt.timedelta(minutes=5),
        subject_name="alice",
        name_id_format=ns.NAMEID_UNSPECIFIED,
        audiences=("https://rp.example.org/",),
        authn_instant=NOW,
        authn_method=PASSWORD_AUTHN_11 if version is SamlVersion.SAML11 else PASSWORD_AUTHN_20,
        attributes=attributes,
        confirmation=confirmation or Bearer(),
    )


def _inspected(element: etree._Element):
    return decode_token(extract_token(etree.tostring(element)))


def _saml11_with_attribute(namespace: str, name: str) -> etree._Element:
    """A SAML 1.1 assertion whose attribute was written by another issuer, by hand."""
    element = build_assertion(_spec(attributes=(SamlAttribute("http://x.example/a", ("v",)),)))
    attribute = element.find(f"{S1}AttributeStatement/{S1}Attribute")
    attribute.set("AttributeNamespace", namespace)
    attribute.set("AttributeName", name)
    return element


# -- SAML 1.1 attribute names: one rule for writing and reading ----------------------------------


def test_a_namespace_with_a_slash_is_joined_with_a_slash_by_the_sts_and_the_inspector():
    element = _saml11_with_attribute("urn:example/claims", "role")
    assert [a.name for a in read_assertion_spec(element).attributes] == ["urn:example/claims/role"]
    assert [a.claim_uri for a in _inspected(element).attributes] == ["urn:example/claims/role"]


@pytest.mark.parametrize(
    ("namespace", "name", "claim"),
    [
        ("http://wso2.org/claims", "emailaddress", "http://wso2.org/claims/emailaddress"),
        ("urn:oid:2.5.4", "42", "urn:oid:2.5.4/42"),  # a "/" join, whatever the namespace
        ("", "role", "role"),  # no namespace: the name alone
    ],
)
def test_reading_joins_namespace_and_name_with_a_slash(namespace, name, claim):
    element = _saml11_with_attribute(namespace, name)
    assert read_assertion_spec(element).attributes[0].name == claim
    assert _inspected(element).attributes[0].claim_uri == claim


def test_the_issuer_splits_at_the_last_slash(schemas):
    spec = _spec(attributes=(SamlAttribute("urn:example/claims/role", ("admin",)),))
    element = build_assertion(spec)
    schemas[SamlVersion.SAML11].assertValid(element)
    attribute = element.find(f"{S1}AttributeStatement/{S1}Attribute")
    assert (attribute.get("AttributeNamespace"), attribute.get("AttributeName")) == (
        "urn:example/claims", "role",
    )


@pytest.mark.parametrize("claim", ["urn:oid:2.5.4.42", "role", "http://example.org/claims/"])
def test_a_claim_without_a_name_after_a_slash_cannot_go_in_saml11(claim):
    with pytest.raises(InvalidRequestError, match="Request a SAML 2.0 token"):
        build_assertion(_spec(attributes=(SamlAttribute(claim, ("v",)),)))
    # SAML 2.0 names the attribute by the whole URI, so the same claim is fine there.
    built = build_assertion(_spec(SamlVersion.SAML20, (SamlAttribute(claim, ("v",)),)))
    assert read_assertion_spec(built).attributes == (SamlAttribute(claim, ("v",)),)


_CLAIMS = st.from_regex(
    r"(https?://[a-z0-9.-]{1,20}|urn:[a-z0-9]{1,8}:[A-Za-z0-9.:-]{1,20})(/[A-Za-z0-9._~:-]{0,12})*"
    r"/[A-Za-z0-9._~:-]{1,20}",
    fullmatch=True,
)


@settings(max_examples=60, deadline=None)
@given(claim=_CLAIMS)
def test_every_claim_the_issuer_writes_reads_back_the_same(claim):
    namespace, name = split_claim_uri(claim)
    assert join_claim_uri(namespace, name) == claim
    element = build_assertion(_spec(attributes=(SamlAttribute(claim, ("v",)),)))
    assert read_assertion_spec(element).attributes == (SamlAttribute(claim, ("v",)),)
    assert read_assertion(element, lenient=True).attributes[0].claim_uri == claim


# -- strict and lenient: the same reading, problems raised or listed -----------------------------


def _comparable(value):
    """``value`` with an EncryptedKey element as its canonical bytes (lxml elements compare by
    identity, and a copy cut out of an assertion may declare its namespaces elsewhere)."""
    confirmation = value.confirmation
    if isinstance(confirmation, HolderOfKeySymmetric):
        canonical = etree.tostring(confirmation.encrypted_key, method="c14n", exclusive=True)
        return dataclasses.replace(value, confirmation=canonical)
    return value


@pytest.mark.parametrize("version", list(SamlVersion))
@pytest.mark.parametrize(
    "confirmation",
    [
        Bearer(),
        HolderOfKeySymmetric(encrypt_key(b"k" * 32, RP.certificate)),
        HolderOfKeyPublic(CLIENT.certificate_der()),
    ],
    ids=["bearer", "symmetric", "public"],
)
def test_strict_and_lenient_read_the_same_and_the_spec_comes_back(version, confirmation):
    spec = _spec(version, (SamlAttribute("http://wso2.org/claims/role", ("a", "b")),), confirmation)
    element = build_assertion(spec)
    sign_assertion(element, STS)
    strict, lenient = read_assertion(element), read_assertion(element, lenient=True)
    assert lenient.problems == ()
    assert _comparable(strict) == _comparable(lenient)
    assert _comparable(strict.to_spec()) == _comparable(spec)


def _broken_20() -> etree._Element:
    element = build_assertion(_spec(SamlVersion.SAML20))
    element.set("IssueInstant", "yesterday")
    element.find(f"{S2}Subject/{S2}SubjectConfirmation").set(
        "Method", "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"
    )
    element.remove(element.find(f"{S2}Conditions"))
    return element


def test_lenient_lists_every_problem_that_strict_raises_first():
    element = _broken_20()
    lenient = read_assertion(element, lenient=True)
    assert len(lenient.problems) == 3
    assert "'yesterday' is not an xs:dateTime" in lenient.problems[0]
    assert "sender-vouches" in lenient.problems[1]
    assert "no Conditions" in lenient.problems[2]
    assert lenient.subject.name_id == "alice" and lenient.confirmation is None
    with pytest.raises(InvalidSecurityTokenError) as raised:
        read_assertion(element)
    assert raised.value.message == lenient.problems[0]
    assert _inspected(element).problems == lenient.problems


def test_the_inspector_still_shows_what_the_sts_refuses_to_renew():
    element = build_assertion(_spec(SamlVersion.SAML20))
    element.remove(element.find(f"{S2}AuthnStatement"))  # schema-valid, but not ours to renew
    assert read_assertion(element, lenient=True).problems == ()
    with pytest.raises(InvalidSecurityTokenError, match="no AuthnStatement"):
        read_assertion_spec(element)


# -- times: one xs:dateTime rule -----------------------------------------------------------------


@pytest.mark.parametrize("version", list(SamlVersion))
def test_an_offset_beyond_fourteen_hours_is_refused_and_listed(version):
    element = build_assertion(_spec(version))
    element.set("IssueInstant", "2025-03-04T20:06:07+15:00")
    with pytest.raises(InvalidSecurityTokenError, match="not within -14:00 to \\+14:00"):
        read_assertion_spec(element)
    decoded = _inspected(element)
    assert decoded.issue_instant is None
    assert any("+15:00" in problem for problem in decoded.problems)
    element.set("IssueInstant", "2025-03-04T19:06:07+14:00")
    assert read_assertion_spec(element).issue_instant == NOW.replace(microsecond=0)


def test_a_time_without_a_zone_is_refused_strictly_and_shown_as_utc_leniently():
    element = build_assertion(_spec(SamlVersion.SAML20))
    conditions = element.find(f"{S2}Conditions")
    conditions.set("NotOnOrAfter", "2025-03-04T05:11:07")
    with pytest.raises(InvalidSecurityTokenError, match="no time zone"):
        read_assertion_spec(element)
    lenient = read_assertion(element, lenient=True)
    assert lenient.conditions.not_on_or_after == dt.datetime(2025, 3, 4, 5, 11, 7, tzinfo=dt.UTC)
    assert lenient.problems == (
        "The NotOnOrAfter '2025-03-04T05:11:07' has no time zone; it is shown as UTC, which "
        "SAML requires it to be written in.",
    )


def test_a_copy_of_the_element_reads_the_same():
    element = build_assertion(_spec(attributes=(SamlAttribute("http://a.example/b", ("c",)),)))
    assert read_assertion_spec(copy.deepcopy(element)) == read_assertion_spec(element)


@pytest.fixture(scope="module")
def schemas() -> dict[SamlVersion, etree.XMLSchema]:
    return {
        SamlVersion.SAML20: etree.XMLSchema(
            etree.parse(str(SCHEMAS / "saml-schema-assertion-2.0.xsd"))
        ),
        SamlVersion.SAML11: etree.XMLSchema(
            etree.parse(str(SCHEMAS / "oasis-sstc-saml-schema-assertion-1.1.xsd"))
        ),
    }
