"""Kerberos for scenario 20: the service's keytab, and AP-REQs accepted through GSS-API.

MIT Kerberos is reached through python-gssapi, an optional dependency (the ``kerberos`` extra):
a server without it starts and works as before, and refuses scenario 20 with what to install.

The keytab is stored sealed under the master secret (``SecurityPolicy.service_keytab``), like
private keys. GSS-API reads keys from a keytab *file*, so each server process writes the
unsealed keytab once into a private folder (mode 0700, the file 0600) on a memory file system
where there is one (``/dev/shm``), and removes the folder when the process ends.

A ticket is accepted with ``gssapi.SecurityContext(usage="accept")`` using credentials for the
configured principal only, so a ticket for another service of the same keytab is refused.
MIT's replay cache refuses an AP-REQ seen before by this host; the message-security layer also
records each AP-REQ in the store's nonce table, so another node refuses it too. The session key
comes from ``inquire_sec_context_by_oid(GSS_C_INQ_SSPI_SESSION_KEY)``: the authenticator's
subkey, or the ticket's session key when it has none, which is the key the token profile's
client signs with.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from stsdesk.core.errors import InvalidSecurityError, StsError
from stsdesk.core.scenarios import SCENARIOS_ENFORCED, ScenarioCategory, find_scenario
from stsdesk.core.wssec.errors import FailedAuthenticationError, WsseInvalidTokenError
from stsdesk.core.wssec.kerberos import KerberosAcceptance, KerberosAcceptor

__all__ = [
    "INSTALL_HINT", "KerberosConfigError", "kerberos_unavailable_reason",
    "scenario_enforceable", "check_keytab", "KerberosAcceptors", "keytab_aad",
    "principal_realm",
]

log = logging.getLogger("stsdesk.server.kerberos")

INSTALL_HINT = (
    "Kerberos (scenario 20) needs MIT Kerberos and python-gssapi on the server: install the "
    "kerberos extra (pip install 'stsdesk[kerberos]'; on Debian or Ubuntu first "
    "apt-get install libkrb5-dev krb5-user, or run scripts/system-deps.sh), then restart "
    "the server."
)
# GSS_C_INQ_SSPI_SESSION_KEY (MIT krb5's gssapi_ext.h): the context's session key.
_SSPI_SESSION_KEY_OID = "1.2.840.113554.1.2.2.5.5"

# MIT krb5 error codes (krb5.h) that say why an AP-REQ was refused; GSS-API reports them as the
# minor status.
_TKT_EXPIRED = -1765328352
_TKT_NOT_YET_VALID = -1765328351
_REPLAY = -1765328350
_NOT_US = -1765328349
_SKEW = -1765328347
_MODIFIED = -1765328343
_BAD_KEY_VERSION = -1765328340
_NO_KEY = -1765328339
_WRONG_PRINCIPAL = -1765328240
_KEYTAB_ENTRY_NOT_FOUND = -1765328203


class KerberosConfigError(StsError):
    """The service principal or keytab an administrator gave cannot be used."""

    fault_local_name = "RequestFailed"


@cache
def kerberos_unavailable_reason() -> str | None:
    """Why this server cannot accept Kerberos tickets (what to install), or None if it can."""
    try:
        import gssapi  # noqa: F401
        from gssapi.raw import acquire_cred_from, inquire_sec_context_by_oid  # noqa: F401
    except (ImportError, OSError) as exc:  # the module, or MIT's shared libraries, are missing
        log.info("Kerberos is not available: %s", exc)
        return INSTALL_HINT
    return None


def scenario_enforceable(scenario_id: str) -> bool:
    """Whether this server enforces ``scenario_id``: the catalogue's list, and scenario 20
    where Kerberos is installed."""
    if scenario_id in SCENARIOS_ENFORCED:
        return True
    scenario = find_scenario(scenario_id)
    return scenario is not None and scenario.category is ScenarioCategory.KERBEROS and (
        kerberos_unavailable_reason() is None)


def keytab_aad(principal: str) -> bytes:
    """What a sealed keytab is bound to: it unseals only as the keytab of this principal."""
    return b"stsdesk kerberos keytab:" + principal.encode("utf-8")


def principal_realm(principal: str) -> str | None:
    """The realm of ``name@REALM`` (None without one)."""
    _, at, realm = principal.rpartition("@")
    return realm if at and realm else None


def check_keytab(principal: str, keytab: bytes) -> str:
    """The principal's canonical name, if ``keytab`` holds keys for it; KerberosConfigError
    saying what is wrong otherwise (never the keytab's contents)."""
    reason = kerberos_unavailable_reason()
    if reason is not None:
        raise KerberosConfigError(reason)
    if "@" not in principal or principal.startswith("@") or principal.endswith("@"):
        raise KerberosConfigError(
            f"The service principal {principal!r} has no realm; write it in full, for example "
            "HTTP/sts.example.org@EXAMPLE.ORG."
        )
    if not keytab.startswith(b"\x05\x02"):
        raise KerberosConfigError(
            "The keytab is not an MIT keytab file (version 0x502); export it with kadmin's "
            "ktadd or ktutil's wkt."
        )
    with _KeytabFile(keytab) as path:
        try:
            creds = _credentials(principal, path)
            return str(creds.name)
        except Exception as exc:  # noqa: BLE001 - GSS errors, told in a sentence
            raise KerberosConfigError(
                f"The keytab holds no usable key for {principal}: {_gss_text(exc)}. Export the "
                "keys of that principal (kadmin: ktadd -k FILE -norandkey PRINCIPAL)."
            ) from exc


@dataclass(frozen=True)
class _Applied:
    principal: str
    sealed: str


class KerberosAcceptors:
    """This process's GSS-API acceptor for the applied service principal and keytab.

    Safe to share between threads; the acceptor is rebuilt when the administrator applies
    another principal or keytab.
    """

    def __init__(self, unseal: Callable[[bytes, bytes], bytes]) -> None:
        self._unseal = unseal  # (sealed, aad) -> the keytab (KeyStore.unseal_secret)
        self._lock = threading.Lock()
        self._applied: _Applied | None = None
        self._acceptor: _GssAcceptor | None = None
        self._file: _KeytabFile | None = None

    def acceptor(self, principal: str | None, sealed: str | None) -> KerberosAcceptor:
        reason = kerberos_unavailable_reason()
        if reason is not None:
            log.error("scenario 20 is applied but %s", reason)
            raise InvalidSecurityError(
                "This STS cannot accept Kerberos tickets at the moment; an administrator must "
                "install Kerberos support (see the server log)."
            )
        if not principal or not sealed:
            raise InvalidSecurityError(
                "This STS has no Kerberos service principal configured; an administrator must "
                "apply scenario 20 with the service principal and its keytab."
            )
        applied = _Applied(principal, sealed)
        with self._lock:
            if self._applied != applied or self._acceptor is None:
                self._replace(applied)
            assert self._acceptor is not None
            return self._acceptor

    def _replace(self, applied: _Applied) -> None:
        import base64

        keytab = self._unseal(base64.b64decode(applied.sealed), keytab_aad(applied.principal))
        if self._file is not None:
            self._file.close()
        self._file = _KeytabFile(keytab)
        path = self._file.open()
        self._acceptor = _GssAcceptor(_credentials(applied.principal, path))
        self._applied = applied


class _GssAcceptor:
    def __init__(self, creds: Any) -> None:
        self._creds = creds

    def accept(self, gss_token: bytes) -> KerberosAcceptance:
        import gssapi
        from gssapi.raw import inquire_sec_context_by_oid

        context = gssapi.SecurityContext(creds=self._creds, usage="accept")
        try:
            answer = context.step(gss_token)
        except gssapi.exceptions.GSSError as exc:
            raise _refusal(exc) from None
        if answer or not context.complete:
            # An AP-REP would carry the acceptor's subkey, which the token profile has no way
            # to send: the client would sign with one key and expect answers with another.
            raise InvalidSecurityError(
                "The Kerberos AP-REQ asks for mutual authentication, which the WS-Security "
                "Kerberos token profile cannot answer; request the ticket without it."
            )
        oid = gssapi.OID.from_int_seq(_SSPI_SESSION_KEY_OID)
        try:
            key = inquire_sec_context_by_oid(context, oid)[0]
        except gssapi.exceptions.GSSError as exc:  # pragma: no cover - MIT supports it
            log.error("the Kerberos session key cannot be read: %s", _gss_text(exc))
            raise InvalidSecurityError(
                "This STS cannot read the Kerberos session key (its GSS-API library does not "
                "support GSS_C_INQ_SSPI_SESSION_KEY); an administrator must install MIT Kerberos."
            ) from None
        return KerberosAcceptance(str(context.initiator_name), bytes(key))


def _refusal(exc: Any) -> StsError:
    """A WS-Security fault for a refused AP-REQ: what was wrong, never key material."""
    minor = getattr(exc, "min_code", 0) or 0
    if minor >= 2**31:
        minor -= 2**32
    log.info("refused a Kerberos AP-REQ: %s", _gss_text(exc))
    if minor == _TKT_EXPIRED:
        return FailedAuthenticationError(
            "The Kerberos ticket has expired; obtain a new one (kinit) and send the request again."
        )
    if minor == _TKT_NOT_YET_VALID:
        return FailedAuthenticationError("The Kerberos ticket is not valid yet.")
    if minor == _SKEW:
        return FailedAuthenticationError(
            "The Kerberos authenticator's time is too far from this STS's clock; synchronise "
            "the clocks and send a fresh request."
        )
    if minor == _REPLAY:
        return InvalidSecurityError(
            "This Kerberos AP-REQ was already received (a replayed message). Send a fresh "
            "request with a new AP-REQ."
        )
    if minor in (_NOT_US, _WRONG_PRINCIPAL, _KEYTAB_ENTRY_NOT_FOUND, _NO_KEY, _BAD_KEY_VERSION):
        return FailedAuthenticationError(
            "The Kerberos ticket is not for this STS's service principal (or was issued with a "
            "key the STS does not hold); request a ticket for the principal the STS's policy "
            "names."
        )
    if minor == _MODIFIED:
        return FailedAuthenticationError(
            "The Kerberos ticket could not be decrypted with this STS's key; request a new "
            "ticket for this STS's service principal."
        )
    return WsseInvalidTokenError(
        "The Kerberos AP-REQ could not be accepted; send a GSS-API Kerberos v5 AP-REQ for this "
        "STS's service principal."
    )


def _gss_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


def _credentials(principal: str, keytab_path: Path) -> Any:
    import gssapi

    name = gssapi.Name(principal, gssapi.NameType.kerberos_principal)
    return gssapi.Credentials(name=name, usage="accept",
                              store={"keytab": f"FILE:{keytab_path}"})


def _runtime_parent() -> str | None:
    # A memory file system keeps the unsealed keys off the disk where there is one.
    for folder in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):  # noqa: S108 - mkdtemp below
        if folder and os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            return folder
    return None


_FOLDER_PREFIX = "stsdesk-kerberos-"


def _remove_leftovers(parent: str | None) -> None:
    """Remove the keytab folders a server process of this user left behind when it died
    without running its exit handlers (killed, crashed): the folder name carries its pid."""
    folder = Path(parent or tempfile.gettempdir())
    for leftover in folder.glob(f"{_FOLDER_PREFIX}*-*"):
        pid_text = leftover.name[len(_FOLDER_PREFIX):].split("-", 1)[0]
        try:
            if not pid_text.isdigit() or leftover.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            log.warning("removing the keytab folder %s a stopped server left", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
        except (OSError, ValueError):
            continue  # alive under another user, or gone meanwhile


class _KeytabFile:
    """The unsealed keytab in a private folder for as long as this object lives."""

    def __init__(self, keytab: bytes) -> None:
        self._keytab = keytab
        self._folder: str | None = None

    def open(self) -> Path:
        parent = _runtime_parent()
        _remove_leftovers(parent)
        self._folder = tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-", dir=parent)
        os.chmod(self._folder, 0o700)
        atexit.register(shutil.rmtree, self._folder, True)
        name = hashlib.sha256(self._keytab).hexdigest()[:16]
        path = Path(self._folder) / f"service-{name}.keytab"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, self._keytab)
        finally:
            os.close(fd)
        return path

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> Path:
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()
