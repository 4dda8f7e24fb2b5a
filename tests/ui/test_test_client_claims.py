"""The Test client shows the requested claims a token came back without, beside its attributes."""

from __future__ import annotations

from tests.ui.test_test_client import (  # noqa: F401 - parties is a pytest fixture
    RP_PLAIN,
    choose,
    click,
    fill_user,
    open_page,
    parties,
    request,
    set_audience,
    type_into,
)

USERNAME_CLAIM = "http://wso2.org/claims/username"
MOBILE_CLAIM = "http://wso2.org/claims/mobile"


def test_a_requested_claim_the_user_has_no_value_for_is_shown_as_not_issued(
    qtbot, window, parties  # noqa: F811
):
    page = open_page(qtbot, window)
    fill_user(qtbot, page)
    set_audience(qtbot, page, RP_PLAIN)
    for claim in (USERNAME_CLAIM, MOBILE_CLAIM):  # the admin has a username, no mobile number
        type_into(qtbot, page.form.other_claim, claim)
        click(qtbot, page, page.form.add_claim_button)
    choose(page.form.trust_version, "WS-Trust 2005")
    choose(page.form.soap_version, "SOAP 1.1")
    result = request(qtbot, page)
    assert result.ok, result.fault_reason
    view = page.result_view.token_view
    names = [view.attributes.index(row, 0).data() for row in range(view.attributes.rowCount())]
    assert any(name.endswith("username") for name in names) and not any(
        name.endswith("mobile") for name in names)
    view.tabs.setCurrentIndex(view.tabs.indexOf(view.not_issued.parentWidget()))
    label = view.fields["Requested but not issued"]
    assert label.isVisible()
    assert label.text().splitlines()[1:] == [MOBILE_CLAIM]
