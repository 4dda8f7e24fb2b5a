"""The applied policy's message security on the STS: keys, trust, replay, and the answer.

``core.wssec`` is sans-IO; this module gives it what it needs from the server: the policy
document of the applied scenario, the private keystore's key (the STS's active signing key),
the trusted keystore's certificates, and the replay cache (the store's nonce table).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import lru_cache

from cryptography import x509

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.core.errors import InvalidSecurityError
from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.core.scenarios import applied_policy_document
from stsdesk.core.secconv import ContextOperation, context_operation
from stsdesk.core.soap import SoapMessage
from stsdesk.core.wssec import (
    Binding,
    InboundResult,
    PolicyModel,
    ResponseSecurity,
    TokenKind,
    process_inbound,
    read_policy,
    secure_response,
)
from stsdesk.core.wssec.kerberos import KerberosAcceptor
from stsdesk.core.wssec.tokens import ContextKeys
from stsdesk.core.wssecurity import timestamp_acceptable_until
from stsdesk.server.keystore import KeyStore
from stsdesk.server.model import ConfigSnapshot, SecurityPolicy
from stsdesk.server.storage.store import Store
from stsdesk.server.sts.kerberos import KerberosAcceptors
from stsdesk.server.sts.secure_conversation import bootstrap_policy

__all__ = ["MessageSecurity", "policy_model", "TRUSTED_KEYSTORE"]

# The keystore whose certificates the trust decisions use: the trust store beside the STS's
# signing keys, named as WSO2 names its primary keystore (admin.sts_security.PRIMARY_KEYSTORE).
TRUSTED_KEYSTORE = "wso2carbon.jks"
_AP_REQ_MEMORY = timedelta(minutes=10)


def policy_model(security: SecurityPolicy) -> PolicyModel:
    """The model of the applied policy document (the scenario's, with the administrator's
    algorithm suite, or the administrator's own document): what the WSDL and MEX publish is
    what the engine enforces."""
    if security.scenario_id == OWN_POLICY_ID and security.policy_document is not None:
        return _own_model(security.policy_document)
    return _model(security.scenario_id, security.algorithm_suite)


@lru_cache(maxsize=64)
def _model(scenario_id: str, suite: AlgorithmSuite) -> PolicyModel:
    return read_policy(applied_policy_document(scenario_id, suite))


@lru_cache(maxsize=8)
def _own_model(document: str) -> PolicyModel:
    return read_policy(document.encode("utf-8"))


class MessageSecurity:
    """Runs the message-security engine for requests under an asymmetric or symmetric binding."""

    def __init__(self, store: Store, keystore: KeyStore) -> None:
        self._store = store
        self._keystore = keystore
        # Looked up when a Kerberos policy first needs the keytab, not before.
        self._kerberos = KerberosAcceptors(lambda sealed, aad: keystore.unseal_secret(sealed, aad))

    @staticmethod
    def applies(config: ConfigSnapshot) -> bool:
        """Whether the applied policy secures messages (rather than relying on HTTPS)."""
        policy = config.security
        return policy.enabled and policy_model(policy).binding in (
            Binding.ASYMMETRIC, Binding.SYMMETRIC)

    def trusted_certificates(self, config: ConfigSnapshot) -> tuple[x509.Certificate, ...]:
        if TRUSTED_KEYSTORE not in config.security.trusted_keystores:
            return ()
        return tuple(
            x509.load_der_x509_certificate(der) for der in config.trusted_certificates.values()
        )

    @staticmethod
    def model_for(config: ConfigSnapshot, action: str | None) -> PolicyModel:
        """The policy a message with ``action`` is held to: under a SecureConversation policy
        the RST/SCT that asks for a context is secured by the bootstrap policy, everything
        else (token requests, and Renew, Amend and Cancel of the context) by the context."""
        model = policy_model(config.security)
        bootstrap = bootstrap_policy(model)
        if bootstrap is not None and context_operation(action) is ContextOperation.ISSUE:
            return bootstrap
        return model

    def inbound(self, message: SoapMessage, config: ConfigSnapshot, now: datetime,
                context_keys: ContextKeys | None = None) -> InboundResult:
        """Check and decrypt ``message``; refuse it if it was seen before. ``context_keys``
        gives the keys of security contexts (SecureConversation policies)."""
        skew = config.tokens.clock_skew_seconds
        model = self.model_for(config, message.action)
        result = process_inbound(
            message,
            model,
            self._keystore.signing_identity(config.signing_alias),
            known_certificates=self.trusted_certificates(config),
            now=now,
            skew_seconds=skew,
            kerberos=self._kerberos_acceptor(model, config),
            context_keys=context_keys,
        )
        self._refuse_replay(result, now, skew)
        return result

    def _kerberos_acceptor(self, model: PolicyModel, config: ConfigSnapshot
                           ) -> KerberosAcceptor | None:
        token = model.protection_token
        if token is None or token.kind is not TokenKind.KERBEROS:
            return None
        security = config.security
        return self._kerberos.acceptor(security.service_principal, security.service_keytab)

    def secure(self, envelope: bytes, config: ConfigSnapshot, inbound: InboundResult,
               now: datetime) -> bytes:
        """The answer ``envelope`` signed and encrypted as the applied policy requires."""
        return secure_response(envelope, ResponseSecurity(
            policy=self.model_for(config, inbound.message.action),
            service=self._keystore.signing_identity(config.signing_alias),
            inbound=inbound,
            now=now,
        ))

    def _refuse_replay(self, result: InboundResult, now: datetime, skew: int) -> None:
        # A signature value is unique to the signed content, which holds a fresh Timestamp: the
        # same value twice is the same message sent twice. It is remembered for as long as its
        # Timestamp could still pass the freshness check (Created + TTL + skew without Expires,
        # Expires + skew with it), so it cannot come back once the cache has forgotten it.
        expires = now + timedelta(seconds=2 * skew)
        if result.timestamp is not None:
            expires = max(expires, timestamp_acceptable_until(result.timestamp,
                                                              skew_seconds=skew))
        proofs = [b"sig:" + value for value in result.signature_values]
        if not proofs and result.request_key is not None and result.request_key.sha1:
            proofs.append(b"ek:" + result.request_key.sha1.encode("ascii"))
        kerberos_key = result.request_key
        if kerberos_key is not None and kerberos_key.sha1 and (
            kerberos_key.reference_type == ns.KERBEROS_AP_REQ_SHA1
        ):
            # The host's replay cache knows the AP-REQs this process accepted; the store makes
            # every node refuse one again while its authenticator is fresh (Kerberos' clock skew
            # is five minutes by default either way).
            proofs.append(b"krb:" + kerberos_key.sha1.encode("ascii"))
            expires = max(expires, now + _AP_REQ_MEMORY)
        for proof in proofs:
            if not self._store.logins.remember_nonce(hashlib.sha256(proof).digest(), expires):
                if proof.startswith(b"krb:"):
                    raise InvalidSecurityError(
                        "This Kerberos AP-REQ was already received (a replayed message). Send "
                        "a fresh request with a new AP-REQ."
                    )
                raise InvalidSecurityError(
                    "This message was already received (a replayed signature). Send a fresh "
                    "request with a new Timestamp and signature."
                )
