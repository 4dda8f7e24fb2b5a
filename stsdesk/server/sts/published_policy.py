"""The policy the WSDL and MEX documents publish: the applied scenario's or the administrator's.

One function for both documents, so that they and the engine (``message_security``) read the
same policy: a catalogue scenario with the chosen algorithm suite and this STS as the issuer of
the tokens it asks for, or an administrator's own document as it was applied.
"""

from __future__ import annotations

from lxml import etree

from stsdesk.core.own_policy import OWN_POLICY_ID, own_policy_element
from stsdesk.core.scenarios import applied_policy, find_scenario
from stsdesk.server.model import SecurityPolicy

__all__ = ["published_policy"]


def published_policy(security: SecurityPolicy, *,
                     issuer_address: str | None = None) -> etree._Element | None:
    """A fresh copy of the applied ``wsp:Policy``; None while security is disabled."""
    if not security.enabled:
        return None
    if security.scenario_id == OWN_POLICY_ID:
        if security.policy_document is None:
            return None
        return own_policy_element(security.policy_document)
    if find_scenario(security.scenario_id) is None:
        return None
    return applied_policy(security.scenario_id, security.algorithm_suite,
                          issuer_address=issuer_address)
