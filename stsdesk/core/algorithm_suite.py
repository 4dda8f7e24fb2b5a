"""The WS-SecurityPolicy algorithm suites an administrator may choose for an applied policy.

WSO2's scenario policies all say ``sp:Basic256``; the administrator may choose
``Basic256Sha256`` instead. What each suite stands for is the message-security engine's one
table (:data:`stsdesk.core.wssec.algorithms.ALGORITHM_SUITES`, every suite of
WS-SecurityPolicy); the choice offered here is a selection of it, so the wizard, the WSDL and
the engine cannot disagree about what a suite means.
"""

from __future__ import annotations

from enum import StrEnum

from stsdesk.core.wssec.algorithms import ALGORITHM_SUITES
from stsdesk.core.wssec.algorithms import AlgorithmSuite as SuiteAlgorithms

__all__ = ["AlgorithmSuite", "SuiteAlgorithms", "DEFAULT_ALGORITHM_SUITE", "suite_algorithms"]


class AlgorithmSuite(StrEnum):
    """An ``sp:AlgorithmSuite`` choice; the value is the assertion's local name."""

    BASIC256 = "Basic256"
    BASIC256_SHA256 = "Basic256Sha256"


# WSO2's scenario files say Basic256: the default keeps clients configured from them working.
DEFAULT_ALGORITHM_SUITE = AlgorithmSuite.BASIC256


def suite_algorithms(suite: AlgorithmSuite) -> SuiteAlgorithms:
    """The algorithms ``suite`` names: its row of the engine's table."""
    return ALGORITHM_SUITES[suite.value]
