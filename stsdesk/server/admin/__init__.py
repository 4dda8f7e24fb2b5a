"""The admin REST API and SCIM 2.0, shaped like WSO2 Identity Server's APIs."""
