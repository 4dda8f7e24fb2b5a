"""The audience rule the WS-Trust wizard and the admin API share."""

from __future__ import annotations

import pytest

from stsdesk.core.audiences import MAX_AUDIENCE_LENGTH, audience_problem


@pytest.mark.parametrize(
    "audience",
    [
        "https://rp.example.org/service",
        "http://rp:8080/x",
        "https://[::1]:9443/rp",
        "urn:example:rp",
        "URN:Example:RP",
        "*",
        "https://rp.example.org/" + "a" * (MAX_AUDIENCE_LENGTH - 23),
    ],
)
def test_absolute_addresses_urns_and_the_wildcard_are_audiences(audience):
    assert audience_problem(audience) is None


@pytest.mark.parametrize(
    ("audience", "reason"),
    [
        ("", "empty"),
        ("https://rp.example.org/a b", "spaces"),
        ("https://rp.example.org/\x07", "control characters"),
        ("rp.example.org", "not an absolute address"),
        ("https://", "not an absolute address"),
        ("ftp://rp.example.org/", "not an absolute address"),
        ("urn:", "not an absolute address"),
        ("urn:x", "not an absolute address"),
        ("**", "not an absolute address"),
        ("http://[::1", "not an absolute address"),  # urlsplit raises; the rule does not
        ("https://rp.example.org/" + "a" * MAX_AUDIENCE_LENGTH, f"at most {MAX_AUDIENCE_LENGTH}"),
    ],
)
def test_what_is_not_an_audience_is_said_with_what_to_give(audience, reason):
    problem = audience_problem(audience)
    assert problem is not None and reason in problem
    assert "https://rp.example.org/service" in problem or "AppliesTo" in problem
