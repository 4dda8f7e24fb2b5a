"""What the applied scenario asks of a client, stated per WS-Trust binding as ADFS's MEX states it.

A scenario's policy (WS-SecurityPolicy 1.2, from the catalogue) is read twice: once to tell which
credential the client authenticates with (a user name, an X.509 certificate, ...), which names
the bindings, and once per WS-Trust version to write the binding's policy. ADFS writes its
WS-Trust 1.3 bindings in WS-SecurityPolicy 1.2 and its February 2005 bindings in the 2005/07
draft with ``Trust10``; clients (MSAL, ADAL, Office, WCF) match those forms, so the 2005 policy
is the scenario's assertions moved to the 2005/07 vocabulary.
"""

from __future__ import annotations

import copy
from enum import StrEnum

from lxml import etree

from stsdesk.core import ns

__all__ = ["ClientCredential", "client_credential", "trust13_policy", "trust2005_policy"]

_SP = f"{{{ns.SP_12}}}"
_SP05 = f"{{{ns.SP_2005}}}"
_WSU_ID = f"{{{ns.WSU}}}Id"
_INCLUDE_TOKEN = f"{_SP}IncludeToken"

# WS-SecurityPolicy 1.2 assertions the 2005/07 draft has no word for (the difference of the two
# schemas' element lists), apart from the three translated below.
_SP12_ONLY = frozenset({
    "AbsXPath", "Attachments", "ContentEncryptedElements", "EncryptedSupportingTokens",
    "EndorsingEncryptedSupportingTokens", "HashPassword", "HttpBasicAuthentication",
    "HttpDigestAuthentication", "InitiatorEncryptionToken", "InitiatorSignatureToken",
    "IssuerName", "KeyValueToken", "MustNotSendAmend", "MustNotSendCancel", "MustNotSendRenew",
    "NoPassword", "RecipientEncryptionToken", "RecipientSignatureToken", "RequiredParts",
    "RsaKeyValue", "SC13SecurityContextToken", "SignedEndorsingEncryptedSupportingTokens",
    "XPath10", "RequireExplicitDerivedKeys", "RequireImpliedDerivedKeys",
    "SignedEncryptedSupportingTokens",
})
# What Trust10 may hold; Trust13's RequireRequestSecurityTokenCollection (2005 has no
# collection) and RequireAppliesTo (a 1.3 addition) have no 2005/07 counterpart.
_TRUST10_CHILDREN = frozenset({
    "MustSupportClientChallenge", "MustSupportServerChallenge", "RequireClientEntropy",
    "RequireServerEntropy", "MustSupportIssuedTokens",
})
_INCLUSIONS_2005 = frozenset({"Never", "Once", "AlwaysToRecipient", "Always"})


class ClientCredential(StrEnum):
    """What a client authenticates with under a scenario; the value names ADFS-style bindings."""

    USERNAME = "UserName"
    CERTIFICATE = "Certificate"
    KERBEROS = "Kerberos"
    ISSUED_TOKEN = "IssuedToken"
    ANONYMOUS = "Anonymous"


def client_credential(policy: etree._Element) -> ClientCredential:
    """The credential a client presents under ``policy`` (a scenario's WS-SecurityPolicy 1.2).

    Only the client's own tokens count: its initiator token and its supporting tokens, also
    inside a secure conversation's bootstrap policy; the service's recipient or protection
    X.509 token is the STS's key, not the client's. A Kerberos ticket is the client's wherever
    it stands. A user name outranks a certificate when a policy asks for both.
    """
    found: set[ClientCredential] = set()
    for element in policy.iter(f"{_SP}UsernameToken", f"{_SP}X509Token", f"{_SP}IssuedToken",
                               f"{_SP}KerberosToken", f"{_SP}RequireClientCertificate"):
        local = etree.QName(element).localname
        if local == "KerberosToken":
            found.add(ClientCredential.KERBEROS)
        elif local == "RequireClientCertificate":  # TLS client authentication
            found.add(ClientCredential.CERTIFICATE)
        elif _presented_by_client(element):
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
        if etree.QName(ancestor).namespace != ns.SP_12:
            continue
        local = etree.QName(ancestor).localname
        if local == "InitiatorToken" or local.endswith("SupportingTokens"):
            return True
    return False


def trust13_policy(policy: etree._Element, policy_id: str) -> etree._Element:
    """The scenario's policy for a WS-Trust 1.3 binding, under the id ``policy_id``.

    Over a transport binding TLS signs and encrypts everything the message carries, so a signed
    supporting token is also an encrypted one; ADFS's ``usernamemixed`` 1.3 binding says
    ``SignedEncryptedSupportingTokens``, and that is the form MSAL and ADAL look for.
    """
    result = copy.deepcopy(policy)
    result.set(_WSU_ID, policy_id)
    if _has_transport_binding(result):
        for tokens in result.iter(f"{_SP}SignedSupportingTokens"):
            tokens.tag = f"{_SP}SignedEncryptedSupportingTokens"
    return result


def trust2005_policy(policy: etree._Element, policy_id: str) -> etree._Element | None:
    """The scenario's policy in WS-SecurityPolicy 2005/07 for a February 2005 binding.

    None when the scenario needs an assertion the 2005/07 draft cannot state (an encrypted
    supporting token inside a message-security binding, say): such a scenario is offered over
    WS-Trust 1.3 only, rather than described as something weaker than it is.
    """
    transport = _has_transport_binding(policy)
    nsmap = {"wsp": ns.WSP_2004, "wsu": ns.WSU, "sp": ns.SP_2005, "t": ns.WST_2005}
    result = etree.Element(policy.tag, nsmap=nsmap)
    try:
        _translate_children(policy, result, transport=transport)
    except _Untranslatable:
        return None
    for name, value in policy.attrib.items():
        result.set(name, value)
    result.set(_WSU_ID, policy_id)
    return result


class _Untranslatable(Exception):
    """An assertion with no WS-SecurityPolicy 2005/07 form."""


def _has_transport_binding(policy: etree._Element) -> bool:
    return next(policy.iter(f"{_SP}TransportBinding"), None) is not None


def _translate_children(source: etree._Element, target: etree._Element, *,
                        transport: bool) -> None:
    target.text = source.text
    for child in source:
        if not isinstance(child.tag, str):  # comments and processing instructions
            continue
        translated = _translate(child, transport=transport)
        if translated is not None:
            translated.tail = child.tail
            target.append(translated)


def _translate(element: etree._Element, *, transport: bool) -> etree._Element | None:
    qname = etree.QName(element)
    if qname.namespace == ns.WST_13:  # a RequestSecurityTokenTemplate's WS-Trust parameters
        result = etree.Element(f"{{{ns.WST_2005}}}{qname.localname}")
        _translate_children(element, result, transport=transport)
        result.text = _trust2005_uri(element.text)
        _copy_attributes(element, result)
        return result
    if qname.namespace != ns.SP_12:
        result = etree.Element(element.tag)
        _translate_children(element, result, transport=transport)
        _copy_attributes(element, result)
        return result
    local = qname.localname
    if local == "Trust13":
        return _trust10(element)
    if local == "HttpsToken":
        return _https_token(element)
    if local == "SignedEncryptedSupportingTokens" and transport:
        local = "SignedSupportingTokens"  # TLS encrypts it, as ADFS's 2005 binding relies on
    elif local in _SP12_ONLY:
        raise _Untranslatable(local)
    result = etree.Element(f"{_SP05}{local}")
    _translate_children(element, result, transport=transport)
    _copy_attributes(element, result)
    return result


def _copy_attributes(source: etree._Element, target: etree._Element) -> None:
    for name, value in source.attrib.items():
        if name == _INCLUDE_TOKEN:
            target.set(f"{_SP05}IncludeToken", _inclusion_2005(value))
        else:
            target.set(name, value)


def _inclusion_2005(value: str) -> str:
    inclusion = value.removeprefix(ns.SP_12_INCLUDE_TOKEN)
    if inclusion not in _INCLUSIONS_2005:  # AlwaysToInitiator is new in 1.2
        raise _Untranslatable(value)
    return ns.SP_2005_INCLUDE_TOKEN + inclusion


def _trust2005_uri(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip()
    if value.startswith(f"{ns.WST_13}/"):
        return ns.WST_2005 + value.removeprefix(ns.WST_13)
    return text


def _trust10(trust13: etree._Element) -> etree._Element:
    trust10 = etree.Element(f"{_SP05}Trust10")
    nested = etree.SubElement(trust10, f"{{{ns.WSP_2004}}}Policy")
    for assertion in trust13.iterfind(f"{{{ns.WSP_2004}}}Policy/*"):
        local = etree.QName(assertion).localname
        if local in _TRUST10_CHILDREN:
            etree.SubElement(nested, f"{_SP05}{local}")
    return trust10


def _https_token(https: etree._Element) -> etree._Element:
    # 2005/07 states TLS client authentication as an attribute, 1.2 as a nested assertion.
    nested = [etree.QName(a).localname for a in https.iterfind(f"{{{ns.WSP_2004}}}Policy/*")]
    if any(local != "RequireClientCertificate" for local in nested):
        raise _Untranslatable("HttpsToken with HTTP authentication")
    token = etree.Element(f"{_SP05}HttpsToken")
    token.set("RequireClientCertificate", "true" if nested else "false")
    return token
