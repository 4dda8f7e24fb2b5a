"""The admin API over WSO2 Identity Server 5.10 to 7.x (REST and SOAP admin services)."""

from stsdesk.services.admin.wso2.backend import WSO2_PRODUCT, Wso2AdminApi

__all__ = ["WSO2_PRODUCT", "Wso2AdminApi"]
