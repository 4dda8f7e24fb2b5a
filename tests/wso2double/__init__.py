"""A contract double of WSO2 Identity Server's admin interfaces, built from WSO2's own definitions.

It validates every SOAP request against the message schemas of WSO2's WSDLs and every REST
request body against WSO2's OpenAPI schemas, refuses what WSO2 would refuse (WSO2-shaped JSON
errors and SOAP faults), keeps state so that a change reads back, records the calls, and plays
several versions (see ``profiles.VERSIONS``).
"""

from tests.wso2double.profiles import VERSIONS, DoubleProfile
from tests.wso2double.server import Call, Wso2Double

__all__ = ["VERSIONS", "Call", "DoubleProfile", "Wso2Double"]
