// Verifies signed SAML assertions with every xml-crypto line installed here, the way Node.js
// relying parties do: the assertion alone as it arrived, its ds:Signature located as a child of
// the root, the issuer's certificate pinned (never the one inside KeyInfo).
//
// stdin: a JSON list of {"xml": "<saml2:Assertion ...>", "certificate": "-----BEGIN CERTIFICATE...",
//         "idAttribute": "ID" | "AssertionID"}
// stdout: a JSON list, one report per input: {"<package>@<version>": {"valid": bool,
//         "errors": [...]}, ...}
"use strict";

const fs = require("fs");
const path = require("path");

const DS = "http://www.w3.org/2000/09/xmldsig#";
const DEFAULT_ID_ATTRIBUTES = ["Id", "ID", "id"];
const SIGNATURE_XPATH =
  "/*/*[local-name(.)='Signature' and namespace-uri(.)='" + DS + "']";

function versionOf(packageName) {
  const manifest = path.join(__dirname, "node_modules", packageName, "package.json");
  const { name, version } = JSON.parse(fs.readFileSync(manifest, "utf8"));
  return `${name}@${version}`;
}

// xml-crypto 6.x: the line current Node.js relying parties (passport-saml's successors) use.
function verifyCurrent(input) {
  const { SignedXml } = require("xml-crypto");
  const { DOMParser } = require("@xmldom/xmldom");
  const xpath = require("xpath");
  const doc = new DOMParser().parseFromString(input.xml, "text/xml");
  const signatures = xpath.select(SIGNATURE_XPATH, doc);
  if (signatures.length !== 1) {
    return { valid: false, errors: [`${signatures.length} enveloped signatures found`] };
  }
  const verifier = new SignedXml({
    publicCert: input.certificate,
    // "ID" is among its defaults; naming it again makes the ID-uniqueness check count twice.
    idAttribute: DEFAULT_ID_ATTRIBUTES.includes(input.idAttribute) ? undefined : input.idAttribute,
    getCertFromKeyInfo: () => null,
  });
  verifier.loadSignature(signatures[0]);
  try {
    const valid = verifier.checkSignature(input.xml);
    // What a careful relying party reads next: the signed bytes, which must be the assertion.
    const signed = verifier.getSignedReferences();
    const rootId = doc.documentElement.getAttribute(input.idAttribute);
    const signedId = signed.length === 1
      ? new DOMParser().parseFromString(signed[0], "text/xml").documentElement
        .getAttribute(input.idAttribute)
      : null;
    if (valid && signedId !== rootId) {
      return { valid: false, errors: [`the signature covers ${signedId}, not ${rootId}`] };
    }
    return { valid, errors: [] };
  } catch (error) {
    return { valid: false, errors: [String(error.message || error)] };
  }
}

// xml-crypto 0.8.x: the line older deployed relying parties (and the SAML 1.1/2.0 validators
// built on it) still pin. Its own xmldom 0.1 parses the document; those validators hand the
// ds:Signature over as text (loadSignature(signature.toString())), which drops namespace
// declarations made on its ancestors, and up to 0.8.1 nothing puts ds back.
function verifyLegacy(packageName, input) {
  const { SignedXml, xpath } = require(packageName);
  const { DOMParser } = require("xmldom");
  const doc = new DOMParser().parseFromString(input.xml);
  const signatures = xpath(doc, SIGNATURE_XPATH);
  if (signatures.length !== 1) {
    return { valid: false, errors: [`${signatures.length} enveloped signatures found`] };
  }
  const verifier = new SignedXml(null, { idAttribute: input.idAttribute });
  verifier.keyInfoProvider = {
    getKey: () => Buffer.from(input.certificate),
    getKeyInfo: () => "",
  };
  verifier.loadSignature(signatures[0].toString());
  try {
    const valid = verifier.checkSignature(input.xml);
    return { valid, errors: verifier.validationErrors || [] };
  } catch (error) {
    return { valid: false, errors: [String(error.message || error)] };
  }
}

function main() {
  const inputs = JSON.parse(fs.readFileSync(0, "utf8"));
  const reports = inputs.map((input) => ({
    [versionOf("xml-crypto")]: verifyCurrent(input),
    [versionOf("xml-crypto-0.8.1")]: verifyLegacy("xml-crypto-0.8.1", input),
    [versionOf("xml-crypto-0.8.5")]: verifyLegacy("xml-crypto-0.8.5", input),
  }));
  process.stdout.write(JSON.stringify(reports));
}

main();
