"""What each `stsdesk admin` command does with the typed admin API (parsing is in admin_cli)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from stsdesk.admin_cli import UsageError, read_text
from stsdesk.services.admin.api import AdminApi, Capability
from stsdesk.services.admin.models import (
    ApplicationDraft,
    OwnPolicyRequest,
    RequestedClaim,
    SecurityPolicyRequest,
    UserDraft,
    WsTrustConfig,
)
from stsdesk.services.admin.wso2 import Wso2AdminApi
from stsdesk.services.errors import InvalidInputError, NotFoundError, UnsupportedError

__all__ = ["dispatch"]

Emit = Callable[..., None]
Table = Callable[[Sequence[Sequence[str]], Sequence[str]], str]


def dispatch(api: AdminApi, args: argparse.Namespace, emit: Emit, table: Table) -> None:
    group, action = args.admin_group, str(getattr(args, "admin_action", ""))
    if group == "info":
        _info(api, args, emit)
        return
    handler = _COMMANDS[group]
    handler(api, args, action, emit, table)


def _info(api: AdminApi, args: argparse.Namespace, emit: Emit) -> None:
    info, capabilities = api.server_info(), api.capabilities()
    result = {"product": info.product, "version": info.version, "url": api.base_url,
              "missing": {c.value: reason for c, reason in capabilities.missing.items()}}
    emit(args, result)


# -- resident IdP ---------------------------------------------------------------------------------


def _resident(api: AdminApi, args: argparse.Namespace, action: str, emit: Emit,
              table: Table) -> None:
    current = api.get_resident_idp()
    if action == "set":
        wanted = replace(
            current,
            home_realm_identifiers=tuple(args.realm) if args.realm
            else current.home_realm_identifiers,
            idle_session_timeout_minutes=args.idle_timeout
            if args.idle_timeout is not None else current.idle_session_timeout_minutes,
            remember_me_minutes=args.remember_me
            if args.remember_me is not None else current.remember_me_minutes)
        current = api.update_resident_idp(current, wanted)
    emit(args, current)


# -- security -----------------------------------------------------------------------------------


def _security(api: AdminApi, args: argparse.Namespace, action: str, emit: Emit,
              table: Table) -> None:
    if action == "scenarios":
        scenarios = api.list_scenarios()
        emit(args, scenarios, lambda items: table(
            [(s.id, s.category, s.summary) for s in items], ("ID", "CATEGORY", "SUMMARY")))
    elif action == "show":
        policy = api.get_security_policy()
        emit(args, policy)
    elif action == "apply":
        emit(args, api.apply_security_policy(SecurityPolicyRequest(
            scenario_id=args.scenario, **_access(args))))
    elif action in ("check-policy", "apply-policy"):
        _own_policy(api, args, action, emit)
    elif action == "disable":
        api.disable_security()
        emit(args, {"enabled": False})
    elif action == "proof-key-type":
        value = (api.set_proof_key_type(args.value) if args.value
                 else api.get_proof_key_type())
        emit(args, {"proofKeyType": value}, lambda item: item["proofKeyType"])


def _own_policy(api: AdminApi, args: argparse.Namespace, action: str, emit: Emit) -> None:
    if action == "check-policy":
        verdict = api.check_own_policy(read_text(args.file, "policy file"))
        emit(args, verdict, lambda v: "\n".join(
            (["The STS can enforce this policy."] if v.enforceable else
             ["The STS cannot enforce:"] + [f"  {issue.describe()}" for issue in v.unenforceable])
            + [f"Note: {note}" for note in v.notes]))
        if not verdict.enforceable:
            raise InvalidInputError(400, "", "Not enforceable", (
                f"the STS cannot enforce {len(verdict.unenforceable)} assertion(s) of "
                f"{args.file}"))
        return
    if args.file is None and not args.registry_path:
        raise UsageError("Give the policy file (or, for WSO2, --registry-path).")
    emit(args, api.apply_own_policy(OwnPolicyRequest(
        name=args.name or (args.file.stem if args.file is not None else args.registry_path),
        document=read_text(args.file, "policy file") if args.file is not None else "",
        registry_path=args.registry_path, **_access(args))))


def _access(args: argparse.Namespace) -> dict[str, Any]:
    """The access settings ``apply`` and ``apply-policy`` take alike (admin_cli's
    _access_arguments), as the request records' fields of the same names."""
    return {"user_store_domain": args.user_store_domain, "allowed_roles": tuple(args.role),
            "trusted_keystores": tuple(args.trusted_keystore),
            "private_keystore": args.private_keystore,
            "service_principal": args.service_principal, "keytab": _keytab(args.keytab)}


def _keytab(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read the keytab {path} ({exc.strerror}).") from exc


def _trusted(api: AdminApi, args: argparse.Namespace, action: str, emit: Emit,
             table: Table) -> None:
    if action == "list":
        services = api.list_trusted_services()
        emit(args, services, lambda items: table(
            [(t.audience, t.certificate_alias or "-", t.application_name or "-")
             for t in items], ("AUDIENCE", "ALIAS", "SERVICE PROVIDER")))
        return
    if not isinstance(api, Wso2AdminApi):
        raise UnsupportedError(
            "On an stsdesk server a trusted service is a service provider's WS-Trust "
            "configuration: use `stsdesk admin sp ws-trust set APP AUDIENCE`.",
            capability=Capability.TRUSTED_SERVICES.value)
    if action == "add":
        api.add_trusted_service(args.audience, args.alias)
    else:
        if args.audience not in {t.audience for t in api.list_trusted_services()}:
            raise NotFoundError(404, "", "Not Found",
                                f"There is no trusted service {args.audience!r}.")
        api.remove_trusted_service(args.audience)
    emit(args, api.list_trusted_services(), lambda items: "\n".join(
        t.audience for t in items) or "(no trusted services)")


# -- service providers --------------------------------------------------------------------------


def _application_id(api: AdminApi, given: str) -> str:
    """An id as given, or the id of the service provider named ``given``."""
    page = api.list_applications(limit=1000)
    for summary in page.applications:
        if given in (summary.id, summary.name):
            return summary.id
    raise NotFoundError(404, "", "Not Found", f"There is no service provider {given!r}.")


def _claims(values: Sequence[str]) -> tuple[RequestedClaim, ...]:
    return tuple(RequestedClaim(uri=value.rstrip("!"), mandatory=value.endswith("!"))
                 for value in values)


def _sp(api: AdminApi, args: argparse.Namespace, action: str, emit: Emit, table: Table) -> None:
    if action == "list":
        page = api.list_applications(limit=1000)
        emit(args, page.applications, lambda items: table(
            [(a.id, a.name, a.description) for a in items], ("ID", "NAME", "DESCRIPTION")))
    elif action == "create":
        emit(args, api.create_application(ApplicationDraft(
            name=args.name, description=args.description,
            requested_claims=_claims(args.claim), subject_claim=args.subject_claim)))
    elif action == "show":
        emit(args, api.get_application(_application_id(api, args.application)))
    elif action == "delete":
        api.delete_application(_application_id(api, args.application))
        emit(args, {"deleted": args.application})
    elif action == "ws-trust":
        application_id = _application_id(api, args.application)
        if args.ws_action == "show":
            config = api.get_ws_trust(application_id)
            if config is None:
                raise NotFoundError(404, "", "Not Found",
                                    f"{args.application!r} has no WS-Trust configuration.")
            emit(args, config)
        elif args.ws_action == "set":
            emit(args, api.put_ws_trust(application_id,
                                        WsTrustConfig(args.audience, args.alias)))
        else:
            api.delete_ws_trust(application_id)
            emit(args, {"deleted": f"{args.application} WS-Trust"})


# -- trust store --------------------------------------------------------------------------------


def _certs(api: AdminApi, args: argparse.Namespace, action: str, emit: Emit,
           table: Table) -> None:
    if action == "list":
        emit(args, api.list_certificates(), lambda items: table(
            [(c.alias, c.subject, c.not_after.date().isoformat()) for c in items],
            ("ALIAS", "SUBJECT", "EXPIRES")))
    elif action == "import":
        emit(args, api.import_certificate(args.alias, _certificate_text(args.file)))
    elif action == "export":
        pem = api.export_certificate(args.alias)
        if args.output is not None:
            try:
                args.output.write_text(pem, "ascii")
            except OSError as exc:
                raise UsageError(f"Cannot write {args.output} ({exc.strerror}).") from exc
            emit(args, {"alias": args.alias, "file": str(args.output)})
        elif args.json:
            emit(args, {"alias": args.alias, "pem": pem})
        else:
            print(pem, end="")
    elif action == "delete":
        api.delete_certificate(args.alias)
        emit(args, {"deleted": args.alias})


def _certificate_text(path: Any) -> str:
    import base64

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read the certificate {path} ({exc.strerror}).") from exc
    if data.lstrip().startswith(b"-----BEGIN"):
        return str(data.decode("ascii", "replace"))
    return base64.b64encode(data).decode("ascii")  # DER: the API takes it as base64


# -- users and roles ----------------------------------------------------------------------------


def _users(api: AdminApi, args: argparse.Namespace, action: str, emit: Emit,
           table: Table) -> None:
    if action == "list":
        page = api.list_users(limit=1000)
        emit(args, page.users, lambda items: table(
            [(u.id, u.user_name, u.email, ", ".join(u.role_names)) for u in items],
            ("ID", "USER NAME", "E-MAIL", "ROLES")))
        return
    password = read_text(args.user_password_file, "user password file")
    emit(args, api.create_user(UserDraft(
        user_name=args.user_name, password=password, given_name=args.given_name,
        family_name=args.family_name, email=args.email)))


def _roles(api: AdminApi, args: argparse.Namespace, action: str, emit: Emit,
           table: Table) -> None:
    if action == "list":
        emit(args, api.list_roles(), lambda items: table(
            [(r.id, r.name, ", ".join(r.member_names)) for r in items],
            ("ID", "NAME", "MEMBERS")))
        return
    members = []
    for name in args.member:
        found = [u for u in api.list_users(user_name_prefix=name).users if u.user_name == name]
        if not found:
            raise NotFoundError(404, "", "Not Found", f"There is no user {name!r}.")
        members.append(found[0].id)
    created = api.create_role(args.name, members)
    # Read back from the list: a creation answer may name members by id only (SCIM returns
    # their display names when asked for them).
    emit(args, next((r for r in api.list_roles() if r.id == created.id), created))


_COMMANDS: dict[str, Callable[[AdminApi, argparse.Namespace, str, Emit, Table], None]] = {
    "resident-idp": _resident,
    "security": _security,
    "trusted-services": _trusted,
    "sp": _sp,
    "certs": _certs,
    "users": _users,
    "roles": _roles,
}
