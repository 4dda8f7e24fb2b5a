"""The errors stsdesk's core raises, each tied to the SOAP fault a server answers it with.

Hierarchy::

    StsError                         base of everything core raises
     +-- XmlInputError (ValueError)  not well-formed, a DTD, too large, too deep
     +-- InvalidRequestError         wst:InvalidRequest: the request is malformed or asks for
     |    |                          something this STS does not offer
     |    +-- BadRequestError        wst:BadRequest: unknown or contradictory content
     +-- AuthenticationError         wst:FailedAuthentication: who is asking could not be proven
     +-- InvalidSecurityError        wsse:InvalidSecurity: the WS-Security header is missing
     |                               or does not satisfy the policy (Timestamp, Security twice)
     +-- InvalidSecurityTokenError   wst:InvalidSecurityToken: a token in the request is bad
     |                               (Validate/Renew/Cancel target, UseKey certificate)
     +-- MessageExpiredError         wsse:MessageExpired: Timestamp outside the freshness window
     +-- RequestFailedError          wst:RequestFailed: the request was valid but could not be
     |                               served (configuration missing, a relying party's cert absent)
     +-- UnableToRenewError          wst:UnableToRenew
     +-- CryptoError                 a signing, verification or encryption step failed

Messages are written for the person who reads the fault and say what to do; they never hold
a password, a key or a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from stsdesk.core import ns

__all__ = [
    "FaultCode", "StsError", "XmlInputError", "InvalidRequestError", "BadRequestError",
    "AuthenticationError", "InvalidSecurityError", "InvalidSecurityTokenError",
    "MessageExpiredError", "RequestFailedError", "UnableToRenewError", "CryptoError",
]


@dataclass(frozen=True)
class FaultCode:
    """A fault subcode: a qualified name, and whether the sender or the receiver is to blame."""

    namespace: str
    local_name: str
    sender: bool = True

    @property
    def qname(self) -> str:
        return f"{{{self.namespace}}}{self.local_name}"


class StsError(Exception):
    """Base of every error stsdesk's core raises.

    ``trust_version_fault`` tells whether the subcode lives in the WS-Trust namespace (its
    namespace then follows the request's WS-Trust version) or in WS-Security's.
    """

    fault_local_name: str = "RequestFailed"
    trust_fault: bool = True
    sender: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def fault_code(self, trust_namespace: str = ns.WST_13) -> FaultCode:
        namespace = trust_namespace if self.trust_fault else ns.WSSE
        return FaultCode(namespace, self.fault_local_name, self.sender)


class XmlInputError(StsError, ValueError):
    fault_local_name = "InvalidRequest"
    sender = True


class InvalidRequestError(StsError, ValueError):
    fault_local_name = "InvalidRequest"
    sender = True


class BadRequestError(InvalidRequestError):
    fault_local_name = "BadRequest"


class AuthenticationError(StsError):
    fault_local_name = "FailedAuthentication"
    sender = True


class InvalidSecurityError(StsError):
    fault_local_name = "InvalidSecurity"
    trust_fault = False
    sender = True


class InvalidSecurityTokenError(StsError):
    fault_local_name = "InvalidSecurityToken"
    sender = True


class MessageExpiredError(StsError):
    fault_local_name = "MessageExpired"
    trust_fault = False
    sender = True


class RequestFailedError(StsError):
    fault_local_name = "RequestFailed"
    sender = False


class UnableToRenewError(StsError):
    fault_local_name = "UnableToRenew"
    sender = True


class CryptoError(StsError):
    fault_local_name = "RequestFailed"
    sender = False
