"""Assertions written as exclusive-canonical text: for many specs the text is its own canonical
form, the signed token verifies with xmlsec and signxml, and every value reads back unchanged."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import random

import pytest
import signxml
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.saml import (
    PASSWORD_AUTHN_11,
    PASSWORD_AUTHN_20,
    AssertionSpec,
    Bearer,
    Confirmation,
    HolderOfKeyPublic,
    HolderOfKeySymmetric,
    SamlAttribute,
    SamlVersion,
    build_assertion,
    decrypt_assertion,
    encrypt_assertion_text,
    read_signed_assertion,
    sign_assertion,
    verify_assertion,
    write_assertion,
    write_signed_assertion,
)
from stsdesk.core.xmldsig import DigestAlgorithm, SignatureAlgorithm
from stsdesk.core.xmlenc import decrypt_key, encrypt_key
from stsdesk.core.xmlparse import parse_xml
from tests.core.pki import identity, independent_decrypt
from tests.helpers.xmlshape import declarations, unused_declarations

STS = identity("saml-sts")
RP = identity("saml-relying-party")
CLIENT = identity("saml-client")
NOW = dt.datetime(2025, 3, 4, 5, 6, 7, 891000, tzinfo=dt.UTC)
PROOF_KEY = b"k" * 32

# Pieces values are made of: every character C14N escapes, in text or in attributes, quotes,
# non-ASCII from every UTF-8 length, characters that look like markup, and nothing at all.
_PIECES = (
    "&", "<", ">", '"', "'", "\r", "\t", "\n", "\r\n", "é", "ß", "漢字", "😀", "\u0085", "\u007f",
    "\u2028", "]]>", "&amp;", "&#x41;", "<!--", "-->", "<?pi?>", "a b", " ", "",
    "admin@wso2.com", "x" * 5000,
)


def _value(rnd: random.Random) -> str:
    return "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 5)))


def _nonempty(rnd: random.Random) -> str:
    return _value(rnd) or "v"


def _claim_uri(rnd: random.Random) -> str:
    # SAML 1.1 names a claim by splitting at its last "/": keep one, with something after it.
    return "http://example.org/claims/" + _nonempty(rnd).replace("/", "_")


def _confirmation(rnd: random.Random) -> Confirmation:
    kind = rnd.randrange(3)
    if kind == 0:
        return Bearer()
    if kind == 1:
        return HolderOfKeySymmetric(encrypt_key(PROOF_KEY, RP.certificate))
    return HolderOfKeyPublic(CLIENT.certificate_der())


def _random_spec(rnd: random.Random, index: int) -> AssertionSpec:
    version = rnd.choice(list(SamlVersion))
    attributes = tuple(
        SamlAttribute(
            _claim_uri(rnd), tuple(_value(rnd) for _ in range(rnd.choice((0, 1, 1, 2, 3))))
        )
        for _ in range(rnd.choice((0, 1, 3)))
    )
    return AssertionSpec(
        version=version,
        assertion_id=f"_{index:04d}{rnd.getrandbits(64):016x}",
        issuer=_nonempty(rnd),
        issue_instant=NOW,
        not_before=NOW,
        not_on_or_after=NOW + dt.timedelta(minutes=rnd.randint(1, 60)),
        subject_name=_nonempty(rnd),
        name_id_format=rnd.choice(("", _nonempty(rnd))),
        audiences=tuple(_nonempty(rnd) for _ in range(rnd.choice((0, 1, 2, 4)))),
        authn_instant=NOW - dt.timedelta(seconds=rnd.randint(0, 100)),
        authn_method=rnd.choice(
            (PASSWORD_AUTHN_20 if version == SamlVersion.SAML20 else PASSWORD_AUTHN_11,
             _nonempty(rnd))
        ),
        attributes=attributes,
        confirmation=_confirmation(rnd),
    )


SPECS = [_random_spec(random.Random(1400 + index), index) for index in range(120)]


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def _text(node: etree._Element) -> str:
    return "".join(node.itertext())  # every text node: exactly what was signed, unstripped


def _fields(token: etree._Element, version: SamlVersion) -> dict[str, object]:
    """What a relying party reads from the token, character for character."""
    if version == SamlVersion.SAML20:
        q = {"s": ns.SAML2}
        name_id = token.find("s:Subject/s:NameID", q)
        return {
            "issuer": _text(token.find("s:Issuer", q)),
            "subject": _text(name_id),
            "format": name_id.get("Format", ""),
            "audiences": [_text(a) for a in token.iterfind(".//s:Audience", q)],
            "method": _text(token.find(".//s:AuthnContextClassRef", q)),
            "attributes": [
                (a.get("Name"), [_text(v) for v in a.iterfind("s:AttributeValue", q)])
                for a in token.iterfind("s:AttributeStatement/s:Attribute", q)
            ],
        }
    q = {"s": ns.SAML11}
    statement = token.find("s:AuthenticationStatement", q)
    name_identifier = statement.find("s:Subject/s:NameIdentifier", q)
    return {
        "issuer": token.get("Issuer"),
        "subject": _text(name_identifier),
        "format": name_identifier.get("Format", ""),
        "audiences": [_text(a) for a in token.iterfind(".//s:Audience", q)],
        "method": statement.get("AuthenticationMethod"),
        "attributes": [
            (
                f"{a.get('AttributeNamespace')}/{a.get('AttributeName')}",
                [_text(v) for v in a.iterfind("s:AttributeValue", q)],
            )
            for a in token.iterfind("s:AttributeStatement/s:Attribute", q)
        ],
    }


def _expected_fields(spec: AssertionSpec) -> dict[str, object]:
    attributes = spec.attributes
    if spec.version == SamlVersion.SAML11:  # SAML 1.1 needs a value: claims without are left out
        attributes = tuple(a for a in attributes if a.values)
    return {
        "issuer": spec.issuer,
        "subject": spec.subject_name,
        "format": spec.name_id_format,
        "audiences": list(spec.audiences),
        "method": spec.authn_method,
        "attributes": [(a.name, list(a.values)) for a in attributes],
    }


def test_the_specs_cover_what_they_should() -> None:
    # The property tests below are only as good as the specs they run on.
    assert {spec.version for spec in SPECS} == set(SamlVersion)
    assert {type(spec.confirmation) for spec in SPECS} == {
        Bearer, HolderOfKeySymmetric, HolderOfKeyPublic,
    }
    assert {len(spec.audiences) for spec in SPECS} >= {0, 1, 2, 4}
    values = [v for spec in SPECS for a in spec.attributes for v in a.values]
    assert any(not a.values for spec in SPECS for a in spec.attributes)
    texts = [
        *values, *(spec.subject_name for spec in SPECS), *(spec.issuer for spec in SPECS),
    ]
    for piece in ("&", "<", ">", '"', "'", "\r", "\t", "\n", "漢字", "😀", "x" * 5000):
        assert any(piece in text for text in texts), piece
    assert "" in values


@pytest.mark.parametrize("spec", SPECS, ids=[spec.assertion_id for spec in SPECS])
def test_written_text_is_its_own_exclusive_canonical_form(spec: AssertionSpec) -> None:
    written = write_assertion(spec)
    # The canonical text is a fixed point of lxml's (libxml2's) exc-c14n ...
    assert _c14n(parse_xml(written.canonical)) == written.canonical
    # ... and the token's text, which declares xsi and xs on the root, canonicalises to it.
    token = parse_xml(written.text)
    assert _c14n(token) == written.canonical
    assert _c14n(build_assertion(spec)) == written.canonical

    # The shape: the root declares its own SAML namespace and xsi/xs only, ds is declared on
    # the KeyInfo that uses it, and nothing is declared that is not used or already in force.
    found = declarations(written.text)
    own = "saml2" if spec.version == SamlVersion.SAML20 else "saml"
    on_root = {d.prefix for d in found if d.path.count("/") == 1}
    has_values = any(a.values for a in spec.attributes)
    typed = spec.version == SamlVersion.SAML20 and not isinstance(spec.confirmation, Bearer)
    assert on_root == {own} | ({"xs"} if has_values else set()) | (
        {"xsi"} if has_values or typed else set()
    )
    assert unused_declarations(written.text) == []
    assert {d.element for d in found if d.prefix == "ds"} <= {"ds:KeyInfo"}


@pytest.mark.parametrize("spec", SPECS, ids=[spec.assertion_id for spec in SPECS])
def test_signed_text_verifies_and_reads_back_unchanged(spec: AssertionSpec) -> None:
    # (Schema validity needs URIs where the schemas want them: test_saml checks it.)
    signed = write_signed_assertion(spec, STS)
    token = read_signed_assertion(signed)
    verified = verify_assertion(token, trusted_certificates=[STS.certificate])  # xmlsec
    assert verified.reference_uri == f"#{spec.assertion_id}"
    signature = token.find(f"{{{ns.DS}}}Signature")
    if spec.version == SamlVersion.SAML20:
        assert token[1] is signature and token[0].tag == f"{{{ns.SAML2}}}Issuer"
    else:
        assert token[-1] is signature
    # The signature declares ds itself (xml-crypto 0.8 canonicalises it cut out as text).
    assert [
        (d.prefix, d.uri) for d in declarations(signed) if d.element == "ds:Signature"
    ] == [("ds", ns.DS)]
    assert _fields(token, spec.version) == _expected_fields(spec)
    key_info = f"{{{ns.DS}}}KeyInfo"
    encrypted_keys = token.findall(f".//{key_info}/{{{ns.XENC}}}EncryptedKey")
    certificates = token.findall(f".//{key_info}/{{{ns.DS}}}X509Data/{{{ns.DS}}}X509Certificate")
    confirmations = 2 if spec.version == SamlVersion.SAML11 and any(
        a.values for a in spec.attributes
    ) else 1  # SAML 1.1 repeats the subject in its AttributeStatement
    if isinstance(spec.confirmation, HolderOfKeySymmetric):
        assert len(encrypted_keys) == confirmations
        assert {decrypt_key(k, RP.private_key) for k in encrypted_keys} == {PROOF_KEY}
    elif isinstance(spec.confirmation, HolderOfKeyPublic):
        assert sorted(base64.b64decode(c.text) for c in certificates) == sorted(
            [CLIENT.certificate_der()] * confirmations + [STS.certificate_der()]
        )
    else:
        assert not encrypted_keys and len(certificates) == 1  # the signature's own


@pytest.mark.parametrize("spec", SPECS[::6], ids=[spec.assertion_id for spec in SPECS[::6]])
def test_signed_text_verifies_with_signxml_cut_out_of_a_message(spec: AssertionSpec) -> None:
    signed = write_signed_assertion(spec, STS)
    wrapper = etree.fromstring(b'<s:Envelope xmlns:s="urn:s"><s:Body>' + signed + b"</s:Body></s:Envelope>")
    id_attribute = "ID" if spec.version == SamlVersion.SAML20 else "AssertionID"
    result = XMLVerifier().verify(
        etree.tostring(wrapper[0][0]),
        x509_cert=STS.certificate_pem().decode(),
        id_attribute=id_attribute,
        expect_config=SignatureConfiguration(
            location="./",
            signature_methods=frozenset({signxml.SignatureMethod.RSA_SHA256}),
            digest_algorithms=frozenset({signxml.DigestAlgorithm.SHA256}),
        ),
    )
    assert result.signed_xml is not None


@pytest.mark.parametrize("spec", SPECS[::5], ids=[spec.assertion_id for spec in SPECS[::5]])
def test_encrypted_from_the_signed_bytes_decrypts_to_them(spec: AssertionSpec) -> None:
    signed = write_signed_assertion(spec, STS)
    encrypted = parse_xml(encrypt_assertion_text(signed, spec.version, RP.certificate))
    if spec.version == SamlVersion.SAML20:
        assert encrypted.tag == f"{{{ns.SAML2}}}EncryptedAssertion"
        encrypted_data = encrypted[0]
    else:
        encrypted_data = encrypted
    assert encrypted_data.tag == f"{{{ns.XENC}}}EncryptedData"
    assert independent_decrypt(encrypted_data, RP.private_key) == signed
    ours = decrypt_assertion(encrypted, RP.private_key)
    verify_assertion(ours, trusted_certificates=[STS.certificate])


@pytest.mark.parametrize(
    ("algorithms"),
    [
        (SignatureAlgorithm.RSA_SHA256, DigestAlgorithm.SHA256),
        (SignatureAlgorithm.RSA_SHA512, DigestAlgorithm.SHA512),
        (SignatureAlgorithm.RSA_SHA1, DigestAlgorithm.SHA1),
    ],
)
@pytest.mark.parametrize("spec", SPECS[:4], ids=[spec.assertion_id for spec in SPECS[:4]])
def test_signing_a_tree_and_writing_signed_text_give_the_same_token(spec, algorithms) -> None:
    # One path: sign_assertion canonicalises the tree and signs it with the function the mint
    # uses; RSA PKCS#1 v1.5 is deterministic, so both tokens are the same to the last octet.
    signature_algorithm, digest_algorithm = algorithms
    tree = build_assertion(spec)
    sign_assertion(
        tree, STS, signature_algorithm=signature_algorithm, digest_algorithm=digest_algorithm
    )
    text = write_signed_assertion(
        spec, STS, signature_algorithm=signature_algorithm, digest_algorithm=digest_algorithm
    )
    assert _c14n(tree) == _c14n(read_signed_assertion(text))
    verify_assertion(tree, trusted_certificates=[STS.certificate])


@pytest.mark.parametrize("version", list(SamlVersion))
def test_a_proof_key_that_uses_namespaces_of_its_context_is_written_as_in_context(version) -> None:
    # Exclusive c14n leaves out a declaration an output ancestor already rendered: a key that
    # uses xsi (rendered by SAML 2.0's SubjectConfirmationData) or the SAML namespace (rendered
    # by the root) must be written without them there, or the digest would not hold.
    key = encrypt_key(PROOF_KEY, RP.certificate)
    key.set(f"{{{ns.XSI}}}nil", "false")
    prefix, uri = ("saml2", ns.SAML2) if version == SamlVersion.SAML20 else ("saml", ns.SAML11)
    etree.SubElement(key, f"{{{uri}}}Note", nsmap={prefix: uri}).text = "in context"
    spec = dataclasses.replace(
        SPECS[0], version=version, confirmation=HolderOfKeySymmetric(key), attributes=(),
        authn_method=PASSWORD_AUTHN_20 if version == SamlVersion.SAML20 else PASSWORD_AUTHN_11,
    )
    written = write_assertion(spec)
    assert _c14n(parse_xml(written.canonical)) == written.canonical
    assert _c14n(parse_xml(written.text)) == written.canonical
    token = read_signed_assertion(write_signed_assertion(spec, STS))
    verify_assertion(token, trusted_certificates=[STS.certificate])
    assert key.getparent() is None  # the caller's key was copied, not moved


_UNWRITABLE = ["\x00", "\x01", "\x08", "\x0b", "\x1f", "\ud800", "\udfff", "\ufffe", "\uffff"]


@pytest.mark.parametrize("character", _UNWRITABLE, ids=[f"U+{ord(c):04X}" for c in _UNWRITABLE])
@pytest.mark.parametrize(
    ("field", "named"),
    [
        ("subject_name", "subject name"),
        ("issuer", "issuer name"),
        ("audiences", "audience"),
        ("name_id_format", "name identifier format"),
        ("claim_value", "value of the claim 'http://wso2.org/claims/givenname'"),
        ("claim_name", "claim name"),
    ],
)
@pytest.mark.parametrize("version", list(SamlVersion))
def test_characters_xml_cannot_carry_are_refused_naming_the_field(
    version, field, named, character
) -> None:
    bad = f"Ad{character}min secret-ish"
    base = dataclasses.replace(
        SPECS[0], version=version,
        authn_method=PASSWORD_AUTHN_20 if version == SamlVersion.SAML20 else PASSWORD_AUTHN_11,
    )
    changes: dict[str, object] = {
        "subject_name": {"subject_name": bad},
        "issuer": {"issuer": bad},
        "audiences": {"audiences": ("https://rp.example", bad)},
        "name_id_format": {"name_id_format": bad},
        "claim_value": {
            "attributes": (SamlAttribute("http://wso2.org/claims/givenname", ("Ok", bad)),)
        },
        "claim_name": {"attributes": (SamlAttribute(f"http://wso2.org/claims/{bad}", ("x",)),)},
    }[field]
    spec = dataclasses.replace(base, **changes)
    for make in (write_assertion, build_assertion, lambda s: write_signed_assertion(s, STS)):
        with pytest.raises(InvalidRequestError) as raised:
            make(spec)
        message = raised.value.message
        assert message.startswith(f"The {named} contains a character XML cannot carry")
        assert f"(U+{ord(character):04X} at position " in message
        assert "secret-ish" not in message  # the value itself is never repeated


def test_each_encrypted_assertion_has_its_own_key_and_ciphertext() -> None:
    # SAML 2.0's EncryptedAssertion is written from one template: a second token must share
    # neither the first one's session key nor its ciphertext, and each must decrypt alone.
    spec = next(s for s in SPECS if s.version == SamlVersion.SAML20)
    signed = write_signed_assertion(spec, STS)
    first = encrypt_assertion_text(signed, spec.version, RP.certificate)
    second = encrypt_assertion_text(signed, spec.version, RP.certificate)
    cipher_values = f".//{{{ns.XENC}}}CipherValue"
    first_tree, second_tree = parse_xml(first), parse_xml(second)
    before = [node.text for node in first_tree.iterfind(cipher_values)]
    assert set(before).isdisjoint(node.text for node in second_tree.iterfind(cipher_values))
    assert independent_decrypt(first_tree[0], RP.private_key) == signed
    assert independent_decrypt(second_tree[0], RP.private_key) == signed
    assert unused_declarations(second) == []


@pytest.mark.parametrize("version", list(SamlVersion))
@pytest.mark.parametrize("assertion_id", ["_a1\n", "_a1\r", "_a 1", '_a"1', "_a1<"])
def test_an_assertion_id_that_is_no_ncname_is_refused_before_it_is_written(
    version, assertion_id
) -> None:
    # The ID goes into the token's text as it is (an NCName needs no escaping). One that is no
    # NCName, even only by a final line feed, would be read back as another ID ("_a1 "), so
    # the token's signature would refer to an ID the token does not have.
    spec = dataclasses.replace(
        SPECS[0], version=version, assertion_id=assertion_id,
        authn_method=PASSWORD_AUTHN_20 if version == SamlVersion.SAML20 else PASSWORD_AUTHN_11,
    )
    for make in (write_assertion, build_assertion, lambda s: write_signed_assertion(s, STS)):
        with pytest.raises(InvalidRequestError, match="is not a valid XML ID"):
            make(spec)
