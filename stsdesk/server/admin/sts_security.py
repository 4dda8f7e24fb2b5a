"""STS security over the admin API: scenarios, apply/disable, proof key type, trusted services."""

from __future__ import annotations

import dataclasses
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE, AlgorithmSuite
from stsdesk.core.own_policy import MAX_POLICY_BYTES, OWN_POLICY_ID
from stsdesk.core.scenarios import (
    EVERYONE_ROLES,
    SCENARIOS,
    SCENARIOS_ENFORCED,
    Scenario,
    ScenarioCategory,
    find_scenario,
    policy_document,
)
from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import AdminContext, get_context
from stsdesk.server.admin.kerberos_service import kerberos_service
from stsdesk.server.admin.own_policy import OwnPolicy, checked_own_policy
from stsdesk.server.errors import NotFoundError, ValidationError
from stsdesk.server.model import ProofKeyType, SecurityPolicy
from stsdesk.server.sts.kerberos import kerberos_unavailable_reason, scenario_enforceable
from stsdesk.server.urls import STS_PATH, public_base_url

__all__ = [
    "router", "STS_PATH", "PRIMARY_KEYSTORE", "KEYSTORE_NAMES", "USER_STORE_DOMAINS",
    "FORBIDDEN_ROLES",
]

log = logging.getLogger("stsdesk.server.admin")

router = APIRouter(prefix="/sts", tags=["STS security"])

Context = Annotated[AdminContext, Depends(get_context)]

# Where the WS-Trust endpoint lives (the same path app.py routes; app.py cannot be imported
# from here without a cycle).
# The one keystore this STS has, under the name WSO2 shows for its primary keystore: the
# signing keys, and the trusted certificates imported next to them.
PRIMARY_KEYSTORE = "wso2carbon.jks"
KEYSTORE_NAMES = (PRIMARY_KEYSTORE,)
USER_STORE_DOMAINS = ("ALL-USER-STORE-DOMAINS", "PRIMARY")
# Roles every user has: allowing them would let anyone obtain tokens.
FORBIDDEN_ROLES = EVERYONE_ROLES
_STS_TARGET = "wso2carbon-sts"

_Name = Annotated[str, Field(min_length=1, max_length=256)]
ScenarioId = Annotated[
    str, Path(alias="scenarioId", min_length=1, max_length=64, description="e.g. scenario1")
]


class ScenarioModel(BaseModel):
    id: str = Field(examples=["scenario1"])
    number: int = Field(description="The console's display number (1 to 20), not the id.")
    summary: str
    description: str
    group: str = Field(description="basic or advanced")
    category: str = Field(description="ut, keystore, ut-keystore or kerberos")
    wsuId: str
    asksFor: list[str] = Field(description="What applying it needs: roles and/or keystores.")
    enforceable: bool = Field(description="Whether this STS can enforce it today.")


class ScenarioDetailModel(ScenarioModel):
    policy: str = Field(description="The scenario's WS-SecurityPolicy document (XML).")


_SUITE_DESCRIPTION = (
    "The WS-SecurityPolicy algorithm suite the applied policy names and the STS enforces: "
    "Basic256 (WSO2's scenarios: AES-256, RSA-OAEP, SHA-1 digests) or Basic256Sha256 "
    "(SHA-256 digests; clients must be configured for it)."
)


class SecurityModel(BaseModel):
    enabled: bool
    scenarioId: str
    userStoreDomain: str
    allowedRoles: list[str]
    trustedKeystores: list[str] = Field(
        description="Keystores whose certificates an X.509 client's certificate must chain to.")
    privateKeystore: str | None = Field(
        description="The keystore holding the STS's private key.")
    algorithmSuite: AlgorithmSuite = Field(description=_SUITE_DESCRIPTION)
    proofKeyType: ProofKeyType
    policyName: str | None = Field(
        default=None, description=f"With scenarioId {OWN_POLICY_ID}: the own policy's name.")
    policy: str | None = Field(
        default=None, description=f"With scenarioId {OWN_POLICY_ID}: the own "
                                  "WS-SecurityPolicy document the STS enforces.")
    servicePrincipal: str | None = Field(
        default=None, description="Scenario 20, or an own policy with a Kerberos token: the "
                                  "STS's Kerberos service principal (its keytab is stored "
                                  "sealed and never returned).")


class ApplySecurityModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenarioId: str | None = Field(
        default=None, min_length=1, max_length=64, examples=["scenario1"],
        description=f"A catalogue scenario; leave it out (or {OWN_POLICY_ID}) with policy.")
    policyName: str | None = Field(
        default=None, max_length=256, examples=["Signed with Basic256Sha256"],
        description="The name of an own policy (with policy).")
    policy: str | None = Field(
        default=None, min_length=1, max_length=MAX_POLICY_BYTES,
        description="An own WS-SecurityPolicy document (a wsp:Policy) instead of a scenario: "
                    "applied only if the STS can enforce every assertion in it (see "
                    "POST /sts/security/policy-check).")
    userStoreDomain: str = Field(default="ALL-USER-STORE-DOMAINS", min_length=1, max_length=64)
    allowedRoles: list[_Name] = Field(default_factory=list, max_length=100,
                                      examples=[["admin"]])
    trustedKeystores: list[_Name] = Field(
        default_factory=list, max_length=20, examples=[["wso2carbon.jks"]],
        description="For keystore scenarios: names from /sts/keystores whose certificates an "
                    "X.509 client's certificate must chain to.")
    privateKeystore: _Name | None = Field(
        default=None, examples=["wso2carbon.jks"],
        description="For keystore scenarios: the keystore (from /sts/keystores) holding the "
                    "STS's private key.")
    algorithmSuite: AlgorithmSuite = Field(default=DEFAULT_ALGORITHM_SUITE,
                                           description=_SUITE_DESCRIPTION)
    servicePrincipal: str | None = Field(
        default=None, max_length=256, examples=["HTTP/sts.example.org@EXAMPLE.ORG"],
        description="For scenario 20, or an own policy with a Kerberos token (its verdict asks "
                    "for servicePrincipal): the Kerberos service principal clients request "
                    "tickets for.")
    keytab: str | None = Field(
        default=None, max_length=128 * 1024,
        description="With servicePrincipal: the principal's keytab file in base64 (kadmin ktadd "
                    "-norandkey). May be left out to keep the stored one of the same principal.")


class ProofKeyTypeModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proofKeyType: ProofKeyType


class TrustedServiceModel(BaseModel):
    audience: str
    certificateAlias: str | None
    applicationId: str
    applicationName: str


class KeystoreModel(BaseModel):
    keyStoreName: str
    privateStore: bool


class EndpointsModel(BaseModel):
    sts: str = Field(examples=["https://localhost:9443/services/wso2carbon-sts"])
    wsdl: str = Field(examples=["https://localhost:9443/services/wso2carbon-sts?wsdl"])


# ---------------------------------------------------------------------------------- scenarios


@router.get("/scenarios", summary="List the security scenarios", response_model=list[ScenarioModel])
def list_scenarios(_: Admin) -> list[ScenarioModel]:
    return [_scenario_model(scenario) for scenario in SCENARIOS]


@router.get("/scenarios/{scenarioId}", summary="Get a security scenario and its policy",
            response_model=ScenarioDetailModel)
def get_scenario(_: Admin, scenario_id: ScenarioId) -> ScenarioDetailModel:
    scenario = _known_scenario(scenario_id)
    return ScenarioDetailModel(
        **_scenario_model(scenario).model_dump(),
        policy=policy_document(scenario.id).decode("utf-8"),
    )


@router.get(
    "/scenarios/{scenarioId}/policy",
    summary="Get a security scenario's WS-SecurityPolicy document",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "The wsp:Policy."}},
)
def get_scenario_policy(_: Admin, scenario_id: ScenarioId) -> Response:
    scenario = _known_scenario(scenario_id)
    return Response(policy_document(scenario.id), media_type="application/xml")


# ---------------------------------------------------------------------------------- applied policy


@router.get("/security", summary="Get the applied security policy", response_model=SecurityModel,
            response_model_exclude_unset=True)
def get_security(_: Admin, context: Context) -> SecurityModel:
    return _security_model(context.store.config.get_security_policy())


@router.put(
    "/security",
    summary="Apply a security scenario or an own WS-SecurityPolicy document (only what the "
            "STS can enforce is accepted)",
    response_model=SecurityModel,
    response_model_exclude_unset=True,  # servicePrincipal only under a Kerberos policy
)
def apply_security(actor: Admin, context: Context, body: ApplySecurityModel) -> SecurityModel:
    scenario_id = body.scenarioId
    if body.policy is not None or scenario_id is None or scenario_id == OWN_POLICY_ID:
        return _apply_own_policy(actor, context, body)
    scenario = find_scenario(scenario_id)
    if scenario is None:
        raise ValidationError(
            f"There is no security scenario {scenario_id!r}. Choose one of "
            f"{', '.join(s.id for s in SCENARIOS)}."
        )
    if scenario.category is ScenarioCategory.KERBEROS and kerberos_unavailable_reason():
        # Scenario 20 is enforced where Kerberos is installed: say what to install.
        raise ValidationError(f"Scenario 20 cannot be applied here. {kerberos_unavailable_reason()}")
    if not (scenario.enforceable or scenario_enforceable(scenario.id)):
        raise ValidationError(
            f"The scenario {scenario.id} ({scenario.summary.strip()}) cannot be enforced yet; "
            f"enforceable: {', '.join(sorted(SCENARIOS_ENFORCED))}. The applied policy is "
            "unchanged."
        )
    access = _access(context, scenario, body)
    _, applied = context.store.config.update(
        SecurityPolicy,
        lambda current: access.applied_to(
            current,
            scenario_id=scenario.id,
            algorithm_suite=body.algorithmSuite,
            policy_name=None,
            policy_document=None,
        ),
    )
    record(context, actor, "sts.security.apply", _STS_TARGET,
           f"scenario {scenario.id}; {access.describe()}; "
           f"algorithm suite {body.algorithmSuite.value}{access.principal_note()}")
    log.info("security scenario %s applied by %s", scenario.id, actor)
    return _security_model(applied)


@router.delete(
    "/security",
    summary="Disable security: the STS then issues no tokens until a scenario is applied",
    status_code=204,
    response_class=Response,
)
def disable_security(actor: Admin, context: Context) -> Response:
    current, _ = context.store.config.update(
        SecurityPolicy, lambda policy: dataclasses.replace(policy, enabled=False)
    )
    if current.enabled:
        record(context, actor, "sts.security.disable", _STS_TARGET,
               f"scenario {current.scenario_id} disabled")
        log.info("security disabled by %s", actor)
    return Response(status_code=204)


def _apply_own_policy(actor: str, context: AdminContext, body: ApplySecurityModel
                      ) -> SecurityModel:
    if body.policy is None:
        raise ValidationError(
            "Give scenarioId (for example scenario1), or policy with an own WS-SecurityPolicy "
            "document and policyName."
        )
    if body.scenarioId not in (None, OWN_POLICY_ID):
        raise ValidationError(
            f"Give either scenarioId or policy, not both (scenarioId {OWN_POLICY_ID} or none "
            "goes with policy)."
        )
    own = checked_own_policy(body.policyName, body.policy)
    # A Kerberos protection token needs the principal and keytab as scenario 20 does; any
    # other policy drops a keytab applied before.
    access = _access(context, own, body)
    _, applied = context.store.config.update(
        SecurityPolicy,
        lambda current: access.applied_to(
            current, scenario_id=OWN_POLICY_ID, policy_name=own.name,
            policy_document=own.document,
        ),
    )
    record(context, actor, "sts.security.apply", _STS_TARGET,
           f"own policy {own.name!r} (wsu:Id {own.verdict.policy_id or '-'}, algorithm suite "
           f"{own.verdict.algorithm_suite or '-'}); {access.describe()}{access.principal_note()}")
    log.info("own security policy %r applied by %s", own.name, actor)
    return _security_model(applied)


# ---------------------------------------------------------------------------------- proof key type


@router.get("/proof-key-type", summary="Get how symmetric proof keys are handed to clients",
            response_model=ProofKeyTypeModel)
def get_proof_key_type(_: Admin, context: Context) -> ProofKeyTypeModel:
    policy = context.store.config.get_security_policy()
    return ProofKeyTypeModel(proofKeyType=policy.proof_key_type)


@router.put("/proof-key-type", summary="Set the proof key type (EncryptedKey or BinarySecret)",
            response_model=ProofKeyTypeModel)
def set_proof_key_type(
    actor: Admin, context: Context, body: ProofKeyTypeModel
) -> ProofKeyTypeModel:
    current, _ = context.store.config.update(
        SecurityPolicy, lambda policy: dataclasses.replace(policy, proof_key_type=body.proofKeyType)
    )
    if current.proof_key_type is not body.proofKeyType:
        record(context, actor, "sts.proof-key-type.update", _STS_TARGET,
               f"{current.proof_key_type.value} -> {body.proofKeyType.value}")
    return ProofKeyTypeModel(proofKeyType=body.proofKeyType)


# ---------------------------------------------------------------------------------- read-only views


@router.get(
    "/trusted-services",
    summary="List the trusted services (add or remove them through an application's "
            "ws-trust inbound protocol, as in WSO2's REST API)",
    response_model=list[TrustedServiceModel],
)
def list_trusted_services(_: Admin, context: Context) -> list[TrustedServiceModel]:
    return [
        TrustedServiceModel(
            audience=party.audience,
            certificateAlias=party.certificate_alias,
            applicationId=party.application_id,
            applicationName=party.name,
        )
        for party in context.store.snapshot().relying_parties
    ]


@router.get("/keystores", summary="List the keystores a scenario can trust or sign with",
            response_model=list[KeystoreModel])
def list_keystores(_: Admin) -> list[KeystoreModel]:
    return [KeystoreModel(keyStoreName=name, privateStore=name == PRIMARY_KEYSTORE)
            for name in KEYSTORE_NAMES]


@router.get("/endpoints", summary="Get the STS endpoint and WSDL addresses",
            response_model=EndpointsModel)
def get_endpoints(_: Admin, context: Context, request: Request) -> EndpointsModel:
    sts = public_base_url(request, context.settings) + STS_PATH
    return EndpointsModel(sts=sts, wsdl=f"{sts}?wsdl")


# ---------------------------------------------------------------------------------- helpers


def _known_scenario(scenario_id: str) -> Scenario:
    scenario = find_scenario(scenario_id)
    if scenario is None:
        raise NotFoundError(
            f"There is no security scenario {scenario_id!r}. The scenarios are "
            f"{', '.join(s.id for s in SCENARIOS)}."
        )
    return scenario


def _scenario_model(scenario: Scenario) -> ScenarioModel:
    return ScenarioModel(
        id=scenario.id,
        number=scenario.number,
        summary=scenario.summary,
        description=scenario.description,
        group=scenario.group.value,
        category=scenario.category.value,
        wsuId=scenario.wsu_id,
        asksFor=list(scenario.asks_for),
        enforceable=scenario.enforceable or scenario_enforceable(scenario.id),
    )


def _security_model(policy: SecurityPolicy) -> SecurityModel:
    return SecurityModel(
        enabled=policy.enabled,
        scenarioId=policy.scenario_id,
        userStoreDomain=policy.user_store_domain,
        allowedRoles=list(policy.allowed_roles),
        trustedKeystores=list(policy.trusted_keystores),
        privateKeystore=policy.private_keystore,
        algorithmSuite=policy.algorithm_suite,
        proofKeyType=policy.proof_key_type,
        # Only an own policy has these; a scenario's answer leaves them out.
        **({"policyName": policy.policy_name, "policy": policy.policy_document}
           if policy.scenario_id == OWN_POLICY_ID else {}),
        **({"servicePrincipal": policy.service_principal} if policy.service_principal else {}),
    )


@dataclasses.dataclass(frozen=True)
class _Access:
    """Who may obtain tokens, and with which keys: what a scenario and an own policy alike are
    applied with, checked against what the scenario or policy asks for."""

    domain: str
    roles: tuple[str, ...]
    trusted: tuple[str, ...]
    private: str | None
    principal: str | None
    keytab: str | None  # sealed, as base64

    def applied_to(self, current: SecurityPolicy, *, scenario_id: str, policy_name: str | None,
                   policy_document: str | None, algorithm_suite: AlgorithmSuite | None = None
                   ) -> SecurityPolicy:
        """``current`` enabled with these settings for a scenario or an own policy (whose suite
        is the document's: the stored one is left as it is)."""
        return dataclasses.replace(
            current, enabled=True, scenario_id=scenario_id, user_store_domain=self.domain,
            allowed_roles=self.roles, trusted_keystores=self.trusted,
            private_keystore=self.private, policy_name=policy_name,
            policy_document=policy_document, service_principal=self.principal,
            service_keytab=self.keytab, algorithm_suite=algorithm_suite or current.algorithm_suite,
        )

    def describe(self) -> str:
        """For the audit log (no keytab in it)."""
        return (f"domain {self.domain}; roles {', '.join(self.roles) or '-'}; keystores "
                f"{', '.join(self.trusted) or '-'}; private keystore {self.private or '-'}")

    def principal_note(self) -> str:
        return f"; service principal {self.principal}" if self.principal else ""


def _access(context: AdminContext, applied: Scenario | OwnPolicy, body: ApplySecurityModel
            ) -> _Access:
    """The body's access settings for ``applied``; ValidationError when one is missing or wrong."""
    domain = _user_store_domain(body.userStoreDomain)
    roles = _allowed_roles(context, applied, body.allowedRoles)
    trusted, private = _keystores(applied, body.trustedKeystores, body.privateKeystore)
    principal, keytab = kerberos_service(
        context.keystore, applied, body.servicePrincipal, body.keytab,
        context.store.config.get_security_policy())
    return _Access(domain, roles, trusted, private, principal, keytab)


def _user_store_domain(value: str) -> str:
    domain = value.strip().upper()
    if domain not in USER_STORE_DOMAINS:
        raise ValidationError(
            f"The user store domain {value!r} does not exist here; choose "
            f"{' or '.join(USER_STORE_DOMAINS)}."
        )
    return domain


def _allowed_roles(context: AdminContext, scenario: Scenario | OwnPolicy, names: list[str]
                   ) -> tuple[str, ...]:
    roles = tuple(dict.fromkeys(name.strip() for name in names))  # order kept, repeats dropped
    if scenario.asks_for_roles and not roles:
        raise ValidationError(
            f"The {_what(scenario)} authenticates users: give at least one role in "
            "allowedRoles (for example admin); only users with one of them obtain tokens."
        )
    forbidden = [role for role in roles if role.lower() in FORBIDDEN_ROLES]
    if forbidden:
        raise ValidationError(
            f"The role {forbidden[0]!r} cannot be allowed: every user has it, so anyone could "
            "obtain tokens. Choose roles that name who may."
        )
    existing = set(context.store.roles.names())
    missing = [role for role in roles if role not in existing]
    if missing:
        raise ValidationError(
            f"These roles do not exist: {', '.join(missing)}. Create them first (SCIM Groups) "
            "or choose existing ones."
        )
    return roles


def _keystores(
    scenario: Scenario | OwnPolicy, trusted: list[str], private: str | None
) -> tuple[tuple[str, ...], str | None]:
    names = tuple(dict.fromkeys(name.strip() for name in trusted))
    unknown = [name for name in names if name not in KEYSTORE_NAMES]
    if unknown:
        raise ValidationError(
            f"There is no keystore named {unknown[0]!r}; the keystores are "
            f"{', '.join(KEYSTORE_NAMES)}."
        )
    if private is not None:
        private = private.strip()
        if private != PRIMARY_KEYSTORE:
            raise ValidationError(
                f"The private keystore must hold the STS's signing key: choose "
                f"{PRIMARY_KEYSTORE}, not {private!r}."
            )
    if scenario.asks_for_keystores and (not names or private is None):
        raise ValidationError(
            f"The {_what(scenario)} needs keystores: give trustedKeystores (for example "
            f"[\"{PRIMARY_KEYSTORE}\"]) and privateKeystore \"{PRIMARY_KEYSTORE}\"."
        )
    return names, private


def _what(applied: Scenario | OwnPolicy) -> str:
    if isinstance(applied, OwnPolicy):
        return f"security policy {applied.name!r}"
    return f"scenario {applied.id}"
