"""The test client's Kerberos ticket (scenario 20): an AP-REQ for the STS's service principal
from the person's credential cache, through python-gssapi over MIT Kerberos.

The credential cache is the one MIT Kerberos uses by default (``KRB5CCNAME``, else the
platform's default): what ``kinit`` filled. Blocking (it may ask the KDC for a service
ticket): call it off the GUI thread. python-gssapi is an optional dependency (the
``kerberos`` extra); without it the person is told what to install.
"""

from __future__ import annotations

import logging
from typing import Any

from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.wssec.client_request import KerberosApReq

__all__ = ["kerberos_ap_req", "kerberos_client_unavailable", "CLIENT_INSTALL_HINT"]

log = logging.getLogger("stsdesk.services.kerberos")

CLIENT_INSTALL_HINT = (
    "Scenario 20 needs MIT Kerberos and python-gssapi on this computer: install the kerberos "
    "extra (pip install 'stsdesk[kerberos]'; on Debian or Ubuntu first apt-get install "
    "libkrb5-dev krb5-user), then obtain a ticket with kinit."
)
# GSS_C_INQ_SSPI_SESSION_KEY (MIT krb5's gssapi_ext.h): the initiator's session key, the one
# the STS reads on its side.
_SSPI_SESSION_KEY_OID = "1.2.840.113554.1.2.2.5.5"


def kerberos_client_unavailable() -> str | None:
    """What to install for the test client to send Kerberos tickets, or None if it can."""
    try:
        import gssapi  # noqa: F401
        from gssapi.raw import inquire_sec_context_by_oid  # noqa: F401
    except (ImportError, OSError):  # the module, or MIT's shared libraries, are missing
        return CLIENT_INSTALL_HINT
    return None


def kerberos_ap_req(service_principal: str) -> KerberosApReq:
    """A fresh AP-REQ for ``service_principal`` (e.g. ``HTTP/sts.example.org@EXAMPLE.ORG``)
    and its session key. InvalidRequestError says what to do when there is no ticket, no such
    principal, or no python-gssapi."""
    principal = service_principal.strip()
    if not principal:
        raise InvalidRequestError(
            "Give the STS's Kerberos service principal (the server's security settings name "
            "it), e.g. HTTP/sts.example.org@EXAMPLE.ORG.")
    hint = kerberos_client_unavailable()
    if hint is not None:
        raise InvalidRequestError(hint)
    import gssapi
    from gssapi.raw import inquire_sec_context_by_oid

    try:
        credentials = gssapi.Credentials(usage="initiate")
        # No mutual authentication: the token profile has no way to carry an AP-REP, so the
        # STS refuses a ticket that asks for one.
        context = gssapi.SecurityContext(
            name=gssapi.Name(principal, gssapi.NameType.kerberos_principal), creds=credentials,
            usage="initiate", mech=gssapi.MechType.kerberos,
            flags=gssapi.RequirementFlag.integrity)
        token = context.step()
        key = inquire_sec_context_by_oid(
            context, gssapi.OID.from_int_seq(_SSPI_SESSION_KEY_OID))[0]
    except gssapi.exceptions.GSSError as exc:
        raise InvalidRequestError(_gss_message(exc, principal)) from None
    if not token:
        raise InvalidRequestError("GSS-API gave no Kerberos token for the STS.")
    return KerberosApReq(bytes(token), bytes(key))


def _gss_message(exc: Any, principal: str) -> str:
    """What the person can do about a GSS-API failure (no key material in it)."""
    try:
        text = exc.gen_message()
    except Exception:  # noqa: BLE001 - describing the error must not raise another
        text = type(exc).__name__
    log.info("no Kerberos ticket for %s: %s", principal, text)
    lowered = text.lower()
    if "credentials cache" in lowered or "no credentials" in lowered or (
        "not found" in lowered and "ccache" in lowered
    ):
        return ("There is no Kerberos ticket in the credential cache: obtain one with kinit "
                f"(as the user to request the token for), then try again. ({text})")
    if "server not found" in lowered or "unknown server" in lowered:
        return (f"The KDC does not know the service principal {principal!r}: check it against "
                f"the server's security settings. ({text})")
    return f"No Kerberos ticket for {principal!r} could be obtained: {text}"
