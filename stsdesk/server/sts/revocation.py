"""Revocation of client certificates: the CRLs the administrator imported into the trust store.

WSO2 (Rampart over WSS4J's Merlin) checks revocation against CRLs configured beside the
truststore, not by fetching the distribution points a certificate names; so does this STS. A
fetch on the token path would make every X.509 request wait on, and fail with, a third party's
web server, and the URL to fetch would come from the very certificate being judged. The CRL of
a certificate's CA must be signed by a CA certificate of the trusted keystore and be current:
one past its nextUpdate is refused (as Java's PKIX checker does) unless the administrator chose
to accept it with a warning (RevocationPolicy.stale_crl). A certificate whose CA has no CRL in
the trust store is accepted unchecked unless RevocationPolicy.require_crl says otherwise (a
certificate trusted directly, not through a CA, needs no CRL; one its issuer's CRL revokes is
still refused).
Refusals are ``wsse:FailedCheck`` faults and go to the audit log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from cryptography import x509

from stsdesk.core.wssec import FailedCheckError
from stsdesk.server.model import ConfigSnapshot, StaleCrlAction, StoredCrl
from stsdesk.server.storage.revocation import crl_signed_by, issuer_key
from stsdesk.server.storage.store import Store

__all__ = ["RevocationChecker", "REVOKED_ACTION", "STALE_CRL_ACTION"]

log = logging.getLogger("stsdesk.server.sts")

REVOKED_ACTION = "sts.certificate.revoked"
STALE_CRL_ACTION = "sts.crl.stale"
_ACTOR = "STS"


@lru_cache(maxsize=64)
def _load(der: bytes) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(der)


class RevocationChecker:
    """Refuses a client certificate its CA has revoked; safe to share between threads."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._stale_reported: set[tuple[str, datetime]] = set()

    def check(self, certificate: x509.Certificate, anchors: Sequence[x509.Certificate],
              config: ConfigSnapshot, now: datetime) -> None:
        """FailedCheckError if ``certificate`` is revoked, or its revocation cannot be decided
        under the administrator's revocation policy."""
        subject = certificate.subject.rfc4514_string()
        stored = _crl_for(certificate.issuer, config.crls)
        if stored is not None and not _covers(_load(stored.crl_der), certificate):
            stored = None  # a CRL of another of the CA's distribution points says nothing
        policy = config.revocation
        if stored is None:
            # A certificate that is itself in the trusted keystore is a trust anchor: no CRL is
            # required for it (removing it from the trust store revokes it), as in PKIX.
            if policy.require_crl and certificate not in anchors:
                self._refuse(subject, "no CRL of its certificate authority is in the trust "
                             "store and the revocation policy requires one",
                             "Its revocation cannot be checked: the trust store has no CRL of "
                             "the certificate authority that issued it.")
            return
        crl = _load(stored.crl_der)
        if crl_signed_by(crl, list(anchors)) is None:
            # The CA certificate that signed it left the trusted keystore since the import.
            self._refuse(subject, f"the CRL of {stored.issuer!r} is not signed by a CA "
                         "certificate of the trusted keystore",
                         "Its revocation cannot be checked: the CRL of its certificate "
                         "authority is not signed by a trusted certificate.")
        if stored.next_update is not None and stored.next_update < now:
            if policy.stale_crl is StaleCrlAction.REFUSE:
                self._refuse(subject, f"the CRL of {stored.issuer!r} is out of date (next "
                             f"update due {stored.next_update:%Y-%m-%d %H:%M} UTC)",
                             "Its revocation cannot be checked: the certificate authority's "
                             "CRL in the trust store is out of date.")
            self._report_stale(stored)
        entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if entry is not None:
            self._refuse(subject, f"revoked on {entry.revocation_date_utc:%Y-%m-%d %H:%M} UTC "
                         f"(serial {certificate.serial_number:x}, CRL of {stored.issuer!r})",
                         "The client certificate has been revoked by its certificate "
                         "authority.", action=REVOKED_ACTION)

    def _refuse(self, subject: str, detail: str, reason: str,
                action: str = REVOKED_ACTION) -> None:
        log.warning("refused the client certificate %r: %s", subject, detail)
        self._store.audit.add(_ACTOR, action, subject, detail)
        raise FailedCheckError(reason)

    def _report_stale(self, stored: StoredCrl) -> None:
        # Accepted by the administrator's choice: said in the log every time, in the audit
        # trail once per CRL (per process), so that the trail is not flooded.
        log.warning("accepted a client certificate checked against the out-of-date CRL of %r "
                    "(next update was due %s); import a current CRL", stored.issuer,
                    stored.next_update)
        key = (stored.issuer_key, stored.this_update)
        with self._lock:
            if key in self._stale_reported:
                return
            self._stale_reported.add(key)
        self._store.audit.add(_ACTOR, STALE_CRL_ACTION, stored.issuer,
                        f"accepted certificates against a CRL past its next update "
                        f"({stored.next_update:%Y-%m-%d %H:%M} UTC); import a current CRL")


def _crl_for(issuer: x509.Name, crls: Sequence[StoredCrl]) -> StoredCrl | None:
    key = issuer_key(issuer)
    return next((crl for crl in crls if crl.issuer_key == key), None)


def _covers(crl: x509.CertificateRevocationList, certificate: x509.Certificate) -> bool:
    """Whether ``crl`` speaks for ``certificate``: a CRL whose IssuingDistributionPoint names a
    distribution point covers only the certificates naming that point in their
    CRLDistributionPoints (RFC 5280 6.3.3 (b)(2)(i))."""
    try:
        point = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except x509.ExtensionNotFound:
        return True
    if not point.full_name:
        return point.relative_name is None
    try:
        named = certificate.extensions.get_extension_for_class(
            x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return False
    names = set(point.full_name)
    return any(names.intersection(dp.full_name or ()) for dp in named)
