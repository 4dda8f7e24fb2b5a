"""A WS-SecurityPolicy document read into a model: binding, tokens, suite, parts, options.

Both namespaces are read: the 2005/07 one WSO2's scenario files (and Rampart clients) use and
WS-SecurityPolicy 1.2. Only the first policy alternative counts, as with WSO2's files, which
each have one; nested ``wsp:Policy`` and ``wsp:All`` wrappers are looked through.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.wssec.algorithms import ALGORITHM_SUITES, AlgorithmSuite
from stsdesk.core.xmlparse import parse_xml

__all__ = [
    "Binding", "Inclusion", "TokenKind", "Layout", "TokenAssertion", "Parts",
    "SupportingTokens", "PolicyModel", "read_policy",
]

_SP_NAMESPACES = (ns.SP_2005, ns.SP_12)
_WSP_NAMESPACES = (ns.WSP_2004, ns.WSP_W3C, ns.WSP_2006)


class Binding(StrEnum):
    NONE = "none"
    TRANSPORT = "transport"
    ASYMMETRIC = "asymmetric"
    SYMMETRIC = "symmetric"


class Inclusion(StrEnum):
    NEVER = "Never"
    ONCE = "Once"
    ALWAYS_TO_RECIPIENT = "AlwaysToRecipient"
    ALWAYS_TO_INITIATOR = "AlwaysToInitiator"
    ALWAYS = "Always"

    @property
    def sent_by_initiator(self) -> bool:
        return self in (Inclusion.ALWAYS_TO_RECIPIENT, Inclusion.ALWAYS, Inclusion.ONCE)


class TokenKind(StrEnum):
    X509 = "X509Token"
    USERNAME = "UsernameToken"
    ISSUED = "IssuedToken"
    SAML = "SamlToken"
    HTTPS = "HttpsToken"
    KERBEROS = "KerberosToken"
    SECURE_CONVERSATION = "SecureConversationToken"
    OTHER = "other"


class Layout(StrEnum):
    STRICT = "Strict"
    LAX = "Lax"
    LAX_TIMESTAMP_FIRST = "LaxTsFirst"
    LAX_TIMESTAMP_LAST = "LaxTsLast"


@dataclass(frozen=True)
class TokenAssertion:
    """A token assertion: its kind, when it is included, and how it may be referenced."""

    kind: TokenKind
    inclusion: Inclusion = Inclusion.ALWAYS
    options: frozenset[str] = frozenset()  # local names inside its wsp:Policy
    token_type: str | None = None  # an IssuedToken's RequestSecurityTokenTemplate TokenType
    issuer: str | None = None  # an IssuedToken's sp:Issuer address
    # A SecureConversationToken's sp:BootstrapPolicy: what securing the RST/SCT requires.
    bootstrap: PolicyModel | None = None

    @property
    def require_derived_keys(self) -> bool:
        return "RequireDerivedKeys" in self.options

    @property
    def password_required(self) -> bool:
        return "NoPassword" not in self.options


@dataclass(frozen=True)
class Parts:
    """SignedParts or EncryptedParts: the Body, and headers by (local name or None, namespace)."""

    body: bool = False
    headers: tuple[tuple[str | None, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.body and not self.headers


@dataclass(frozen=True)
class SupportingTokens:
    """Supporting tokens by protection: signed, encrypted, endorsing (local names as in SP)."""

    signed: bool
    encrypted: bool
    endorsing: bool
    tokens: tuple[TokenAssertion, ...]


@dataclass(frozen=True)
class PolicyModel:
    """What a security policy requires of a message and of the answer."""

    policy_id: str | None
    namespace: str
    binding: Binding
    algorithm_suite: AlgorithmSuite | None = None
    layout: Layout = Layout.LAX
    include_timestamp: bool = False
    encrypt_signature: bool = False
    encrypt_before_signing: bool = False
    only_sign_entire_headers_and_body: bool = False
    initiator_token: TokenAssertion | None = None
    recipient_token: TokenAssertion | None = None
    protection_token: TokenAssertion | None = None
    transport_token: TokenAssertion | None = None
    signed_parts: Parts = Parts()
    encrypted_parts: Parts = Parts()
    supporting: tuple[SupportingTokens, ...] = ()
    wss11: bool = False
    signature_confirmation: bool = False
    options: frozenset[str] = field(default_factory=frozenset)  # Wss10/Wss11/Trust options

    def supporting_of(self, kind: TokenKind) -> tuple[SupportingTokens, TokenAssertion] | None:
        """The first supporting token of ``kind`` and the group (signed, encrypted...) it is in."""
        for group in self.supporting:
            for token in group.tokens:
                if token.kind is kind:
                    return group, token
        return None


def read_policy(document: bytes) -> PolicyModel:
    """The model of a ``wsp:Policy`` document; InvalidRequestError if it is not one we can read."""
    root = parse_xml(document)
    if etree.QName(root).localname != "Policy" or etree.QName(root).namespace not in (
        _WSP_NAMESPACES
    ):
        raise InvalidRequestError("The security policy document is not a wsp:Policy.")
    return _model(root)


def _model(root: etree._Element) -> PolicyModel:
    """The model of a ``wsp:Policy`` element (a document's root or a nested bootstrap one)."""
    assertions = list(_assertions(root))
    namespaces = {etree.QName(a).namespace for a in assertions} & set(_SP_NAMESPACES)
    if len(namespaces) > 1:
        raise InvalidRequestError(
            "The security policy mixes WS-SecurityPolicy 2005/07 and 1.2 assertions; use one."
        )
    namespace = namespaces.pop() if namespaces else ns.SP_2005
    fields: dict[str, object] = {}
    supporting: list[SupportingTokens] = []
    options: set[str] = set()
    binding = Binding.NONE
    for assertion in assertions:
        name = etree.QName(assertion).localname
        if etree.QName(assertion).namespace != namespace:
            continue
        if name in ("TransportBinding", "AsymmetricBinding", "SymmetricBinding"):
            binding = {"TransportBinding": Binding.TRANSPORT,
                       "AsymmetricBinding": Binding.ASYMMETRIC,
                       "SymmetricBinding": Binding.SYMMETRIC}[name]
            fields.update(_binding(assertion, namespace))
        elif name in ("SignedParts", "EncryptedParts"):
            # Every assertion of the alternative holds: a second SignedParts adds its parts
            # to the first one's, it does not replace them.
            key = "signed_parts" if name == "SignedParts" else "encrypted_parts"
            earlier = fields.get(key, Parts())
            assert isinstance(earlier, Parts)
            fields[key] = _parts(assertion, namespace, earlier)
        elif name.endswith("SupportingTokens"):
            supporting.append(_supporting(assertion, name, namespace))
        elif name in ("Wss10", "Wss11", "Trust10", "Trust13"):
            inner = {etree.QName(o).localname for o in _assertions(assertion)}
            options |= inner
            if name == "Wss11":
                fields["wss11"] = True
                fields["signature_confirmation"] = "RequireSignatureConfirmation" in inner
    _one_group_per_token_kind(supporting)
    return PolicyModel(
        policy_id=root.get(f"{{{ns.WSU}}}Id"),
        namespace=namespace,
        binding=binding,
        supporting=tuple(supporting),
        options=frozenset(options),
        **fields,  # type: ignore[arg-type]
    )


def _assertions(element: etree._Element) -> Iterator[etree._Element]:
    """The assertions inside ``element``, looking through policy operators (first alternative)."""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        if qname.namespace in _WSP_NAMESPACES:
            if qname.localname in ("Policy", "All"):
                yield from _assertions(child)
            elif qname.localname == "ExactlyOne":
                first = next((c for c in child if isinstance(c.tag, str)), None)
                if first is not None:
                    yield from _assertions(first) if etree.QName(first).localname in (
                        "All", "Policy") else iter((first,))
            continue
        yield child


def _binding(element: etree._Element, namespace: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for assertion in _assertions(element):
        if etree.QName(assertion).namespace != namespace:
            continue
        name = etree.QName(assertion).localname
        if name in ("InitiatorToken", "RecipientToken", "ProtectionToken", "TransportToken",
                    "InitiatorSignatureToken", "RecipientSignatureToken"):
            token = next((_token(t, namespace) for t in _assertions(assertion)), None)
            key = {"InitiatorSignatureToken": "initiator_token",
                   "RecipientSignatureToken": "recipient_token"}.get(
                name, f"{name[:-5].lower()}_token")
            out[key] = token
        elif name == "AlgorithmSuite":
            for suite in _assertions(assertion):
                suite_name = etree.QName(suite).localname
                found = ALGORITHM_SUITES.get(suite_name)
                if found is None:
                    raise InvalidRequestError(
                        f"The security policy names the algorithm suite {suite_name!r}, which "
                        f"this STS does not know; use one of {', '.join(ALGORITHM_SUITES)}."
                    )
                out["algorithm_suite"] = found
        elif name == "Layout":
            for layout in _assertions(assertion):
                out["layout"] = Layout(etree.QName(layout).localname)
        elif name == "IncludeTimestamp":
            out["include_timestamp"] = True
        elif name in ("EncryptSignature", "EncryptBeforeSigning", "OnlySignEntireHeadersAndBody"):
            snake = {"EncryptSignature": "encrypt_signature",
                     "EncryptBeforeSigning": "encrypt_before_signing",
                     "OnlySignEntireHeadersAndBody": "only_sign_entire_headers_and_body"}[name]
            out[snake] = True
    return out


def _token(element: etree._Element, namespace: str) -> TokenAssertion:
    local = etree.QName(element).localname
    kind = next((k for k in TokenKind if k.value == local), TokenKind.OTHER)
    include = element.get(f"{{{namespace}}}IncludeToken") or ""
    inclusion = Inclusion.ALWAYS
    if include:
        tail = include.rsplit("/", 1)[-1]
        try:
            inclusion = Inclusion(tail)
        except ValueError as exc:
            raise InvalidRequestError(
                f"The security policy's IncludeToken {include!r} is not known."
            ) from exc
    options = frozenset(
        etree.QName(o).localname for o in _assertions(element)
        if etree.QName(o).namespace == namespace
    )
    token_type = issuer = None
    for child in element:
        if not isinstance(child.tag, str):
            continue
        child_name = etree.QName(child).localname
        if child_name == "RequestSecurityTokenTemplate":
            for part in child:
                if isinstance(part.tag, str) and etree.QName(part).localname == "TokenType":
                    token_type = (part.text or "").strip() or None
        elif child_name == "Issuer":
            issuer = " ".join("".join(child.itertext()).split()) or None
    bootstrap = None
    if kind is TokenKind.SECURE_CONVERSATION:
        nested = next((a for a in _assertions(element) if etree.QName(a).localname == (
            "BootstrapPolicy") and etree.QName(a).namespace == namespace), None)
        policy = None if nested is None else next(
            (c for c in nested if isinstance(c.tag, str) and etree.QName(c).localname == "Policy"
             and etree.QName(c).namespace in _WSP_NAMESPACES), None)
        if policy is not None:
            bootstrap = _model(policy)
    return TokenAssertion(kind, inclusion, options, token_type, issuer, bootstrap)


def _parts(element: etree._Element, namespace: str, earlier: Parts) -> Parts:
    """``earlier`` with the parts ``element`` names added (read through nested operators, as
    the own-policy check reads them)."""
    body = earlier.body
    headers: list[tuple[str | None, str]] = list(earlier.headers)
    for child in _assertions(element):
        if etree.QName(child).namespace != namespace:
            continue
        name = etree.QName(child).localname
        if name == "Body":
            body = True
        elif name == "Header":
            headers.append((child.get("Name") or None, child.get("Namespace") or ""))
    return Parts(body, tuple(headers))


def _one_group_per_token_kind(groups: list[SupportingTokens]) -> None:
    """The engine reads one token of each kind and holds it to the protection of the first
    group naming that kind (``PolicyModel.supporting_of``): a kind in two groups would have the
    second group's protection silently ignored, so such a policy is refused."""
    seen: set[TokenKind] = set()
    for group in groups:
        for token in group.tokens:
            if token.kind in seen:
                raise InvalidRequestError(
                    f"The security policy asks for more than one {token.kind.value} as "
                    "supporting tokens; the engine checks one token of each kind, so name it "
                    "in one supporting-tokens assertion with the protection it needs."
                )
            seen.add(token.kind)


def _supporting(element: etree._Element, name: str, namespace: str) -> SupportingTokens:
    tokens = tuple(
        _token(t, namespace) for t in _assertions(element)
        if etree.QName(t).namespace == namespace
        and etree.QName(t).localname in {k.value for k in TokenKind}
    )
    return SupportingTokens(
        signed="Signed" in name,
        encrypted="Encrypted" in name,
        endorsing="Endorsing" in name,
        tokens=tokens,
    )
