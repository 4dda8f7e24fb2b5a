"""An administrator's own WS-SecurityPolicy: WSO2's "Security Policy is in Registry" choice.

Applied in place of a catalogue scenario under the id WSO2's console sends for it
(``policyFromRegistry``). The document is kept as the administrator wrote it; what the engine
enforces is read from it (``wssec.policy.read_policy``), and it is published as it is, with a
``wsu:Id`` added when it has none so that the WSDL's bindings can reference it.
"""

from __future__ import annotations

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.xmlparse import parse_xml

__all__ = ["OWN_POLICY_ID", "OWN_POLICY_WSU_ID", "MAX_POLICY_BYTES", "MAX_NAME_LENGTH",
           "own_policy_element", "checked_name"]

# WSO2's console sends this scenario id with a registry path for a policy of one's own.
OWN_POLICY_ID = "policyFromRegistry"
# The wsu:Id a published policy gets when its document has none.
OWN_POLICY_WSU_ID = "OwnSecurityPolicy"
# A policy document is a few kilobytes; anything far larger is not a policy someone wrote.
MAX_POLICY_BYTES = 256 * 1024
MAX_NAME_LENGTH = 128


def own_policy_element(document: str) -> etree._Element:
    """A fresh copy of the applied document's ``wsp:Policy`` as it is published: carrying a
    ``wsu:Id``, and without Rampart's own configuration, which is the service's business (its
    keystore settings may hold passwords) and which the engine ignores anyway."""
    policy = parse_xml(document.encode("utf-8"))
    # Notes the administrator left in the document are not the policy: a commented-out
    # RampartConfig would publish its passwords.
    for note in list(policy.iter(etree.Comment, etree.ProcessingInstruction)):
        parent = note.getparent()
        if parent is not None:
            _remove_keeping_tail(note, parent)
    for rampart in list(policy.iter(f"{{{ns.RAMPART_POLICY}}}*")):
        parent = rampart.getparent()
        if parent is not None and etree.QName(parent).namespace != ns.RAMPART_POLICY:
            parent.remove(rampart)
    if policy.get(f"{{{ns.WSU}}}Id") is None:
        if policy.get("Id"):  # WS-Policy 1.5 also allows an unqualified Id
            policy.set(f"{{{ns.WSU}}}Id", policy.get("Id") or OWN_POLICY_WSU_ID)
        else:
            policy.set(f"{{{ns.WSU}}}Id", OWN_POLICY_WSU_ID)
    return policy


def _remove_keeping_tail(node: etree._Element, parent: etree._Element) -> None:
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def checked_name(name: str) -> str:
    """The policy's display name, trimmed; InvalidRequestError when empty or too long."""
    trimmed = " ".join(name.split())
    if not trimmed:
        raise InvalidRequestError("Give the security policy a name (for example the file name).")
    if len(trimmed) > MAX_NAME_LENGTH:
        raise InvalidRequestError(
            f"The security policy's name is longer than {MAX_NAME_LENGTH} characters; shorten it."
        )
    return trimmed
