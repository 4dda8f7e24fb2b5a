"""The resident IdP's edits and the stsdesk backend's JSON patch, against the server's logic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsdesk.server.admin.configs import Patch, apply_patches
from stsdesk.server.model import ResidentIdentityProvider
from stsdesk.services.admin.models import ResidentIdp
from stsdesk.services.admin.resident import ChangedField, resident_idp_changes
from stsdesk.services.admin.stsdesk_backend import StsdeskAdminApi
from stsdesk.services.admin.wso2_json import resident_idp_patch
from stsdesk.services.errors import ServiceError

MINUTES_PER_WEEK = 7 * 24 * 60


# -- the JSON-patch list, checked against the server's own patch logic -------------------------

_identifiers = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]), unique=True,
                        max_size=6)


@settings(max_examples=300, deadline=None)
@given(old=_identifiers, new=_identifiers)
def test_the_patch_turns_any_list_into_any_other(old, new):
    before = ResidentIdp(tuple(old), 15, 20160, "localhost")
    after = ResidentIdp(tuple(new), 15, 20160, "localhost")
    operations = resident_idp_patch(before, after)
    idp = ResidentIdentityProvider(home_realm_identifiers=tuple(old))
    if not operations:
        assert old == new
        return
    result = apply_patches(idp, [Patch(**op) for op in operations])
    assert list(result.home_realm_identifiers) == new


def test_the_patch_uses_replace_for_an_edit_and_nothing_for_no_change():
    before = ResidentIdp(("a", "b"), 15, 20160, "x")
    assert resident_idp_patch(before, before) == []
    after = ResidentIdp(("a", "z"), 15, 3 * MINUTES_PER_WEEK, "x")
    assert resident_idp_patch(before, after) == [
        {"operation": "REPLACE", "path": "/homeRealmIdentifiers/1", "value": "z"},
        {"operation": "REPLACE", "path": "/rememberMePeriod", "value": "30240"},
    ]


def test_a_server_without_the_issuer_setting_gets_no_issuer_operation():
    wso2 = _from_json({"homeRealmIdentifiers": ["localhost"],
                                          "idleSessionTimeoutPeriod": "15",
                                          "rememberMePeriod": "20160"})
    assert wso2.issuer is None
    changed = ResidentIdp(("localhost",), 30, 20160, None)
    assert resident_idp_patch(wso2, changed) == [
        {"operation": "REPLACE", "path": "/idleSessionTimeoutPeriod", "value": "30"}]
    with pytest.raises(ServiceError, match="expected format"):
        _from_json({"homeRealmIdentifiers": []})


def test_changes_name_fields_not_wire_paths():
    before = ResidentIdp(("a",), 15, 20160, "x")
    changes = resident_idp_changes(before, ResidentIdp(("a", "b"), 16, 20160, "y"))
    assert [c.field for c in changes] == [ChangedField.HOME_REALM,
                                          ChangedField.IDLE_SESSION_TIMEOUT, ChangedField.ISSUER]
    assert (changes[0].index, changes[0].value) == (1, "b")


class _Answers:
    def __init__(self, body: object) -> None:
        self.body = body

    def get(self, path: str, **params: object) -> object:
        return self.body


def _from_json(body: object) -> ResidentIdp:
    return StsdeskAdminApi(_Answers(body)).get_resident_idp()  # type: ignore[arg-type]
