"""The WS-Security faults the message-security engine raises, beside core's own errors.

Hierarchy (all :class:`~stsdesk.core.errors.StsError`, sender faults in the wsse namespace)::

    InvalidSecurityError        wsse:InvalidSecurity (core.errors): the header does not
                                satisfy the policy (part unsigned, token missing, wrapping)
    FailedCheckError            wsse:FailedCheck: a signature or decryption did not verify
    FailedAuthenticationError   wsse:FailedAuthentication: the token is not one we trust
    InvalidSecurityTokenError   wsse:InvalidSecurityToken: a token could not be read
    SecurityTokenUnavailable    wsse:SecurityTokenUnavailable: a reference names no token
    UnsupportedAlgorithmError   wsse:UnsupportedAlgorithm (wssec.algorithms)
"""

from __future__ import annotations

from stsdesk.core.errors import StsError

__all__ = [
    "FailedCheckError", "FailedAuthenticationError", "WsseInvalidTokenError",
    "SecurityTokenUnavailableError",
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
