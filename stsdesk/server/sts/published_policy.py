"""The policy the WSDL and MEX documents publish: the applied scenario's or the administrator's.

One function for both documents, so that they and the engine (``message_security``) read the
same policy: a catalogue scenario with the chosen algorithm suite and this STS as the issuer of
the tokens it asks for, or an administrator's own document as it was applied.
"""

from __future__ import annotations

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.own_policy import OWN_POLICY_ID, own_policy_element
from stsdesk.core.scenarios import applied_policy, find_scenario
from stsdesk.server.model import SecurityPolicy

__all__ = ["published_policy", "mex_source"]

_OTHER_WSP = (ns.WSP_W3C, ns.WSP_2006)
# WS-SecurityPolicy 1.2 assertions whose 2005/07 names differ.
_SP12_TO_2005 = {"Trust13": "Trust10"}


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


def mex_source(policy: etree._Element) -> etree._Element:
    """``policy`` in the form the metadata statements are made from (``mex_policy``): WSO2's,
    that is WS-Policy 2004/09, its one alternative in ``wsp:ExactlyOne/wsp:All``, and
    WS-SecurityPolicy 2005/07. An own policy may be written in WS-Policy 1.5, without the
    wrapper, or in WS-SecurityPolicy 1.2; ADFS-style clients (MSAL) read only the first form."""
    https_tokens = []
    for element in policy.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace in _OTHER_WSP:
            element.tag = f"{{{ns.WSP_2004}}}{qname.localname}"
        elif qname.namespace == ns.SP_12:
            element.tag = f"{{{ns.SP_2005}}}{_SP12_TO_2005.get(qname.localname, qname.localname)}"
            if qname.localname == "HttpsToken":
                https_tokens.append(element)
        for name in list(element.attrib):
            attribute = etree.QName(name)
            value = element.attrib.pop(name)
            if attribute.namespace in _OTHER_WSP:  # wsp:Optional, wsp:Ignorable, wsp:Name...
                element.set(f"{{{ns.WSP_2004}}}{attribute.localname}", value)
            elif attribute.namespace == ns.SP_12:  # sp:IncludeToken and its URI
                element.set(f"{{{ns.SP_2005}}}{attribute.localname}", value.replace(
                    ns.SP_12_INCLUDE_TOKEN, ns.SP_2005_INCLUDE_TOKEN))
            else:
                element.set(name, value)
    for https in https_tokens:
        # 1.2 states TLS client authentication by a nested policy, 2005/07 by an attribute
        # (policy_support refuses it being required, so it is false here).
        for nested in list(https):
            https.remove(nested)
        https.set("RequireClientCertificate", "false")
    etree.cleanup_namespaces(policy)
    _one_alternative(policy)
    return policy


def _one_alternative(policy: etree._Element) -> None:
    children = [c for c in policy if isinstance(c.tag, str)]
    if len(children) == 1 and children[0].tag == f"{{{ns.WSP_2004}}}ExactlyOne":
        return
    exactly_one = etree.SubElement(policy, f"{{{ns.WSP_2004}}}ExactlyOne")
    if len(children) == 1 and children[0].tag == f"{{{ns.WSP_2004}}}All":
        exactly_one.append(children[0])
        return
    alternative = etree.SubElement(exactly_one, f"{{{ns.WSP_2004}}}All")
    alternative.extend(children)
