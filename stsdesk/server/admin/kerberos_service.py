"""Scenario 20's second wizard step over the admin API: the service principal and its keytab.

An administrator's own policy with a Kerberos protection token asks for the same (its verdict's
``asks_for`` names ``servicePrincipal``), and takes them the same way.

WSO2's wizard asks for the service principal and its password; here the administrator gives
the principal and its keytab (base64 of the file ``kadmin ktadd -norandkey`` or ``ktutil wkt``
writes), because a keytab carries the key version number the KDC issues tickets with, which a
password alone does not. The keytab is checked with GSS-API (it must hold a key for the
principal), then sealed under the master secret like the private keys; it never comes back
out of the API.
"""

from __future__ import annotations

import base64
import binascii

from stsdesk.core.scenarios import Scenario, ScenarioCategory
from stsdesk.server.admin.own_policy import OwnPolicy
from stsdesk.server.errors import ValidationError
from stsdesk.server.keystore import KeyStore
from stsdesk.server.model import SecurityPolicy
from stsdesk.server.sts.kerberos import (
    KerberosConfigError,
    check_keytab,
    kerberos_unavailable_reason,
    keytab_aad,
)

__all__ = ["KerberosServiceChoice", "kerberos_service", "MAX_KEYTAB_BYTES"]

# A keytab holds a few keys per principal; anything near this is not one.
MAX_KEYTAB_BYTES = 64 * 1024

KerberosServiceChoice = tuple[str | None, str | None]  # (principal, sealed keytab as base64)


def kerberos_service(
    keystore: KeyStore, applied: Scenario | OwnPolicy, principal: str | None,
    keytab_base64: str | None, current: SecurityPolicy,
) -> KerberosServiceChoice:
    """The principal and sealed keytab to store for ``applied`` (a scenario or own policy).

    Not Kerberos: none (a keytab given anyway is refused rather than ignored). Scenario 20, or
    an own policy with a Kerberos protection token: the principal is required; the keytab too,
    unless the principal is the one already applied, whose sealed keytab is kept.
    """
    if isinstance(applied, OwnPolicy):
        uses_kerberos = applied.asks_for_service_principal
        what = f"The security policy {applied.name!r}"
    else:
        uses_kerberos = applied.category is ScenarioCategory.KERBEROS
        what = "Scenario 20" if uses_kerberos else f"The scenario {applied.id}"
    if not uses_kerberos:
        if principal or keytab_base64:
            raise ValidationError(
                f"{what} does not use Kerberos; leave servicePrincipal and keytab out."
            )
        return None, None
    reason = kerberos_unavailable_reason()
    if reason is not None:
        raise ValidationError(reason)
    principal = (principal or "").strip()
    if not principal:
        raise ValidationError(
            f"{what} needs the STS's Kerberos service principal in servicePrincipal, for "
            "example HTTP/sts.example.org@EXAMPLE.ORG, and its keytab."
        )
    if not keytab_base64:
        if current.service_principal == principal and current.service_keytab:
            return principal, current.service_keytab
        raise ValidationError(
            f"Give the keytab of {principal} in keytab (the file's bytes in base64): the STS "
            "decrypts the clients' tickets with the keys in it."
        )
    try:
        keytab = base64.b64decode("".join(keytab_base64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("The keytab is not valid base64; send the file's bytes in base64.") from None
    if not keytab or len(keytab) > MAX_KEYTAB_BYTES:
        raise ValidationError(
            f"The keytab is empty or larger than {MAX_KEYTAB_BYTES // 1024} KiB; export only the "
            "service principal's keys."
        )
    try:
        canonical = check_keytab(principal, keytab)
    except KerberosConfigError as exc:
        raise ValidationError(exc.message) from None
    sealed = keystore.seal_secret(keytab, keytab_aad(canonical))
    return canonical, base64.b64encode(sealed).decode("ascii")
