"""Whether the message-security engine can enforce an administrator's own WS-SecurityPolicy.

A policy document is walked assertion by assertion against what the engine enforces (the
assertions of the built-in scenarios it enforces, in the places they stand there, and the few
variants the engine reads the same way: the other reference forms, derived keys, encrypted
signatures, signed headers, the other RSA-OAEP algorithm suites). Every assertion outside that
is named, by its qualified name and where it stands, with the reason; a policy is accepted only
when nothing is named. Then the combination is checked: one binding, the tokens it needs, and
for the transport binding a UsernameToken and a Timestamp (what the engine asks over HTTPS).

Sessions and tickets, as scenarios 9-15 and 20 use them: a symmetric binding's protection token
may be an ``sp:SecureConversationToken`` (its ``sp:BootstrapPolicy`` is checked as a policy of
its own, and must itself be a message binding without a session or ticket in it) or an
``sp:KerberosToken`` (only where the server can accept tickets: ``check_policy`` is told why
not otherwise, and refuses the token with that, which says what to install).

Policy operators: nested ``wsp:Policy`` and ``wsp:All`` are looked through; ``wsp:ExactlyOne``
is accepted with one alternative only (the engine enforces one set of requirements, not a
choice); ``wsp:Optional``/``wsp:Ignorable`` set to true and ``wsp:PolicyReference`` are refused
(an optional assertion is a second alternative; a reference would be a policy from elsewhere).
Rampart's own ``ramp:RampartConfig`` is ignored with a note: it configures Rampart's keystores,
which here are the ones chosen when the policy is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.wssec.algorithms import ALGORITHM_SUITES, Algorithm
from stsdesk.core.wssec.policy import Binding, PolicyModel, TokenKind, read_policy
from stsdesk.core.xmlparse import parse_xml

__all__ = ["Unenforceable", "PolicyVerdict", "check_policy", "ENFORCEABLE_SUITES",
           "RAMPART_POLICY", "KERBEROS_NOT_CHECKED"]

RAMPART_POLICY = ns.RAMPART_POLICY
_WSP_NAMESPACES = (ns.WSP_2004, ns.WSP_W3C, ns.WSP_2006)
_SP_NAMESPACES = (ns.SP_2005, ns.SP_12)
_TRUST_NAMESPACES = (ns.WST_2005, ns.WST_13)
# The token types the engine authenticates an issued token as (server.sts.saml_tokens).
_SAML_TOKEN_TYPES = frozenset({ns.TOKEN_SAML20, ns.TOKEN_SAML20_URN, ns.TOKEN_SAML11,
                               ns.TOKEN_SAML10_URN})

# What a KerberosToken is refused with when the caller did not say whether the server can
# accept tickets (core cannot know: that is python-gssapi and MIT Kerberos on the server).
KERBEROS_NOT_CHECKED = ("Kerberos tokens are enforced only on a server with MIT Kerberos and "
                        "python-gssapi installed (the kerberos extra).")

# Suites whose key transport is RSA-OAEP: the engine refuses RSA 1.5 (a padding oracle).
ENFORCEABLE_SUITES = tuple(
    name for name, suite in ALGORITHM_SUITES.items()
    if suite.asymmetric_key_wrap == Algorithm.RSA_OAEP_MGF1P
)

# What may stand inside each assertion (local names of the document's WS-SecurityPolicy
# namespace). A name missing here is refused wherever it stands.
_TOP = frozenset({
    "TransportBinding", "AsymmetricBinding", "SymmetricBinding", "SignedParts", "EncryptedParts",
    "SupportingTokens", "SignedSupportingTokens", "EncryptedSupportingTokens",
    "SignedEncryptedSupportingTokens", "Wss10", "Wss11", "Trust10", "Trust13",
})
_BINDING_COMMON = frozenset({"AlgorithmSuite", "Layout", "IncludeTimestamp"})
_CHILDREN: dict[str, frozenset[str]] = {
    "TransportBinding": _BINDING_COMMON | {"TransportToken"},
    "AsymmetricBinding": _BINDING_COMMON | {
        "InitiatorToken", "RecipientToken", "EncryptSignature", "OnlySignEntireHeadersAndBody"},
    "SymmetricBinding": _BINDING_COMMON | {
        "ProtectionToken", "EncryptSignature", "OnlySignEntireHeadersAndBody"},
    "TransportToken": frozenset({"HttpsToken"}),
    "InitiatorToken": frozenset({"X509Token", "IssuedToken"}),
    "RecipientToken": frozenset({"X509Token"}),
    "ProtectionToken": frozenset({"X509Token", "SecureConversationToken", "KerberosToken"}),
    "Layout": frozenset({"Strict", "Lax"}),
    "AlgorithmSuite": frozenset(ENFORCEABLE_SUITES),
    "SignedParts": frozenset({"Body", "Header"}),
    "EncryptedParts": frozenset({"Body"}),
    "Wss10": frozenset({"MustSupportRefKeyIdentifier", "MustSupportRefIssuerSerial"}),
    "Wss11": frozenset({
        "MustSupportRefKeyIdentifier", "MustSupportRefIssuerSerial", "MustSupportRefThumbprint",
        "MustSupportRefEncryptedKey", "RequireSignatureConfirmation"}),
    "Trust10": frozenset({"MustSupportIssuedTokens", "RequireClientEntropy",
                          "RequireServerEntropy"}),
    "Trust13": frozenset({"MustSupportIssuedTokens", "RequireClientEntropy",
                          "RequireServerEntropy"}),
    "SupportingTokens": frozenset({"UsernameToken", "IssuedToken"}),
    "SignedSupportingTokens": frozenset({"UsernameToken", "IssuedToken"}),
    "EncryptedSupportingTokens": frozenset({"UsernameToken"}),
    "SignedEncryptedSupportingTokens": frozenset({"UsernameToken"}),
    "X509Token": frozenset({
        "RequireThumbprintReference", "RequireKeyIdentifierReference",
        "RequireIssuerSerialReference", "WssX509V3Token10", "WssX509V3Token11",
        "RequireDerivedKeys"}),
    "UsernameToken": frozenset({"WssUsernameToken10", "WssUsernameToken11"}),
    "IssuedToken": frozenset({"RequireInternalReference"}),
    "HttpsToken": frozenset(),
    # The context's key may be required derived (wsc:DerivedKeyToken); the context is a WS-SC
    # 2005/02 one, which SP 2005/07 names SC10SecurityContextToken.
    "SecureConversationToken": frozenset({"BootstrapPolicy", "RequireDerivedKeys",
                                          "SC10SecurityContextToken"}),
    # Both AP-REQ token types are accepted (core.wssec.kerberos.KERBEROS_TOKEN_TYPES).
    "KerberosToken": frozenset({"WssKerberosV5ApReqToken11", "WssGssKerberosV5ApReqToken11"}),
}
# Assertions that take no nested policy of their own: anything inside them is refused.
_LEAVES = frozenset({
    "IncludeTimestamp", "EncryptSignature", "OnlySignEntireHeadersAndBody", "Strict", "Lax",
    "Body", "Header", *ENFORCEABLE_SUITES,
}) | frozenset().union(*(_CHILDREN[k] for k in (
    "Wss10", "Wss11", "Trust10", "Trust13", "KerberosToken"))) | {"SC10SecurityContextToken"}
_TOKENS = frozenset({"X509Token", "UsernameToken", "IssuedToken", "HttpsToken",
                     "SecureConversationToken", "KerberosToken"})

# Why a known assertion is refused where it stands (the general reason otherwise).
_REASONS = {
    "KerberosToken": "a Kerberos ticket is accepted only as a symmetric binding's protection "
                     "token (as in scenario 20).",
    "SpnegoContextToken": "SPNEGO negotiation (WS-Trust TLSNego/SPNEGO) is not supported.",
    "SecureConversationToken": "a security context is accepted only as a symmetric binding's "
                               "protection token (as in scenarios 9-15).",
    "SecurityContextToken": "security context tokens are accepted only as a "
                            "sp:SecureConversationToken protecting a symmetric binding.",
    "SC13SecurityContextToken": "this STS issues WS-SecureConversation 2005/02 contexts (the "
                                "version Rampart speaks), not WS-SecureConversation 1.3 ones.",
    "RequireExternalUriReference": "the engine accepts a context referenced either way; it "
                                   "does not require references by URI.",
    "MustNotSendCancel": "the engine lets a context's holder cancel, renew and amend it.",
    "MustNotSendAmend": "the engine lets a context's holder cancel, renew and amend it.",
    "MustNotSendRenew": "the engine lets a context's holder cancel, renew and amend it.",
    "BootstrapPolicy": "a bootstrap policy belongs inside a sp:SecureConversationToken.",
    "SamlToken": "sp:SamlToken is not supported; ask for a SAML token with sp:IssuedToken.",
    "RelToken": "REL tokens are not supported.",
    "KeyValueToken": "key value tokens are not supported.",
    "EncryptBeforeSigning": "the engine signs before it encrypts (its answers could not follow "
                            "EncryptBeforeSigning).",
    "ProtectTokens": "the engine does not check that the signature covers the signing token.",
    "EndorsingSupportingTokens": "endorsing supporting tokens are not verified by the engine.",
    "SignedEndorsingSupportingTokens": "endorsing supporting tokens are not verified by the "
                                       "engine.",
    "EndorsingEncryptedSupportingTokens": "endorsing supporting tokens are not verified by the "
                                          "engine.",
    "SignedEndorsingEncryptedSupportingTokens": "endorsing supporting tokens are not verified "
                                                "by the engine.",
    "SignedElements": "signed elements chosen by XPath are not checked; sign the Body or whole "
                      "headers (sp:SignedParts).",
    "EncryptedElements": "encrypted elements chosen by XPath are not checked; encrypt the Body "
                         "(sp:EncryptedParts).",
    "ContentEncryptedElements": "encrypted elements chosen by XPath are not checked.",
    "RequiredElements": "required header elements are not checked.",
    "RequiredParts": "required header parts are not checked.",
    "LaxTsFirst": "the Timestamp's place in the header is not checked; use sp:Lax or sp:Strict.",
    "LaxTsLast": "the Timestamp's place in the header is not checked; use sp:Lax or sp:Strict.",
    "RequireDerivedKeys": "derived keys are supported only from a symmetric binding's X.509 "
                          "or security context protection token.",
    "HashPassword": "a PasswordDigest UsernameToken cannot be required by the policy; an "
                    "administrator allows PasswordDigest on the STS page.",
    "NoPassword": "a UsernameToken without a password proves nothing; it is refused.",
    "RequireClientCertificate": "TLS client certificates are not requested by this STS; use "
                                "an asymmetric binding with an X.509 initiator token.",
    "HttpBasicAuthentication": "HTTP authentication is not used by the STS endpoint.",
    "HttpDigestAuthentication": "HTTP authentication is not used by the STS endpoint.",
    "InclusiveC14N": "the engine canonicalises with exclusive C14N only.",
    "SOAPNormalization10": "SOAP normalisation is not supported.",
    "STRTransform10": "the STR-Transform is not supported.",
    "XPath10": "XPath transforms are not supported.",
    "XPathFilter20": "XPath Filter 2.0 transforms are not supported.",
    "AbsXPath": "XPath transforms are not supported.",
    "Attachments": "SOAP attachments are not supported.",
    "RequireExternalReference": "the engine resolves issued tokens by internal reference only.",
    "RequireEmbeddedTokenReference": "embedded token references are not supported.",
    "MustSupportRefExternalURI": "external URI references are not supported.",
    "MustSupportRefEmbeddedToken": "embedded token references are not supported.",
    "MustSupportClientChallenge": "WS-Trust challenges are not supported.",
    "MustSupportServerChallenge": "WS-Trust challenges are not supported.",
} | {
    suite: "RSA 1.5 key transport is refused (a padding oracle); use the same suite without "
           "Rsa15."
    for suite in ALGORITHM_SUITES if suite not in ENFORCEABLE_SUITES
}


@dataclass(frozen=True)
class Unenforceable:
    """One assertion the engine cannot enforce: its QName, where it stands, and why."""

    assertion: str  # Clark notation, {namespace}local
    name: str  # as written in the document (prefix:local)
    path: str  # an XPath to it in the document
    line: int | None
    reason: str

    def describe(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line else self.path
        return f"{self.name} at {where}: {self.reason}"


@dataclass(frozen=True)
class PolicyVerdict:
    """What the engine makes of a policy document: enforceable, or what it cannot enforce."""

    unenforceable: tuple[Unenforceable, ...]
    notes: tuple[str, ...] = ()  # assertions read and deliberately ignored
    model: PolicyModel | None = None  # set when enforceable
    policy_id: str | None = None
    algorithm_suite: str | None = None
    # "roles", "keystores", "servicePrincipal" (a Kerberos token: its principal and keytab)
    asks_for: tuple[str, ...] = field(default=())

    @property
    def enforceable(self) -> bool:
        return not self.unenforceable and self.model is not None


def check_policy(document: bytes, *,
                 kerberos_unavailable: str | None = KERBEROS_NOT_CHECKED) -> PolicyVerdict:
    """The engine's verdict on ``document``; InvalidRequestError if it is no wsp:Policy.

    ``kerberos_unavailable`` is why this server cannot accept Kerberos tickets (what to
    install), or None where it can: a KerberosToken is refused with it.
    """
    root = parse_xml(document)
    qname = etree.QName(root)
    if qname.localname != "Policy" or qname.namespace not in _WSP_NAMESPACES:
        raise InvalidRequestError(
            "The document is not a WS-Policy: its root element must be wsp:Policy (WS-Policy "
            f"1.5 or the 2004/09 submission), not {root.tag!r}."
        )
    walk = _Walk(_sp_namespace(root), kerberos_unavailable)
    walk.operator_children(root, "top")
    if walk.found:
        return PolicyVerdict(tuple(walk.found), tuple(walk.notes), policy_id=_policy_id(root))
    try:
        model = read_policy(document)
    except InvalidRequestError as exc:
        return PolicyVerdict((_issue(root, exc.message),), tuple(walk.notes),
                             policy_id=_policy_id(root))
    combined = _combination(root, model, walk.sp)
    if combined:
        return PolicyVerdict(tuple(combined), tuple(walk.notes), policy_id=_policy_id(root))
    return PolicyVerdict(
        (), tuple(walk.notes), model=model, policy_id=_policy_id(root),
        algorithm_suite=model.algorithm_suite.name if model.algorithm_suite else None,
        asks_for=_asks_for(model),
    )


def _policy_id(root: etree._Element) -> str | None:
    return root.get(f"{{{ns.WSU}}}Id") or root.get("Id") or None


def _sp_namespace(root: etree._Element) -> str:
    """The document's WS-SecurityPolicy namespace: the first one met (2005/07 if none)."""
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).namespace in _SP_NAMESPACES:
            return etree.QName(element).namespace
    return ns.SP_2005


def _issue(element: etree._Element, reason: str) -> Unenforceable:
    tree = element.getroottree()
    prefix = element.prefix
    local = etree.QName(element).localname
    return Unenforceable(
        assertion=element.tag, name=f"{prefix}:{local}" if prefix else local,
        path=tree.getpath(element), line=element.sourceline, reason=reason)


class _Walk:
    """One pass over the document, collecting what the engine cannot enforce."""

    def __init__(self, sp: str, kerberos_unavailable: str | None,
                 in_bootstrap: bool = False) -> None:
        self.sp = sp
        self.kerberos_unavailable = kerberos_unavailable
        self.in_bootstrap = in_bootstrap
        self.found: list[Unenforceable] = []
        self.notes: list[str] = []

    def operator_children(self, element: etree._Element, context: str) -> None:
        """The assertions inside a policy operator (or the root), in ``context``."""
        for child in element:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            if qname.namespace in _WSP_NAMESPACES:
                self.operator(child, context)
            else:
                self.assertion(child, context)

    def operator(self, element: etree._Element, context: str) -> None:
        local = etree.QName(element).localname
        if local in ("Policy", "All"):
            self.operator_children(element, context)
        elif local == "ExactlyOne":
            alternatives = [c for c in element if isinstance(c.tag, str)]
            if len(alternatives) != 1:
                self.found.append(_issue(element, (
                    f"it offers {len(alternatives)} policy alternatives; the engine enforces "
                    "exactly one set of requirements, so keep one alternative."
                ) if alternatives else "it offers no alternative at all, so no message could "
                                       "satisfy it."))
                return
            self.operator_children(element, context)
        elif local == "PolicyReference":
            self.found.append(_issue(element, (
                f"policy references (URI {element.get('URI', '')!r}) are not followed; put "
                "the referenced policy's assertions in the document itself.")))
        else:
            self.found.append(_issue(element, "this WS-Policy element is not a policy "
                                              "operator the engine reads."))

    def assertion(self, element: etree._Element, context: str) -> None:
        qname = etree.QName(element)
        for wsp in _WSP_NAMESPACES:
            for attribute in ("Optional", "Ignorable"):
                if (element.get(f"{{{wsp}}}{attribute}") or "").strip().lower() in ("true", "1"):
                    self.found.append(_issue(element, (
                        f"wsp:{attribute}=\"true\" makes it a choice; the engine enforces one "
                        "set of requirements: make the assertion required or leave it out.")))
                    return
        if qname.namespace == RAMPART_POLICY and context == "top":
            self.notes.append(
                f"{qname.localname} (Rampart's own configuration) is ignored: this STS signs "
                "with its own key and trusts the keystores chosen when the policy is applied.")
            return
        if qname.namespace in _SP_NAMESPACES and qname.namespace != self.sp:
            self.found.append(_issue(element, (
                "the policy mixes WS-SecurityPolicy 2005/07 and 1.2 assertions; write all of "
                "them in one namespace.")))
            return
        if qname.namespace != self.sp:
            if context == "RequestSecurityTokenTemplate":
                return  # parameters the client copies into its request to the issuer
            self.found.append(_issue(element, (
                "this assertion is unknown to the engine, so it cannot be enforced (an unknown "
                "assertion must not be ignored).")))
            return
        local = qname.localname
        allowed = _TOP if context == "top" else _CHILDREN.get(context, frozenset())
        if local not in allowed:
            self.found.append(_issue(element, _REASONS.get(local) or (
                f"the engine does not enforce {local} inside {context}." if context != "top"
                else f"the engine does not enforce {local}.")))
            return
        self.inside(element, local)

    def inside(self, element: etree._Element, local: str) -> None:
        """What stands inside an accepted assertion."""
        if local in _TOKENS:
            self.token(element, local)
            return
        if local == "BootstrapPolicy":
            self.bootstrap(element)
            return
        if local in ("Header",) and not element.get("Namespace"):
            self.found.append(_issue(element, "a signed header needs its Namespace."))
            return
        if local in _LEAVES:
            self.leaf(element)
            return
        self.operator_children(element, local)

    def leaf(self, element: etree._Element) -> None:
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if etree.QName(child).namespace in _WSP_NAMESPACES and etree.QName(
                    child).localname == "Policy" and not any(
                    isinstance(c.tag, str) for c in child):
                continue  # an empty nested policy says nothing
            self.found.append(_issue(child, (
                f"{etree.QName(element).localname} takes no nested assertions here.")))

    def token(self, element: etree._Element, local: str) -> None:
        if local in ("SecureConversationToken", "KerberosToken") and self.in_bootstrap:
            self.found.append(_issue(element, (
                "a bootstrap policy authenticates the client for its context with a certificate, "
                "a UsernameToken or nothing (as in scenarios 9-15); a session or ticket inside "
                "it is not enforced.")))
            return
        if local == "KerberosToken" and self.kerberos_unavailable is not None:
            self.found.append(_issue(element, self.kerberos_unavailable))
            return
        if local == "HttpsToken":
            required = (element.get("RequireClientCertificate") or "false").strip().lower()
            if required in ("true", "1"):
                self.found.append(_issue(element, _REASONS["RequireClientCertificate"]))
                return
        for child in element:
            if not isinstance(child.tag, str):
                continue
            child_name = etree.QName(child)
            if local == "IssuedToken" and child_name.namespace == self.sp and (
                    child_name.localname in ("Issuer", "IssuerName")):
                # It tells clients where to get their token; it narrows nothing here, so the
                # administrator is told rather than left to believe it does.
                self.notes.append(
                    f"sp:{child_name.localname} is published for clients (where to get their "
                    "token) but not enforced: the STS accepts SAML tokens from itself and from "
                    "every trusted SAML issuer (Keystores › Trusted SAML issuers).")
                continue
            if local == "IssuedToken" and child_name.namespace == self.sp and (
                    child_name.localname == "RequestSecurityTokenTemplate"):
                self.template(child)
                continue
            if child_name.namespace in _WSP_NAMESPACES:
                self.operator(child, local)
            else:
                self.assertion(child, local)

    def bootstrap(self, element: etree._Element) -> None:
        """A SecureConversationToken's bootstrap policy: a policy of its own, checked whole."""
        policies = [c for c in element if isinstance(c.tag, str)]
        if len(policies) != 1 or etree.QName(policies[0]).localname != "Policy" or (
                etree.QName(policies[0]).namespace not in _WSP_NAMESPACES):
            self.found.append(_issue(element, (
                "sp:BootstrapPolicy must hold one wsp:Policy: the policy the client's request "
                "for a security context (RST/SCT) is secured with.")))
            return
        nested = _Walk(self.sp, self.kerberos_unavailable, in_bootstrap=True)
        nested.operator_children(policies[0], "top")
        self.found.extend(nested.found)
        self.notes.extend(nested.notes)
        if nested.found:
            return
        try:
            model = read_policy(etree.tostring(policies[0]))
        except InvalidRequestError as exc:
            self.found.append(_issue(element, exc.message))
            return
        if model.binding is Binding.TRANSPORT:
            self.found.append(_issue(element, (
                "the engine secures the request for a security context with a message binding "
                "(sp:AsymmetricBinding or sp:SymmetricBinding, as scenarios 9-15 do), not over "
                "HTTPS alone.")))
            return
        self.found.extend(_combination(policies[0], model, self.sp))

    def template(self, template: etree._Element) -> None:
        token_types = [c for c in template if isinstance(c.tag, str)
                       and etree.QName(c).localname == "TokenType"
                       and etree.QName(c).namespace in _TRUST_NAMESPACES]
        for token_type in token_types:
            value = (token_type.text or "").strip()
            if value and value not in _SAML_TOKEN_TYPES:
                self.found.append(_issue(token_type, (
                    f"the token type {value!r} is not a SAML 1.1 or 2.0 token this STS "
                    "issues and accepts.")))


def _combination(root: etree._Element, model: PolicyModel, sp: str) -> list[Unenforceable]:
    """What the engine needs of the whole: a binding and the tokens that binding works with."""
    binding_names = {Binding.TRANSPORT: "TransportBinding", Binding.ASYMMETRIC:
                     "AsymmetricBinding", Binding.SYMMETRIC: "SymmetricBinding"}
    bindings = [e for e in root.iter(*(f"{{{sp}}}{n}" for n in binding_names.values()))
                if not _inside_bootstrap(e, root)]
    if not bindings:
        return [_issue(root, "the policy has no sp:TransportBinding, sp:AsymmetricBinding or "
                             "sp:SymmetricBinding; the engine needs one to know how messages "
                             "are protected.")]
    if len(bindings) > 1:
        return [_issue(b, "the policy has more than one binding; keep one.") for b in bindings]
    binding = bindings[0]
    issues: list[str] = []
    if model.binding is Binding.TRANSPORT:
        if model.transport_token is None:
            issues.append("a transport binding needs sp:TransportToken with sp:HttpsToken.")
        if model.supporting_of(TokenKind.USERNAME) is None:
            issues.append("over HTTPS the engine authenticates users by a UsernameToken: add "
                          "sp:SignedSupportingTokens with sp:UsernameToken.")
        if model.supporting_of(TokenKind.ISSUED) is not None:
            issues.append("over HTTPS the engine does not accept SAML tokens as supporting "
                          "tokens; use an asymmetric binding.")
        if not model.include_timestamp:
            issues.append("over HTTPS the engine requires a Timestamp: add sp:IncludeTimestamp.")
    else:
        if model.algorithm_suite is None:
            issues.append("a message binding needs sp:AlgorithmSuite.")
        if model.binding is Binding.ASYMMETRIC and (
                model.initiator_token is None or model.recipient_token is None):
            issues.append("an asymmetric binding needs sp:InitiatorToken and sp:RecipientToken.")
        if model.binding is Binding.SYMMETRIC and model.protection_token is None:
            issues.append("a symmetric binding needs sp:ProtectionToken.")
        if any(token is not None and token.require_derived_keys
               for token in (model.initiator_token, model.recipient_token)):
            issues.append(_REASONS["RequireDerivedKeys"])
        if model.signed_parts.empty and not model.include_timestamp and (
                model.encrypted_parts.empty):
            issues.append("the binding protects nothing: add sp:SignedParts or sp:EncryptedParts.")
        issues.extend(_session_or_ticket(model))
    return [_issue(binding, reason) for reason in issues]


def _session_or_ticket(model: PolicyModel) -> list[str]:
    """What a SecureConversation or Kerberos protection token needs of the rest of the policy."""
    token = model.protection_token
    if token is None or token.kind not in (TokenKind.SECURE_CONVERSATION, TokenKind.KERBEROS):
        return []
    issues = []
    if model.supporting:
        who = ("the context stands for the user its bootstrap proved: put supporting tokens "
               "in sp:BootstrapPolicy" if token.kind is TokenKind.SECURE_CONVERSATION else
               "the Kerberos ticket names the user")
        issues.append(f"the engine does not check supporting tokens here: {who}.")
    if token.kind is TokenKind.SECURE_CONVERSATION and token.bootstrap is None:
        issues.append("a sp:SecureConversationToken needs its sp:BootstrapPolicy: the policy the "
                      "request for the context is secured with.")
    return issues


def _inside_bootstrap(element: etree._Element, root: etree._Element) -> bool:
    """Whether ``element`` belongs to a bootstrap policy nested below ``root``."""
    for ancestor in element.iterancestors():
        if ancestor is root:
            return False
        if etree.QName(ancestor).localname == "BootstrapPolicy":
            return True
    return False


def _asks_for(model: PolicyModel) -> tuple[str, ...]:
    """What applying the policy needs, as a scenario's ``asks_for``: roles for UsernameTokens,
    keystores for a message binding (also a SecureConversation policy's bootstrap), and the
    service principal with its keytab for a Kerberos protection token, which takes the place
    of the keystores as in scenario 20."""
    token = model.protection_token
    if token is not None and token.kind is TokenKind.KERBEROS:
        return ("servicePrincipal",)
    bootstrap = token.bootstrap if token is not None else None
    models = (model,) if bootstrap is None else (model, bootstrap)
    wanted = []
    if any(m.supporting_of(TokenKind.USERNAME) is not None for m in models):
        wanted.append("roles")
    if model.binding in (Binding.ASYMMETRIC, Binding.SYMMETRIC):
        wanted.append("keystores")
    return tuple(wanted)
