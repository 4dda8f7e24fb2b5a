// The peer figure of `make bench`: npm's saml package (auth0) minting signed SAML 2.0 assertions
// in process, no HTTP, on one core. The assertion matches what the STS issues in the benchmark:
// issuer, NameID, audience, three attribute values, RSA-SHA256 with SHA-256 digests, one
// RSA-2048 key. Prints one JSON line: {"tokens_per_second": ..., "tokens": ..., "seconds": ...}.
//
// Usage: node mint.js KEY.pem CERT.pem [SECONDS]
'use strict';

const fs = require('fs');
const saml = require('saml');

const [keyPath, certPath, secondsArg] = process.argv.slice(2);
if (!keyPath || !certPath) {
  console.error('usage: node mint.js KEY.pem CERT.pem [SECONDS]');
  process.exit(2);
}
const seconds = Number(secondsArg || '5');
const options = {
  key: fs.readFileSync(keyPath),
  cert: fs.readFileSync(certPath),
  issuer: 'localhost',
  lifetimeInSeconds: 300,
  audiences: 'https://bench.example.org/service',
  nameIdentifier: 'admin',
  nameIdentifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  signatureAlgorithm: 'rsa-sha256',
  digestAlgorithm: 'sha256',
  attributes: {
    'http://wso2.org/claims/username': 'admin',
    'http://wso2.org/claims/emailaddress': 'admin@bench.example.org',
    'http://wso2.org/claims/role': 'admin',
  },
};

// One assertion first: a broken setup fails here, not as a rate of nothing.
const first = saml.Saml20.create(options);
if (!first.includes('SignatureValue')) {
  console.error('the saml package returned an unsigned assertion');
  process.exit(1);
}
let count = 0;
const started = process.hrtime.bigint();
const deadline = started + BigInt(Math.round(seconds * 1e9));
let now = started;
while (now < deadline) {
  for (let i = 0; i < 20; i += 1) {
    saml.Saml20.create(options);
  }
  count += 20;
  now = process.hrtime.bigint();
}
const elapsed = Number(now - started) / 1e9;
console.log(JSON.stringify({ tokens_per_second: count / elapsed, tokens: count, seconds: elapsed }));
