"""Every XML namespace and protocol URI stsdesk reads or writes, in one place."""

from __future__ import annotations

from typing import Final

__all__ = [
    "SOAP11", "SOAP12", "WSA_2004", "WSA_2005", "WSP_2004", "WSP_W3C", "WSP_2006",
    "WSSE", "WSSE11", "WSU", "WST_2005", "WST_13", "WST_14", "WSID", "DS", "XENC", "XENC11",
    "EXC_C14N", "SAML11", "SAML11P", "SAML2", "SAML2P", "XSI", "XS", "SP_2005", "SP_12",
    "WSDL", "WSDL_SOAP11", "WSDL_SOAP12", "WSAW", "WSAM", "SOAP_HTTP_TRANSPORT", "WSX", "WSXFER",
    "WSAID", "MEX_GET_METADATA_REQUEST", "MEX_GET_METADATA_RESPONSE", "TRANSFER_GET",
    "TRANSFER_GET_RESPONSE", "SP_2005_INCLUDE_TOKEN", "SP_12_INCLUDE_TOKEN", "PASSWORD_TEXT",
    "PASSWORD_DIGEST", "RAMPART_POLICY",
    "BASE64_BINARY", "X509V3", "SAML11_ASSERTION_ID", "SAML2_ID", "TOKEN_SAML11",
    "TOKEN_SAML20", "TOKEN_SAML10_URN", "TOKEN_SAML20_URN", "IDENTITY_NO_PROOF_KEY",
    "WSO2_CLAIMS", "XML", "SOAP12_ULTIMATE_RECEIVER", "SOAP11_ACTOR_NEXT", "SOAP12_ROLE_NEXT",
    "WSA_2005_FAULT", "WSA_2004_FAULT", "WSA_2005_ANONYMOUS", "WSA_2004_ANONYMOUS", "X509_TOKEN",
    "THUMBPRINT_SHA1",
    "ENVELOPED_SIGNATURE", "RSA_SHA256", "RSA_SHA512", "RSA_SHA1", "SHA256", "SHA512", "SHA1",
    "XENC_ELEMENT", "AES256_GCM", "AES128_GCM", "AES256_CBC", "RSA_OAEP_MGF1P", "RSA_OAEP",
    "SAML2_CM_BEARER", "SAML2_CM_HOLDER_OF_KEY", "SAML11_CM_BEARER", "SAML11_CM_HOLDER_OF_KEY",
    "SAML2_AC_PASSWORD_PROTECTED_TRANSPORT", "SAML2_AC_UNSPECIFIED", "SAML11_AM_PASSWORD",
    "SAML2_ATTRNAME_FORMAT_URI", "NAMEID_UNSPECIFIED", "NAMEID_EMAIL", "NAMEID_X509_SUBJECT",
    "NAMEID_PERSISTENT", "NAMEID_TRANSIENT", "NAMEID_ENTITY", "MS_ROLE_CLAIM", "PREFIXES",
    "WSC_2005", "WSC_13", "WSC_2005_SCT", "WSC_13_SCT", "WSC_2005_ACTION_ISSUE", "WSC_2005_ACTION_RENEW",
    "WSC_2005_ACTION_AMEND", "WSC_2005_ACTION_CANCEL", "X509_SKI", "ENCRYPTED_KEY_SHA1",
    "ENCRYPTED_KEY_TOKEN", "X509_PKI_PATH", "KERBEROS_GSS_AP_REQ", "KERBEROS_AP_REQ",
    "KERBEROS_AP_REQ_SHA1",
    "WSO2_SECURITY_ADMIN", "WSO2_STS_ADMIN_LEGACY", "WSO2_STS_ADMIN", "WSO2_KEYSTORE_ADMIN",
    "WSO2_IDP_MGT", "WSO2_IDP_MODEL", "WSO2_AXIS2_XSD",
]

# The XML namespace itself (xml:lang, xml:id)
XML: Final = "http://www.w3.org/XML/1998/namespace"

# SOAP envelopes, and the roles (SOAP 1.2) and actors (SOAP 1.1) a header can be meant for
SOAP11: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"
SOAP12_ULTIMATE_RECEIVER: Final = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
SOAP11_ACTOR_NEXT: Final = "http://schemas.xmlsoap.org/soap/actor/next"
SOAP12_ROLE_NEXT: Final = "http://www.w3.org/2003/05/soap-envelope/role/next"

# WS-Addressing: the 2004/08 submission (WSO2's Rahas client default) and 1.0
WSA_2004: Final = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSA_2005: Final = "http://www.w3.org/2005/08/addressing"
WSA_2005_FAULT: Final = "http://www.w3.org/2005/08/addressing/soap/fault"  # a fault's wsa:Action
WSA_2004_FAULT: Final = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"
WSA_2005_ANONYMOUS: Final = "http://www.w3.org/2005/08/addressing/anonymous"  # "this connection"
WSA_2004_ANONYMOUS: Final = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

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
MS_ROLE_CLAIM: Final = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"

# XML Signature and Encryption
DS: Final = "http://www.w3.org/2000/09/xmldsig#"
XENC: Final = "http://www.w3.org/2001/04/xmlenc#"
XENC11: Final = "http://www.w3.org/2009/xmlenc11#"
EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"

# XML Signature algorithms: the enveloped-signature transform, RSA signatures and digests
ENVELOPED_SIGNATURE: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA512: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
RSA_SHA1: Final = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA512: Final = "http://www.w3.org/2001/04/xmlenc#sha512"
SHA1: Final = "http://www.w3.org/2000/09/xmldsig#sha1"

# XML Encryption: what an EncryptedData holds, block ciphers and RSA key transport
XENC_ELEMENT: Final = "http://www.w3.org/2001/04/xmlenc#Element"
AES256_GCM: Final = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
AES128_GCM: Final = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
AES256_CBC: Final = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
RSA_OAEP_MGF1P: Final = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
RSA_OAEP: Final = "http://www.w3.org/2009/xmlenc11#rsa-oaep"

# SAML
SAML11: Final = "urn:oasis:names:tc:SAML:1.0:assertion"
SAML11P: Final = "urn:oasis:names:tc:SAML:1.0:protocol"
SAML2: Final = "urn:oasis:names:tc:SAML:2.0:assertion"
SAML2P: Final = "urn:oasis:names:tc:SAML:2.0:protocol"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
XS: Final = "http://www.w3.org/2001/XMLSchema"

# SAML subject confirmation methods
SAML2_CM_BEARER: Final = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SAML2_CM_HOLDER_OF_KEY: Final = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
SAML11_CM_BEARER: Final = "urn:oasis:names:tc:SAML:1.0:cm:bearer"
SAML11_CM_HOLDER_OF_KEY: Final = "urn:oasis:names:tc:SAML:1.0:cm:holder-of-key"

# SAML authentication contexts and methods (identifiers, not passwords)
SAML2_AC_PASSWORD_PROTECTED_TRANSPORT: Final = (
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
)
SAML2_AC_UNSPECIFIED: Final = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
SAML11_AM_PASSWORD: Final = "urn:oasis:names:tc:SAML:1.0:am:password"

# SAML attribute name and NameID formats
SAML2_ATTRNAME_FORMAT_URI: Final = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
NAMEID_UNSPECIFIED: Final = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
NAMEID_EMAIL: Final = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_X509_SUBJECT: Final = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"
NAMEID_PERSISTENT: Final = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_TRANSIENT: Final = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_ENTITY: Final = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"

# WS-SecurityPolicy: 2005/07 (WSO2's scenario files, ADFS's WS-Trust 2005 bindings) and 1.2;
# their IncludeToken URIs
# are the namespace followed by "/IncludeToken/Never", ".../AlwaysToRecipient" and so on.
SP_2005: Final = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
SP_12: Final = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
SP_2005_INCLUDE_TOKEN: Final = f"{SP_2005}/IncludeToken/"
SP_12_INCLUDE_TOKEN: Final = f"{SP_12}/IncludeToken/"
# Apache Rampart's own policy assertions (ramp:RampartConfig in WSO2's registry policies).
RAMPART_POLICY: Final = "http://ws.apache.org/rampart/policy"

# WS-SecureConversation (DerivedKeyToken): February 2005 (Rampart) and 1.3
WSC_2005: Final = "http://schemas.xmlsoap.org/ws/2005/02/sc"
WSC_13: Final = "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512"
# The SecurityContextToken's token type (and reference ValueType), and the actions of the
# February 2005 binding of WS-Trust for contexts (the requests; a response's action has RSTR).
WSC_2005_SCT: Final = f"{WSC_2005}/sct"
WSC_13_SCT: Final = f"{WSC_13}/sct"
WSC_2005_ACTION_ISSUE: Final = "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/SCT"
WSC_2005_ACTION_RENEW: Final = f"{WSC_2005_ACTION_ISSUE}/Renew"
WSC_2005_ACTION_AMEND: Final = f"{WSC_2005_ACTION_ISSUE}/Amend"
WSC_2005_ACTION_CANCEL: Final = f"{WSC_2005_ACTION_ISSUE}/Cancel"

# WSDL
WSDL: Final = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP11: Final = "http://schemas.xmlsoap.org/wsdl/soap/"
WSDL_SOAP12: Final = "http://schemas.xmlsoap.org/wsdl/soap12/"
WSAW: Final = "http://www.w3.org/2006/05/addressing/wsdl"
WSAM: Final = "http://www.w3.org/2007/05/addressing/metadata"
SOAP_HTTP_TRANSPORT: Final = "http://schemas.xmlsoap.org/soap/http"  # a WSDL binding's transport

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
X509_TOKEN: Final = (  # the profile's older name for an X509v3 token; still sent by some clients
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509"
)
THUMBPRINT_SHA1: Final = (  # a KeyIdentifier ValueType (WSS 1.1 X.509 token profile)
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1"
)
SAML11_ASSERTION_ID: Final = (
    "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID"
)
SAML2_ID: Final = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLID"
TOKEN_SAML11: Final = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1"
TOKEN_SAML20: Final = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"
X509_PKI_PATH: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509PKIPathv1"
)
# Key identifier value types: an X.509 certificate's SubjectKeyIdentifier (WSS 1.0) and the
# SHA-1 of an EncryptedKey's cipher value (WSS 1.1); the thumbprint is THUMBPRINT_SHA1.
X509_SKI: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0"
    "#X509SubjectKeyIdentifier"
)
ENCRYPTED_KEY_SHA1: Final = (
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKeySHA1"
)
ENCRYPTED_KEY_TOKEN: Final = (
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey"
)
# The Kerberos token profile 1.1: a GSS-API framed AP-REQ (what WssKerberosV5ApReqToken11 asks
# for), a bare AP-REQ, and the key identifier naming one by the SHA-1 of its bytes.
KERBEROS_GSS_AP_REQ: Final = (
    "http://docs.oasis-open.org/wss/oasis-wss-kerberos-token-profile-1.1#GSS_Kerberosv5_AP_REQ"
)
KERBEROS_AP_REQ: Final = (
    "http://docs.oasis-open.org/wss/oasis-wss-kerberos-token-profile-1.1#Kerberosv5_AP_REQ"
)
KERBEROS_AP_REQ_SHA1: Final = (
    "http://docs.oasis-open.org/wss/oasis-wss-kerberos-token-profile-1.1#Kerberosv5APREQSHA1"
)
TOKEN_SAML10_URN: Final = "urn:oasis:names:tc:SAML:1.0:assertion"
TOKEN_SAML20_URN: Final = "urn:oasis:names:tc:SAML:2.0:assertion"

# Conventional prefixes, used when stsdesk writes XML.
# WSO2 Identity Server's SOAP admin services: the namespaces of their request wrappers (the
# beans inside answers are read by local name, their namespaces change between versions).
WSO2_SECURITY_ADMIN: Final = "http://service.config.security.carbon.wso2.org"
WSO2_STS_ADMIN_LEGACY: Final = "http://service.sts.security.carbon.wso2.org"  # IS <= 5.10
WSO2_STS_ADMIN: Final = "http://service.sts.common.sts.identity.carbon.wso2.org"  # connector
WSO2_KEYSTORE_ADMIN: Final = "http://service.keystore.security.carbon.wso2.org"
WSO2_IDP_MGT: Final = "http://mgt.idp.carbon.wso2.org"
WSO2_IDP_MODEL: Final = "http://model.common.application.identity.carbon.wso2.org/xsd"
WSO2_AXIS2_XSD: Final = "http://org.apache.axis2/xsd"  # ServerAdmin's wrappers

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
