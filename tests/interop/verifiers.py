"""The outside verifiers a relying party may use, each run on a token exactly as it would be."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from tests.helpers.independent import assert_schema_valid, verify_with_signxml

NODE_DIR = Path(__file__).resolve().parent / "node"
SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"
SAML11 = "urn:oasis:names:tc:SAML:1.0:assertion"
SAML2_SCHEMA = "saml-schema-assertion-2.0.xsd"
SAML11_SCHEMA = "oasis-sstc-saml-schema-assertion-1.1.xsd"
XENC_SCHEMA = "xenc-schema.xsd"
_SETUP_HINT = "run `make setup` (scripts/system-deps.sh and npm ci in tests/interop/node)"


@dataclass(frozen=True)
class Verdict:
    verifier: str  # name@version
    valid: bool
    detail: str = ""


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(Encoding.PEM).decode("ascii")


def _id_attribute(assertion: etree._Element) -> str:
    return "AssertionID" if etree.QName(assertion).namespace == SAML11 else "ID"


# -- signxml, python3-saml, the OASIS schemas (Python) --------------------------------------


@cache
def _python_version(distribution: str) -> str:
    from importlib.metadata import version

    return f"{distribution}@{version(distribution)}"


def signxml_verdict(assertion_xml: bytes, certificate: x509.Certificate) -> Verdict:
    name = _python_version("signxml")
    try:
        verify_with_signxml(etree.fromstring(assertion_xml), certificate)
    except Exception as exc:  # noqa: BLE001 - any refusal is the verdict
        return Verdict(name, False, f"{type(exc).__name__}: {exc}")
    return Verdict(name, True)


def python3_saml_verdict(assertion_xml: bytes, certificate: x509.Certificate) -> Verdict:
    """OneLogin's python3-saml, as a SAML 2.0 service provider checks an assertion's signature."""
    name = _python_version("python3-saml")
    try:
        valid = OneLogin_Saml2_Utils.validate_sign(
            assertion_xml, cert=_pem(certificate), xpath="/saml:Assertion/ds:Signature",
            raise_exceptions=True,
        )
    except Exception as exc:  # noqa: BLE001
        return Verdict(name, False, f"{type(exc).__name__}: {exc}")
    return Verdict(name, bool(valid))


def schema_verdict(element: etree._Element) -> Verdict:
    """The OASIS (or W3C, for a bare xenc:EncryptedData) schema of the token's root element."""
    namespace = etree.QName(element).namespace
    schema = {SAML11: SAML11_SCHEMA, SAML2: SAML2_SCHEMA}.get(namespace, XENC_SCHEMA)
    try:
        assert_schema_valid(element, schema)
    except AssertionError as exc:
        return Verdict(schema, False, str(exc))
    return Verdict(schema, True)


# -- the xmlsec1 command line ---------------------------------------------------------------


@cache
def xmlsec1_version() -> str:
    binary = shutil.which("xmlsec1")
    if binary is None:
        raise RuntimeError(f"xmlsec1 is not installed; {_SETUP_HINT}")
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[1] if out.stdout.startswith("xmlsec1 ") else out.stdout.strip()


def xmlsec1_verdict(assertion_xml: bytes, certificate: x509.Certificate) -> Verdict:
    """``xmlsec1 --verify`` with the issuer's certificate as the only key (no chain, no KeyInfo)."""
    name = f"xmlsec1@{xmlsec1_version()}"
    root = etree.fromstring(assertion_xml)
    namespace = etree.QName(root).namespace
    with tempfile.TemporaryDirectory() as work:
        token = Path(work, "token.xml")
        token.write_bytes(assertion_xml)
        cert = Path(work, "sts.pem")
        cert.write_text(_pem(certificate))
        out = subprocess.run(
            ["xmlsec1", "--verify", "--enabled-reference-uris", "same-doc",
             "--id-attr:" + _id_attribute(root), f"{namespace}:Assertion",
             "--pubkey-cert-pem", str(cert), str(token)],
            capture_output=True, text=True, timeout=60,
        )
    return Verdict(name, out.returncode == 0, (out.stdout + out.stderr).strip()[-2000:])


# -- xml-crypto (Node.js): current and the 0.8-era line -------------------------------------


def xml_crypto_verdicts(
    assertions: list[bytes], certificate: x509.Certificate
) -> list[list[Verdict]]:
    """Every xml-crypto line in tests/interop/node on each assertion (one Node.js process)."""
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules").is_dir():
        raise RuntimeError(f"Node.js or the xml-crypto packages are missing; {_SETUP_HINT}")
    batch = [
        {
            "xml": xml.decode("utf-8"),
            "certificate": _pem(certificate),
            "idAttribute": _id_attribute(etree.fromstring(xml)),
        }
        for xml in assertions
    ]
    out = subprocess.run(
        [node, str(NODE_DIR / "verify.js")], input=json.dumps(batch), capture_output=True,
        text=True, timeout=300, cwd=NODE_DIR,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the Node.js verifier failed: {out.stderr[-2000:]}")
    return [
        [
            Verdict(verifier, bool(result["valid"]), "; ".join(result["errors"]))
            for verifier, result in sorted(report.items())
        ]
        for report in json.loads(out.stdout)
    ]
