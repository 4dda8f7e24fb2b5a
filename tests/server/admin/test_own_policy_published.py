"""What the WSDL and MEX publish of an administrator's own policy: the policy, never notes the
administrator left in the document (a commented-out Rampart configuration holds passwords)."""

from __future__ import annotations

from lxml import etree

from stsdesk.server.sts.mex import mex_bindings
from stsdesk.server.sts.wsdl import render_wsdl
from tests.server.admin.test_own_policy import ADDRESS, SIGN_ENCRYPT, apply_own

SECRET = "keystore-pa55word-never-published"
NOTE = (f"<!-- <ramp:RampartConfig><ramp:password>{SECRET}</ramp:password></ramp:RampartConfig>"
        " -->")


def test_comments_and_processing_instructions_in_the_policy_are_not_published(
    api, bootstrapped
):
    document = SIGN_ENCRYPT.replace("<p:All>", f"<p:All>{NOTE}<?rampart {SECRET}?>", 1)
    assert SECRET in document
    assert apply_own(api, document).status_code == 200
    security = bootstrapped.store.config.get_security_policy()
    assert SECRET not in render_wsdl(ADDRESS, security).decode("utf-8")
    for binding in mex_bindings(security, issuer_address=ADDRESS):
        assert SECRET.encode() not in etree.tostring(binding.policy)
    # The document the administrator applied is kept as written.
    read = api.get("/api/server/v1/sts/security").json()
    assert SECRET in read["policy"]
