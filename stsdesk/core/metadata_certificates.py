"""The service certificates an STS publishes in its metadata (WSDL or WS-MetadataExchange).

An ADFS-style MEX document names each endpoint's certificate in the endpoint reference's
``wsaid:Identity/ds:KeyInfo/ds:X509Data/ds:X509Certificate``; WSO2's and this STS's WSDL do
the same for X.509 scenarios. A client encrypts for that certificate and checks the answer's
signature with it.
"""

from __future__ import annotations

from cryptography import x509

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.xmlparse import parse_xml
from stsdesk.core.xmlutil import decode_base64

__all__ = ["metadata_certificates"]

_PATH = (f"{{{ns.WSAID}}}Identity/{{{ns.DS}}}KeyInfo/{{{ns.DS}}}X509Data/"
         f"{{{ns.DS}}}X509Certificate")


def metadata_certificates(document: bytes) -> tuple[x509.Certificate, ...]:
    """Every distinct certificate the metadata names for an endpoint, in document order.

    InvalidRequestError when the document is not XML or a certificate in it is unreadable.
    """
    root = parse_xml(document)
    found: list[x509.Certificate] = []
    for reference in root.iter(f"{{{ns.WSA_2005}}}EndpointReference"):
        for element in reference.iterfind(_PATH):
            der = decode_base64(element.text, "X509Certificate", InvalidRequestError)
            try:
                cert = x509.load_der_x509_certificate(der)
            except ValueError as exc:
                raise InvalidRequestError(
                    "The metadata names a certificate that cannot be read.") from exc
            if cert not in found:
                found.append(cert)
    return tuple(found)
