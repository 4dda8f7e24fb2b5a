"""What the applied scenario asks of a client, stated per WS-Trust binding as ADFS's MEX states it.

A scenario's policy (WS-SecurityPolicy 2005/07, as WSO2's files are, from the catalogue) is read
twice: once to tell which credential the client authenticates with (a user name, an X.509
certificate, ...), which names the bindings, and once per WS-Trust version to write the
binding's policy. ADFS writes its February 2005 bindings in the 2005/07 draft with ``Trust10``
and its WS-Trust 1.3 bindings in WS-SecurityPolicy 1.2 with ``Trust13``; clients (MSAL, ADAL,
Office, WCF) match those forms, so the 2005 binding states the policy as it is and the 1.3
binding states the same assertions in the 1.2 vocabulary.

Three things are made explicit on the way. A ``UsernameToken`` with no nested
policy means a WSS UsernameToken 1.0 (the only kind WSO2 and this STS accept), and MEX readers
look for ``WssUsernameToken10`` to recognise a user name binding. WS-SecurityPolicy 1.2 wants a
nested ``wsp:Policy`` in every token assertion where 2005/07 allowed none. And the 2005/07
schema wants an issued token's issuer in WS-Addressing 2004/08.
"""

from __future__ import annotations

import copy
from enum import StrEnum

from lxml import etree

from stsdesk.core import ns

__all__ = ["ClientCredential", "client_credential", "trust13_policy", "trust2005_policy"]

_SP05 = f"{{{ns.SP_2005}}}"
_SP12 = f"{{{ns.SP_12}}}"
_WSP_POLICY = f"{{{ns.WSP_2004}}}Policy"
_WSU_ID = f"{{{ns.WSU}}}Id"
# The token assertions of either version that carry a nested policy in 1.2.
_TOKENS = frozenset({
    "UsernameToken", "X509Token", "IssuedToken", "KerberosToken", "SpnegoContextToken",
    "SecurityContextToken", "SecureConversationToken", "SamlToken", "RelToken", "HttpsToken",
    "KeyValueToken",
})
# Trust10's assertions; all of them keep their names in Trust13.
_TRUST10_CHILDREN = frozenset({
    "MustSupportClientChallenge", "MustSupportServerChallenge", "RequireClientEntropy",
    "RequireServerEntropy", "MustSupportIssuedTokens",
})


class ClientCredential(StrEnum):
    """What a client authenticates with under a scenario; the value names ADFS-style bindings."""

    USERNAME = "UserName"
    CERTIFICATE = "Certificate"
    KERBEROS = "Kerberos"
    ISSUED_TOKEN = "IssuedToken"
    ANONYMOUS = "Anonymous"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _is_sp(element: etree._Element) -> bool:
    return etree.QName(element).namespace in (ns.SP_2005, ns.SP_12)


def client_credential(policy: etree._Element) -> ClientCredential:
    """The credential a client presents under ``policy`` (WS-SecurityPolicy 2005/07 or 1.2).

    Only the client's own tokens count: its initiator token and its supporting tokens, also
    inside a secure conversation's bootstrap policy; the service's recipient or protection
    X.509 token is the STS's key, not the client's. A Kerberos ticket is the client's wherever
    it stands. A user name outranks a certificate when a policy asks for both, and a
    certificate outranks an issued token it travels with (scenarios 33 and 34).
    """
    found: set[ClientCredential] = set()
    for element in policy.iter():
        if not isinstance(element.tag, str) or not _is_sp(element):
            continue
        local = _local(element)
        if local == "KerberosToken":
            found.add(ClientCredential.KERBEROS)
        elif local == "RequireClientCertificate" or (
                local == "HttpsToken" and element.get("RequireClientCertificate") == "true"):
            found.add(ClientCredential.CERTIFICATE)  # TLS client authentication
        elif local in ("UsernameToken", "X509Token", "IssuedToken") and _presented_by_client(
                element):
            found.add({
                "UsernameToken": ClientCredential.USERNAME,
                "X509Token": ClientCredential.CERTIFICATE,
                "IssuedToken": ClientCredential.ISSUED_TOKEN,
            }[local])
    for credential in ClientCredential:  # in order of precedence
        if credential in found:
            return credential
    return ClientCredential.ANONYMOUS


def _presented_by_client(token: etree._Element) -> bool:
    for ancestor in token.iterancestors():
        if not _is_sp(ancestor):
            continue
        local = _local(ancestor)
        if local == "InitiatorToken" or local.endswith("SupportingTokens"):
            return True
    return False


def trust2005_policy(policy: etree._Element, policy_id: str) -> etree._Element:
    """The scenario's policy as it is (WS-SecurityPolicy 2005/07) for a February 2005 binding.

    An issued token's ``sp:Issuer`` is an endpoint reference of WS-Addressing 2004/08 in the
    2005/07 schema; WSO2's files write its address in WS-Addressing 1.0, so it moves there.
    """
    result = copy.deepcopy(policy)
    result.set(_WSU_ID, policy_id)
    for token in list(result.iter(f"{_SP05}UsernameToken")):
        _nested_policy(token, f"{_SP05}WssUsernameToken10")
    for issuer in result.iter(f"{_SP05}Issuer"):
        for address in issuer.iterfind(f"{{{ns.WSA_2005}}}*"):
            address.tag = f"{{{ns.WSA_2004}}}{_local(address)}"
    return result


def trust13_policy(policy: etree._Element, policy_id: str) -> etree._Element:
    """The scenario's policy in WS-SecurityPolicy 1.2 for a WS-Trust 1.3 binding.

    Over a transport binding TLS signs and encrypts everything the message carries, so a signed
    supporting token is also an encrypted one; ADFS's ``usernamemixed`` 1.3 binding says
    ``SignedEncryptedSupportingTokens``, and that is the form MSAL and ADAL look for. An
    issued-token template's WS-Trust parameters move to WS-Trust 1.3, which the client then
    sends in its request.
    """
    transport = next(policy.iter(f"{_SP05}TransportBinding", f"{_SP12}TransportBinding"),
                     None) is not None
    nsmap = {"wsp": ns.WSP_2004, "wsu": ns.WSU, "sp": ns.SP_12, "wst": ns.WST_13}
    result = etree.Element(policy.tag, nsmap=nsmap)
    for name, value in policy.attrib.items():
        result.set(name, value)
    result.set(_WSU_ID, policy_id)
    _translate_children(policy, result, transport=transport)
    return result


def _nested_policy(token: etree._Element, default_assertion: str | None = None) -> None:
    """Give ``token`` a nested ``wsp:Policy`` (holding ``default_assertion``) if it has none."""
    if token.find(_WSP_POLICY) is not None:
        return
    nested = etree.SubElement(token, _WSP_POLICY)
    if default_assertion is not None:
        etree.SubElement(nested, default_assertion)


def _translate_children(source: etree._Element, target: etree._Element, *,
                        transport: bool) -> None:
    target.text = source.text
    for child in source:
        if not isinstance(child.tag, str):  # comments and processing instructions
            continue
        translated = _translate(child, transport=transport)
        translated.tail = child.tail
        target.append(translated)


def _translate(element: etree._Element, *, transport: bool) -> etree._Element:
    qname = etree.QName(element)
    if qname.namespace == ns.WST_2005:  # a RequestSecurityTokenTemplate's WS-Trust parameters
        result = etree.Element(f"{{{ns.WST_13}}}{qname.localname}")
        _translate_children(element, result, transport=transport)
        result.text = _trust13_uri(element.text)
        _copy_attributes(element, result)
        return result
    if qname.namespace != ns.SP_2005:
        result = etree.Element(element.tag)
        _translate_children(element, result, transport=transport)
        _copy_attributes(element, result)
        return result
    local = qname.localname
    if local == "Trust10":
        return _trust13(element)
    if local == "HttpsToken":
        return _https_token(element)
    if local == "SignedSupportingTokens" and transport:
        local = "SignedEncryptedSupportingTokens"  # TLS encrypts it, as ADFS's 1.3 binding says
    result = etree.Element(f"{_SP12}{local}")
    _translate_children(element, result, transport=transport)
    _copy_attributes(element, result)
    if local in _TOKENS:
        _nested_policy(result, f"{_SP12}WssUsernameToken10" if local == "UsernameToken" else None)
    return result


def _copy_attributes(source: etree._Element, target: etree._Element) -> None:
    for name, value in source.attrib.items():
        if name == f"{_SP05}IncludeToken":
            # The same five inclusion values, under the 1.2 namespace.
            inclusion = value.removeprefix(ns.SP_2005_INCLUDE_TOKEN)
            target.set(f"{_SP12}IncludeToken", ns.SP_12_INCLUDE_TOKEN + inclusion)
        else:
            target.set(name, value)


def _trust13_uri(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip()
    if value.startswith(f"{ns.WST_2005}/"):
        return ns.WST_13 + value.removeprefix(ns.WST_2005)
    return value


def _trust13(trust10: etree._Element) -> etree._Element:
    trust13 = etree.Element(f"{_SP12}Trust13")
    nested = etree.SubElement(trust13, _WSP_POLICY)
    for assertion in trust10.iterfind(f"{_WSP_POLICY}/*"):
        local = _local(assertion)
        if local in _TRUST10_CHILDREN:
            etree.SubElement(nested, f"{_SP12}{local}")
    return trust13


def _https_token(https: etree._Element) -> etree._Element:
    # 2005/07 states TLS client authentication as an attribute, 1.2 as a nested assertion.
    token = etree.Element(f"{_SP12}HttpsToken")
    nested = etree.SubElement(token, _WSP_POLICY)
    if https.get("RequireClientCertificate") == "true":
        etree.SubElement(nested, f"{_SP12}RequireClientCertificate")
    return token
