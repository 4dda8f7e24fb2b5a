"""The test client's message security: a request secured for the applied scenario, and a
verdict on the answer (who signed which parts, what was encrypted, SignatureConfirmation).

The scenario comes from the server's typed admin API (``SecurityPolicy``) or the person's
choice for an STS that is not ours; its WS-SecurityPolicy is the catalogue's document with the
applied algorithm suite, read by the same policy model the server uses.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import requests
from cryptography import x509

from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE, AlgorithmSuite
from stsdesk.core.errors import InvalidRequestError, StsError
from stsdesk.core.metadata_certificates import metadata_certificates
from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.core.scenarios import applied_policy_document, get_scenario
from stsdesk.core.secconv_client import ClientContext
from stsdesk.core.wssec.client_request import (
    RequestSecurity,
    SecuredRequest,
    secure_request,
    uses_context,
    uses_kerberos,
)
from stsdesk.core.wssec.header_report import (
    Check,
    HeaderKeys,
    SecurityHeaderReport,
    read_security_header,
)
from stsdesk.core.wssec.policy import Binding, PolicyModel, TokenKind, read_policy
from stsdesk.services.errors import TrustClientError
from stsdesk.services.kerberos_ticket import kerberos_ap_req
from stsdesk.services.tls import TrustPolicy, make_session
from stsdesk.services.token_keys import ClientKeyPair

__all__ = [
    "MessageSecurity", "ResponseVerdict", "SecuredExchange",
    "fetch_metadata_certificate",
    "secure", "judge_response",
]


def fetch_metadata_certificate(endpoint: str, trust: TrustPolicy, *,
                               timeout: float = 30.0) -> x509.Certificate:
    """The STS's certificate as its metadata names it: ``/mex`` (ADFS-style), else ``?wsdl``.

    Blocking (HTTPS): call it off the GUI thread. TrustClientError says what went wrong."""
    base = endpoint.rstrip("/")
    with make_session(trust) as session:
        for url in (f"{base}/mex", f"{base}?wsdl"):
            try:
                answer = session.get(url, timeout=timeout, verify=session.verify)
            except requests.RequestException as exc:
                raise TrustClientError(
                    f"The STS's metadata at {url} could not be read: {exc}") from exc
            if answer.status_code != 200:
                continue
            try:
                found = metadata_certificates(answer.content)
            except StsError:
                continue
            if found:
                return found[0]
    raise TrustClientError(
        f"The metadata of {endpoint} (/mex, ?wsdl) names no certificate for the STS; choose "
        "its certificate from a file.")


@dataclass(frozen=True)
class MessageSecurity:
    """How the test client secures its requests: the scenario's policy and the keys."""

    scenario_id: str
    policy: PolicyModel
    algorithm_suite: AlgorithmSuite = DEFAULT_ALGORITHM_SUITE
    service_certificate: x509.Certificate | None = None
    client: ClientKeyPair | None = None
    saml_token: bytes | None = None  # a SAML assertion from the history (31-34)
    proof_key: bytes | None = field(default=None, repr=False)  # its symmetric proof key
    # Scenario 20: the STS's Kerberos service principal, whose ticket signs the request.
    service_principal: str | None = None

    @classmethod
    def for_scenario(cls, scenario_id: str, *,
                     algorithm_suite: AlgorithmSuite = DEFAULT_ALGORITHM_SUITE,
                     service_certificate: x509.Certificate | None = None,
                     client: ClientKeyPair | None = None, saml_token: bytes | None = None,
                     proof_key: bytes | None = None,
                     service_principal: str | None = None) -> MessageSecurity:
        get_scenario(scenario_id)  # an unknown id is refused with the catalogue's message
        policy = read_policy(applied_policy_document(scenario_id, algorithm_suite))
        return cls(scenario_id, policy, algorithm_suite, service_certificate, client,
                   saml_token, proof_key, service_principal)

    @classmethod
    def for_document(cls, document: bytes, *,
                     service_certificate: x509.Certificate | None = None,
                     client: ClientKeyPair | None = None, saml_token: bytes | None = None,
                     proof_key: bytes | None = None,
                     service_principal: str | None = None) -> MessageSecurity:
        """For an administrator's own policy (the document the server applies as it is)."""
        return cls(OWN_POLICY_ID, read_policy(document), DEFAULT_ALGORITHM_SUITE,
                   service_certificate, client, saml_token, proof_key, service_principal)

    @property
    def secures_messages(self) -> bool:
        return self.policy.binding in (Binding.ASYMMETRIC, Binding.SYMMETRIC)

    @property
    def uses_context(self) -> bool:
        """A SecureConversation policy (9-15): requests go under a security context's key,
        obtained first under the bootstrap policy."""
        return uses_context(self.policy)

    def bootstrap(self) -> MessageSecurity:
        """How the request for the security context is secured: the bootstrap policy with the
        same keys (InvalidRequestError when the policy names none)."""
        token = self.policy.protection_token
        if token is None or token.bootstrap is None:
            raise InvalidRequestError(
                "The SecureConversation policy has no sp:BootstrapPolicy, so the test client "
                "cannot tell how to ask for a security context.")
        return replace(self, policy=token.bootstrap)

    @property
    def _key_policy(self) -> PolicyModel:
        # What the person must give is what the bootstrap asks: after it, the context is the key.
        token = self.policy.protection_token
        if self.uses_context and token is not None and token.bootstrap is not None:
            return token.bootstrap
        return self.policy

    @property
    def uses_kerberos(self) -> bool:
        """Scenario 20: requests are signed with a Kerberos ticket's session key."""
        return uses_kerberos(self.policy)

    @property
    def needs_username(self) -> bool:
        return self._key_policy.supporting_of(TokenKind.USERNAME) is not None

    @property
    def needs_client_certificate(self) -> bool:
        policy = self._key_policy
        token = policy.initiator_token
        return policy.binding is Binding.ASYMMETRIC and token is not None and (
            token.kind is TokenKind.X509)

    @property
    def needs_saml_token(self) -> bool:
        policy = self._key_policy
        token = policy.initiator_token
        return (token is not None and token.kind is TokenKind.ISSUED) or (
            policy.supporting_of(TokenKind.ISSUED) is not None)

    @property
    def needs_service_certificate(self) -> bool:
        policy = self._key_policy
        if self.uses_kerberos:
            return False  # the ticket is for the STS; nothing is encrypted for its certificate
        return policy.binding is Binding.SYMMETRIC or not policy.encrypted_parts.empty


@dataclass(frozen=True)
class ResponseVerdict:
    """What the answer's security header proved: ``ok`` when it is what the policy asks."""

    report: SecurityHeaderReport | None
    problems: tuple[str, ...]
    checked: tuple[str, ...]  # what was found as it should be, one line each

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return [f"✔ {line}" for line in self.checked] + [f"✘ {line}" for line in self.problems]


@dataclass(frozen=True)
class SecuredExchange:
    """A secured request as sent, and the verdict on its answer (once there is one)."""

    sent: SecuredRequest = field(repr=False)
    verdict: ResponseVerdict | None = None
    clear_response: bytes = field(default=b"", repr=False)  # the answer after decryption


def secure(envelope: bytes, security: MessageSecurity, *, username: str | None,
           password: str | None, now: datetime | None = None,
           context: ClientContext | None = None) -> SecuredRequest:
    """``envelope`` secured as ``security``'s policy asks (InvalidRequestError: what is
    missing); ``context`` is the security context a SecureConversation policy needs."""
    client = security.client
    ticket = None
    if security.uses_kerberos:
        # A fresh AP-REQ per request: the STS refuses a replayed one.
        ticket = kerberos_ap_req(security.service_principal or "")
    return secure_request(envelope, RequestSecurity(
        policy=security.policy,
        now=now or datetime.now(UTC),
        service_certificate=security.service_certificate,
        client_certificate=client.certificate if client is not None else None,
        client_key=client.private_key if client is not None else None,
        username=username if security.needs_username else None,
        password=password if security.needs_username else None,
        assertion=security.saml_token,
        proof_key=security.proof_key,
        context=context,
        kerberos=ticket,
    ))


def judge_response(data: bytes, security: MessageSecurity,
                   sent: SecuredRequest) -> tuple[ResponseVerdict, bytes]:
    """The verdict on an answer and the answer decrypted (``data`` itself if it cannot be)."""
    client = security.client
    names: dict[str, bytes] = {}
    if sent.session_key is not None and sent.session_key_sha1 is not None:
        names[sent.session_key_sha1] = sent.session_key
    if sent.assertion_id and security.proof_key is not None:
        names[sent.assertion_id] = security.proof_key
    contexts = {}
    if sent.context_identifier is not None and sent.session_key is not None:
        contexts[sent.context_identifier] = sent.session_key
    kerberos = {}
    if sent.kerberos_sha1 is not None and sent.session_key is not None:
        kerberos[sent.kerberos_sha1] = sent.session_key
    keys = HeaderKeys(
        private_keys=(client.private_key,) if client is not None else (),
        certificates=tuple(c for c in (security.service_certificate,
                                       client.certificate if client else None) if c is not None),
        symmetric_keys=names,
        contexts=contexts,
        kerberos_keys=kerberos,
    )
    try:
        report = read_security_header(data, keys)
    except StsError as exc:
        return ResponseVerdict(None, (f"The answer could not be read: {exc.message}",), ()), data
    if report.body_content == "Fault":
        return ResponseVerdict(report, (), ("The STS answered with a fault; a fault is not "
                                            "signed or encrypted.",)), report.clear_envelope
    problems, checked = list(report.problems), list[str]()
    _signatures(report, security, problems, checked)
    _encryption(report, security, problems, checked)
    _confirmation(report, security, sent, problems, checked)
    return ResponseVerdict(report, tuple(problems), tuple(checked)), report.clear_envelope


def _signatures(report: SecurityHeaderReport, security: MessageSecurity,
                problems: list[str], checked: list[str]) -> None:
    policy = security.policy
    valid = [s for s in report.signatures if s.status is Check.VALID]
    for signature in report.signatures:
        if signature.status is Check.INVALID:
            problems.append(f"A signature by {signature.key} does not verify: {signature.reason}")
        elif signature.status is Check.NOT_CHECKED:
            problems.append(f"A signature by {signature.key} was not checked: {signature.reason}")
    if not report.signatures and (not policy.signed_parts.empty or policy.include_timestamp):
        problems.append("The answer is not signed; the policy asks for a signed answer.")
        return
    service = security.service_certificate
    for signature in valid:
        parts = ", ".join(f"{p.element} ({p.element_id})" for p in signature.covered)
        if signature.signer_certificate is not None and service is not None and (
            signature.signer_certificate != service
        ):
            problems.append(f"The answer is signed by {signature.key}, not by the STS's "
                            "certificate.")
        else:
            checked.append(f"Signed by {signature.key} ({signature.method.rsplit('#', 1)[-1]}, "
                           f"digest {signature.digest.rsplit('#', 1)[-1]}): {parts}")
    if policy.signed_parts.body and not any(s.covers_body for s in valid):
        problems.append("The SOAP Body of the answer is not covered by a valid signature.")
    if policy.include_timestamp:
        if report.timestamp_created is None:
            problems.append("The answer has no Timestamp; the policy asks for one.")
        elif not any(s.covers_timestamp for s in valid):
            problems.append("The answer's Timestamp is not signed.")
        else:
            expires = report.timestamp_expires
            if expires is not None and expires < datetime.now(UTC):
                problems.append(f"The answer's Timestamp expired at {expires.isoformat()}.")
            else:
                checked.append(f"Timestamp {report.timestamp_created.isoformat()} signed")


def _encryption(report: SecurityHeaderReport, security: MessageSecurity,
                problems: list[str], checked: list[str]) -> None:
    for part in report.encrypted_parts:
        if part.status is Check.DECRYPTED:
            checked.append(f"Encrypted {part.location} ({part.algorithm.rsplit('#', 1)[-1]}, "
                           f"{part.key}) decrypted: {part.content}")
        else:
            problems.append(f"The encrypted {part.location} was not decrypted: {part.reason}")
    if security.policy.encrypted_parts.body and not any(
        p.location.startswith("SOAP Body") and p.status is Check.DECRYPTED
        for p in report.encrypted_parts
    ):
        problems.append("The answer's Body is not encrypted; the policy asks for it encrypted.")


def _confirmation(report: SecurityHeaderReport, security: MessageSecurity, sent: SecuredRequest,
                  problems: list[str], checked: list[str]) -> None:
    if not security.policy.signature_confirmation:
        return
    expected = {base64.b64encode(v).decode("ascii") for v in sent.signature_values}
    got = {v for v in report.confirmations if v is not None}
    if not report.confirmations:
        problems.append("The answer has no SignatureConfirmation; the policy requires one.")
    elif got != expected:
        problems.append("The answer's SignatureConfirmation does not confirm the request's "
                        "signature.")
    elif not any(s.covers_confirmations and s.status is Check.VALID for s in report.signatures):
        problems.append("The SignatureConfirmation is not signed.")
    else:
        checked.append("SignatureConfirmation echoes the request's signature value")
