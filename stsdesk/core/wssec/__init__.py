"""Message security (WS-Security under a WS-SecurityPolicy): policy model, inbound, outbound.

``read_policy`` turns the applied policy document into a :class:`PolicyModel`;
``process_inbound`` checks and decrypts a request as that model requires; ``secure_response``
signs and encrypts the answer. Sans-IO: keys and certificates come in as arguments.
"""

from stsdesk.core.wssec.algorithms import (
    ALGORITHM_SUITES,
    AlgorithmSuite,
    UnsupportedAlgorithmError,
)
from stsdesk.core.wssec.errors import (
    FailedAuthenticationError,
    FailedCheckError,
    SecurityTokenUnavailableError,
    WsseInvalidTokenError,
)
from stsdesk.core.wssec.inbound import InboundResult, process_inbound
from stsdesk.core.wssec.outbound import ResponseSecurity, secure_response
from stsdesk.core.wssec.policy import Binding, PolicyModel, TokenKind, read_policy

__all__ = [
    "ALGORITHM_SUITES", "AlgorithmSuite", "UnsupportedAlgorithmError", "FailedCheckError",
    "FailedAuthenticationError", "SecurityTokenUnavailableError", "WsseInvalidTokenError",
    "InboundResult", "process_inbound", "ResponseSecurity", "secure_response", "Binding",
    "PolicyModel", "TokenKind", "read_policy",
]
