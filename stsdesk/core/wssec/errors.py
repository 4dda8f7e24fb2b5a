"""The WS-Security faults the message-security engine raises, beside core's own errors.

Hierarchy (all :class:`~stsdesk.core.errors.StsError`, sender faults in the wsse namespace)::

    InvalidSecurityError        wsse:InvalidSecurity (core.errors): the header does not
                                satisfy the policy (part unsigned, token missing, wrapping)
    FailedCheckError            wsse:FailedCheck: a signature or decryption did not verify
    FailedAuthenticationError   wsse:FailedAuthentication: the token is not one we trust
    InvalidSecurityTokenError   wsse:InvalidSecurityToken: a token could not be read
    SecurityTokenUnavailable    wsse:SecurityTokenUnavailable: a reference names no token
    UnsupportedAlgorithmError   wsse:UnsupportedAlgorithm (wssec.algorithms)
    BadContextTokenError        wsc:BadContextToken: a security context that is unknown,
                                cancelled or expired (WS-SecureConversation 2005/02)
    UnknownDerivationSourceError  wsc:UnknownDerivationSource: a DerivedKeyToken derives
                                from such a context
"""

from __future__ import annotations

from stsdesk.core import ns
from stsdesk.core.errors import FaultCode, StsError

__all__ = [
    "FailedCheckError", "FailedAuthenticationError", "WsseInvalidTokenError",
    "SecurityTokenUnavailableError", "BadContextTokenError", "UnknownDerivationSourceError",
]


class _WsseFault(StsError):
    trust_fault = False
    sender = True


class FailedCheckError(_WsseFault):
    fault_local_name = "FailedCheck"


class FailedAuthenticationError(_WsseFault):
    fault_local_name = "FailedAuthentication"


class WsseInvalidTokenError(_WsseFault):
    fault_local_name = "InvalidSecurityToken"


class SecurityTokenUnavailableError(_WsseFault):
    fault_local_name = "SecurityTokenUnavailable"


class _WscFault(StsError):
    """A WS-SecureConversation fault: its subcode is in the 2005/02 namespace Rampart speaks,
    whatever the request's WS-Trust version (the body may still be encrypted when it is met)."""

    sender = True

    def fault_code(self, trust_namespace: str = ns.WST_13) -> FaultCode:
        return FaultCode(ns.WSC_2005, self.fault_local_name, self.sender)


class BadContextTokenError(_WscFault):
    fault_local_name = "BadContextToken"


class UnknownDerivationSourceError(_WscFault):
    fault_local_name = "UnknownDerivationSource"
