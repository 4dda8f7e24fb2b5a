"""Every XML namespace and protocol URI stsdesk reads or writes, in one place."""

from __future__ import annotations

from typing import Final

__all__ = [
    "SOAP11", "SOAP12", "WSA_2004", "WSA_2005", "WSP_2004", "WSP_W3C", "WSP_2006",
    "WSSE", "WSSE11", "WSU", "WST_2005", "WST_13", "WST_14", "WSID", "DS", "XENC", "XENC11",
    "EXC_C14N", "SAML11", "SAML11P", "SAML2", "SAML2P", "XSI", "XS", "SP_2005", "SP_12",
    "WSDL", "WSDL_SOAP11", "WSDL_SOAP12", "WSAW", "WSAM", "WSX", "WSXFER", "WSAID",
    "MEX_GET_METADATA_REQUEST", "MEX_GET_METADATA_RESPONSE", "TRANSFER_GET", "TRANSFER_GET_RESPONSE",
    "SP_2005_INCLUDE_TOKEN", "SP_12_INCLUDE_TOKEN", "PASSWORD_TEXT", "PASSWORD_DIGEST",
    "BASE64_BINARY", "X509V3", "SAML11_ASSERTION_ID", "SAML2_ID", "TOKEN_SAML11",
    "TOKEN_SAML20", "TOKEN_SAML10_URN", "TOKEN_SAML20_URN", "IDENTITY_NO_PROOF_KEY",
    "WSO2_CLAIMS", "PREFIXES",
]

# SOAP envelopes
SOAP11: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"

# WS-Addressing: the 2004/08 submission (WSO2's Rahas client default) and 1.0
WSA_2004: Final = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSA_2005: Final = "http://www.w3.org/2005/08/addressing"

# WS-Policy (AppliesTo lives here)
WSP_2004: Final = "http://schemas.xmlsoap.org/ws/2004/09/policy"
WSP_W3C: Final = "http://www.w3.org/ns/ws-policy"
WSP_2006: Final = "http://www.w3.org/2006/07/ws-policy"

# WS-Security 1.0/1.1
WSSE: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSSE11: Final = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
WSU: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

# WS-Trust: February 2005 (WSO2 Rahas, ADFS /trust/2005), 1.3, and the 1.4 additions
WST_2005: Final = "http://schemas.xmlsoap.org/ws/2005/02/trust"
WST_13: Final = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
WST_14: Final = "http://docs.oasis-open.org/ws-sx/ws-trust/200802"

# Information card / identity claims dialect
WSID: Final = "http://schemas.xmlsoap.org/ws/2005/05/identity"
IDENTITY_NO_PROOF_KEY: Final = "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey"
WSO2_CLAIMS: Final = "http://wso2.org/claims"

# XML Signature and Encryption
DS: Final = "http://www.w3.org/2000/09/xmldsig#"
XENC: Final = "http://www.w3.org/2001/04/xmlenc#"
XENC11: Final = "http://www.w3.org/2009/xmlenc11#"
EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"

# SAML
SAML11: Final = "urn:oasis:names:tc:SAML:1.0:assertion"
SAML11P: Final = "urn:oasis:names:tc:SAML:1.0:protocol"
SAML2: Final = "urn:oasis:names:tc:SAML:2.0:assertion"
SAML2P: Final = "urn:oasis:names:tc:SAML:2.0:protocol"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
XS: Final = "http://www.w3.org/2001/XMLSchema"

# WS-SecurityPolicy: 2005/07 (WSO2's scenario files, ADFS's WS-Trust 2005 bindings) and 1.2;
# their IncludeToken URIs
# are the namespace followed by "/IncludeToken/Never", ".../AlwaysToRecipient" and so on.
SP_2005: Final = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
SP_12: Final = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
SP_2005_INCLUDE_TOKEN: Final = f"{SP_2005}/IncludeToken/"
SP_12_INCLUDE_TOKEN: Final = f"{SP_12}/IncludeToken/"

# WSDL
WSDL: Final = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP11: Final = "http://schemas.xmlsoap.org/wsdl/soap/"
WSDL_SOAP12: Final = "http://schemas.xmlsoap.org/wsdl/soap12/"
WSAW: Final = "http://www.w3.org/2006/05/addressing/wsdl"
WSAM: Final = "http://www.w3.org/2007/05/addressing/metadata"

# WS-MetadataExchange (2004/09, the version ADFS, WCF and WSO2 speak), WS-Transfer and the
# addressing identity extension that carries a service's certificate in an EndpointReference.
WSX: Final = "http://schemas.xmlsoap.org/ws/2004/09/mex"
WSXFER: Final = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
WSAID: Final = "http://schemas.xmlsoap.org/ws/2006/02/addressingidentity"
MEX_GET_METADATA_REQUEST: Final = f"{WSX}/GetMetadata/Request"
MEX_GET_METADATA_RESPONSE: Final = f"{WSX}/GetMetadata/Response"
TRANSFER_GET: Final = f"{WSXFER}/Get"
TRANSFER_GET_RESPONSE: Final = f"{WSXFER}/GetResponse"

# Token profile URIs
PASSWORD_TEXT: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
)
PASSWORD_DIGEST: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
)
BASE64_BINARY: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
X509V3: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
)
SAML11_ASSERTION_ID: Final = (
    "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID"
)
SAML2_ID: Final = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLID"
TOKEN_SAML11: Final = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1"
TOKEN_SAML20: Final = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"
TOKEN_SAML10_URN: Final = "urn:oasis:names:tc:SAML:1.0:assertion"
TOKEN_SAML20_URN: Final = "urn:oasis:names:tc:SAML:2.0:assertion"

# Conventional prefixes, used when stsdesk writes XML.
PREFIXES: Final[dict[str, str]] = {
    "soap": SOAP11,
    "soap12": SOAP12,
    "wsa": WSA_2005,
    "wsp": WSP_2004,
    "wsse": WSSE,
    "wsse11": WSSE11,
    "wsu": WSU,
    "wst": WST_13,
    "wst14": WST_14,
    "wsid": WSID,
    "ds": DS,
    "xenc": XENC,
    "xenc11": XENC11,
    "saml": SAML11,
    "saml2": SAML2,
    "xsi": XSI,
    "xs": XS,
    "sp": SP_2005,
    "wsdl": WSDL,
}
