"""The decoded-token view: the requested claims a token came back without, beside its attributes."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from stsdesk.core.saml import (
    NAMEID_UNSPECIFIED,
    PASSWORD_AUTHN_20,
    AssertionSpec,
    SamlAttribute,
    SamlVersion,
    build_assertion,
    new_assertion_id,
    sign_assertion,
)
from stsdesk.core.tokeninfo import decode_token
from stsdesk.core.tokeninput import extract_token
from stsdesk.ui.widgets.token_view import TokenView
from tests.core.pki import identity

STS = identity("token-view-sts")
GIVEN_NAME = "http://wso2.org/claims/givenname"
EMAIL = "http://wso2.org/claims/emailaddress"
PHONE = "http://wso2.org/claims/telephone"


def _decoded():
    now = dt.datetime.now(dt.UTC)
    spec = AssertionSpec(
        version=SamlVersion.SAML20, assertion_id=new_assertion_id(), issuer="localhost",
        issue_instant=now, not_before=now, not_on_or_after=now + dt.timedelta(minutes=5),
        subject_name="grace", name_id_format=NAMEID_UNSPECIFIED, audiences=("https://rp",),
        authn_instant=now, authn_method=PASSWORD_AUTHN_20,
        attributes=(SamlAttribute(GIVEN_NAME, ("Grace",)),),
    )
    assertion = build_assertion(spec)
    sign_assertion(assertion, STS)
    return decode_token(extract_token(etree.tostring(assertion)),
                        trusted={"wso2carbon": STS.certificate})


@pytest.fixture
def view(qtbot) -> TokenView:
    widget = TokenView()
    qtbot.addWidget(widget)
    widget.show()
    widget.tabs.setCurrentIndex(widget.tabs.indexOf(widget.not_issued.parentWidget()))
    return widget


def test_requested_claims_not_issued_are_named_beside_the_attributes(view):
    view.show_token(_decoded(), not_issued=(EMAIL, PHONE))
    label = view.fields["Requested but not issued"]
    assert label.isVisible()
    assert label.text().startswith("Requested but not issued")
    assert label.text().splitlines()[1:] == [EMAIL, PHONE]
    assert view.attributes.rowCount() == 1  # the given name, which was issued


def test_nothing_is_said_when_every_requested_claim_came_back(view):
    view.show_token(_decoded(), not_issued=(EMAIL,))
    view.show_token(_decoded(), not_issued=())
    assert not view.fields["Requested but not issued"].isVisible()


def test_an_unreadable_token_says_it_cannot_tell(view):
    view.show_token(_decoded(), not_issued=None)
    label = view.fields["Requested but not issued"]
    assert label.isVisible() and "cannot tell until the token is decrypted" in label.text()
    view.clear()
    assert not label.isVisible()
