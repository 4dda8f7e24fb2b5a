"""An administrator's own WS-SecurityPolicy over the admin API: checked before it is applied.

``POST /sts/security/policy-check`` answers with the engine's verdict on a document (what it
cannot enforce, by QName and place), so the console can show it before the administrator
applies anything; ``PUT /sts/security`` with ``policy`` applies the document only when that
verdict has nothing in it (``checked_own_policy``), and refuses with a 400 naming every
assertion otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from stsdesk.core.errors import InvalidRequestError, XmlInputError
from stsdesk.core.own_policy import MAX_POLICY_BYTES, checked_name
from stsdesk.core.wssec.policy_support import PolicyVerdict, check_policy
from stsdesk.server.admin.auth import Admin
from stsdesk.server.errors import ValidationError
from stsdesk.server.sts.kerberos import kerberos_unavailable_reason

__all__ = ["router", "OwnPolicy", "checked_own_policy", "PolicyVerdictModel"]

router = APIRouter(prefix="/sts", tags=["STS security"])


class PolicyCheckModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: str = Field(min_length=1, max_length=MAX_POLICY_BYTES,
                        description="A WS-SecurityPolicy document (a wsp:Policy, XML).")


class UnenforceableModel(BaseModel):
    assertion: str = Field(description="The assertion's QName in Clark notation "
                                       "({namespace}local).")
    name: str = Field(description="The assertion as written in the document (prefix:local).")
    path: str = Field(description="Where it stands: an XPath into the document.")
    line: int | None = None
    reason: str


class PolicyVerdictModel(BaseModel):
    enforceable: bool
    policyId: str | None = Field(default=None, description="The document's wsu:Id.")
    algorithmSuite: str | None = None
    asksFor: list[str] = Field(default_factory=list,
                               description="What applying it needs: roles, keystores, or "
                                           "servicePrincipal (a Kerberos service principal "
                                           "and its keytab).")
    unenforceable: list[UnenforceableModel] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list,
                             description="Assertions read and deliberately ignored.")


@dataclass(frozen=True)
class OwnPolicy:
    """A policy document the engine can enforce, its name, and what applying it needs."""

    name: str
    document: str
    verdict: PolicyVerdict

    @property
    def asks_for_roles(self) -> bool:
        return "roles" in self.verdict.asks_for

    @property
    def asks_for_keystores(self) -> bool:
        return "keystores" in self.verdict.asks_for

    @property
    def asks_for_service_principal(self) -> bool:
        """A Kerberos protection token: the STS's service principal and its keytab."""
        return "servicePrincipal" in self.verdict.asks_for


@router.post("/security/policy-check", summary="Check whether the STS can enforce a "
             "WS-SecurityPolicy document (nothing is applied)", response_model=PolicyVerdictModel)
def check_own_policy(_: Admin, body: PolicyCheckModel) -> PolicyVerdictModel:
    return verdict_model(_verdict(body.policy))


def checked_own_policy(name: str | None, document: str) -> OwnPolicy:
    """``document`` with its verdict; ValidationError naming what the engine cannot enforce."""
    try:
        display = checked_name(name or "")
    except InvalidRequestError as exc:
        raise ValidationError(exc.message) from exc
    verdict = _verdict(document)
    if not verdict.enforceable:
        listed = "; ".join(item.describe() for item in verdict.unenforceable)
        raise ValidationError(
            f"The security policy {display!r} cannot be applied: the STS cannot enforce "
            f"{len(verdict.unenforceable)} of its assertions. {listed} The applied policy is "
            "unchanged."
        )
    return OwnPolicy(display, document, verdict)


def verdict_model(verdict: PolicyVerdict) -> PolicyVerdictModel:
    return PolicyVerdictModel(
        enforceable=verdict.enforceable,
        policyId=verdict.policy_id,
        algorithmSuite=verdict.algorithm_suite,
        asksFor=list(verdict.asks_for),
        unenforceable=[UnenforceableModel(assertion=item.assertion, name=item.name,
                                          path=item.path, line=item.line, reason=item.reason)
                       for item in verdict.unenforceable],
        notes=list(verdict.notes),
    )


def _verdict(document: str) -> PolicyVerdict:
    raw = document.encode("utf-8")
    if len(raw) > MAX_POLICY_BYTES:
        raise ValidationError(
            f"The security policy document is larger than {MAX_POLICY_BYTES // 1024} KiB; a "
            "WS-SecurityPolicy is a few kilobytes."
        )
    try:
        # A Kerberos token is enforceable only where this server accepts tickets.
        return check_policy(raw, kerberos_unavailable=kerberos_unavailable_reason())
    except (InvalidRequestError, XmlInputError) as exc:  # not XML, hostile XML, or not a wsp:Policy
        raise ValidationError(f"The security policy document cannot be read: {exc.message}") \
            from exc

