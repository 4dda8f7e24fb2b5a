"""The security context lifetime is the administrator's setting: over real HTTPS, a context
issued (and renewed) after the setting changed lives as long as it says, never longer than
the maximum token lifetime; the client reads the lifetime from the RSTR as any client would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from stsdesk.core import ns
from tests.e2e.test_context_recheck import Sts, bootstrap, control, sts  # noqa: F401 - fixture
from tests.helpers import certfactory
from tests.helpers import wss_client as wc

DEFAULTS = {"defaultLifetimeSeconds": 300, "maxLifetimeSeconds": 28800, "clockSkewSeconds": 300,
            "securityContextLifetimeSeconds": 3600}


def lives_for(expires: str) -> float:
    """Seconds from now until an xs:dateTime the STS wrote."""
    when = dt.datetime.fromisoformat(expires.replace("Z", "+00:00"))
    return (when - dt.datetime.now(dt.UTC)).total_seconds()


@pytest.fixture
def settings(sts: Sts) -> Iterator[None]:  # noqa: F811 - the imported fixture
    yield
    sts.call("PUT", "/sts/token-settings", DEFAULTS, status=200)


def test_a_context_lives_as_long_as_the_administrator_says(
    sts: Sts, settings: None  # noqa: F811
) -> None:
    laptop = certfactory.issue("lifetime-laptop", issuer=sts.ca)
    assert 3500 < lives_for(bootstrap(sts, laptop).expires) <= 3600  # the default: an hour

    sts.call("PUT", "/sts/token-settings",
             {**DEFAULTS, "securityContextLifetimeSeconds": 600}, status=200)
    context = bootstrap(sts, laptop)
    assert 540 < lives_for(context.expires) <= 600
    renewed = control(sts, "renew", context)
    assert renewed.status_code == 200, renewed.text[:600]
    body = wc.check_response(renewed.content, session_key=context.key).body
    assert 540 < lives_for(body.findtext(f".//{{{ns.WSU}}}Expires")) <= 600


def test_a_context_never_outlives_the_maximum_token_lifetime(
    sts: Sts, settings: None  # noqa: F811
) -> None:
    sts.call("PUT", "/sts/token-settings", {**DEFAULTS, "defaultLifetimeSeconds": 120,
                                            "maxLifetimeSeconds": 240,
                                            "securityContextLifetimeSeconds": 7200}, status=200)
    laptop = certfactory.issue("capped-laptop", issuer=sts.ca)
    assert 180 < lives_for(bootstrap(sts, laptop).expires) <= 240
