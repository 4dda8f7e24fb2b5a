"""What the tests expect of the Java client's verdicts: a token WSS4J accepts, or a fault."""

from __future__ import annotations

from typing import Any

__all__ = ["SAML2", "WSSE", "WST", "SECURITY_FAULTS", "CERT_FAULTS", "CHECK_FAULTS",
           "assert_issued", "assert_refused"]

SAML2 = "{urn:oasis:names:tc:SAML:2.0:assertion}Assertion"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WST = "http://schemas.xmlsoap.org/ws/2005/02/trust"
# WS-Security 1.0's fault codes (section 12) and WS-Trust's own authentication failure.
SECURITY_FAULTS = {f"{{{WSSE}}}{code}" for code in (
    "UnsupportedSecurityToken", "UnsupportedAlgorithm", "InvalidSecurity", "InvalidSecurityToken",
    "FailedAuthentication", "FailedCheck", "SecurityTokenUnavailable", "MessageExpired",
)} | {f"{{{WST}}}FailedAuthentication"}
CERT_FAULTS = {f"{{{WSSE}}}{code}" for code in (
    "FailedAuthentication", "InvalidSecurityToken", "SecurityTokenUnavailable",
)} | {f"{{{WST}}}FailedAuthentication"}
CHECK_FAULTS = {f"{{{WSSE}}}{code}" for code in ("FailedCheck", "InvalidSecurity")}


def assert_issued(verdict: dict[str, Any]) -> dict[str, Any]:
    assert verdict["fault"] is None, verdict["fault"]
    assert verdict["status"] == 200
    wss = verdict["wss4j"]
    assert wss["accepted"] is True, (
        f"WSS4J refused the STS's answer: {wss.get('error')} (accepted without the Basic "
        f"Security Profile checks: {wss.get('acceptedWithoutBsp')})"
    )
    assert verdict["token"] == SAML2
    return wss


def assert_refused(verdict: dict[str, Any], expected: set[str]) -> None:
    assert verdict["status"] in (400, 500), verdict
    fault = verdict["fault"]
    assert fault is not None and "token" not in verdict
    codes = set(fault["codes"])
    assert codes & expected, f"fault codes {codes} are none of {expected}: {fault['reason']}"
    assert fault["reason"], "a refusal says what was wrong"
