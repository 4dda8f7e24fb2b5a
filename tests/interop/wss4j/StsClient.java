/*
 * A WS-Trust client as a WSO2 (Rampart) client sends it, built on Apache WSS4J 1.6 alone.
 *
 * Rampart is WSS4J plus a policy engine; this program is the policy engine's output written out
 * per scenario (WSO2's scenario policy files: binding, token references, algorithm suite Basic256,
 * layout and protected parts), using the same WSS4J builders in the same order as Rampart's
 * TransportBindingBuilder, AsymmetricBindingBuilder and SymmetricBindingBuilder. The response is
 * checked with WSS4J's own WSSecurityEngine: signature (and who made it), decryption,
 * SignatureConfirmation of the request's signature, and the token in the RSTR.
 *
 * Usage: java StsClient <properties file>. Prints one JSON object (the verdict) on stdout.
 * Properties: scenario, url, tlsCa (PEM), stsCert (PEM), clientP12, clientP12Password,
 * clientAlias, username, password, appliesTo, tokenType, keyType, soap (1.1|1.2),
 * suite (Basic256, the default, or Basic256Sha256),
 * attack (none|unsigned-body|tamper-body|tamper-encrypted|wrap-signature|replay|omit-ut),
 * samlToken (file with the assertion, 31-34), samlProofKey (base64, 31/32), dumpDir,
 * tokenOut (where to keep the issued token), dryRun and selfCheckP12 (see selfCheck).
 */

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.text.SimpleDateFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TimeZone;
import java.util.UUID;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.xml.namespace.QName;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSDataRef;
import org.apache.ws.security.WSEncryptionPart;
import org.apache.ws.security.WSPasswordCallback;
import org.apache.ws.security.WSSConfig;
import org.apache.ws.security.WSSecurityEngine;
import org.apache.ws.security.WSSecurityEngineResult;
import org.apache.ws.security.components.crypto.Merlin;
import org.apache.ws.security.message.WSSecEncryptedKey;
import org.apache.ws.security.message.WSSecHeader;
import org.apache.ws.security.message.WSSecSignature;
import org.apache.ws.security.message.WSSecUsernameToken;
import org.apache.ws.security.message.token.SignatureConfirmation;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

public final class StsClient {

    static final String SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/";
    static final String SOAP12 = "http://www.w3.org/2003/05/soap-envelope";
    static final String WSA = "http://www.w3.org/2005/08/addressing";
    static final String WSA_SUBMISSION = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    static final String WSP = "http://schemas.xmlsoap.org/ws/2004/09/policy";
    static final String WST = "http://schemas.xmlsoap.org/ws/2005/02/trust";
    static final String WSU = WSConstants.WSU_NS;
    static final String WSSE = WSConstants.WSSE_NS;
    static final String RST_ISSUE = WST + "/RST/Issue";

    // WS-SecurityPolicy's Basic256 suite as Rampart maps it onto WSS4J.
    static final String SYM_ENC = WSConstants.AES_256;
    static final String ASYM_KEY_WRAP = WSConstants.KEYTRANSPORT_RSAOEP;
    static final String ASYM_SIG = WSConstants.RSA_SHA1;
    static final String SYM_SIG = WSConstants.HMAC_SHA1;
    static final String SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";
    static final String C14N = WSConstants.C14N_EXCL_OMIT_COMMENTS;

    /** What a scenario's WSO2 policy asks of the initiator (the client). */
    record Profile(String binding, boolean signBody, boolean encryptBody,
                   boolean usernameToken, boolean signatureConfirmation, String samlVersion) {
    }

    static Profile profile(String scenario) {
        switch (scenario) {
            case "1": return new Profile("transport", false, false, true, false, null);
            case "2": return new Profile("asymmetric", true, false, false, false, null);
            case "3": return new Profile("symmetric", true, false, false, true, null);
            case "4": return new Profile("symmetric", false, true, false, true, null);
            case "5": return new Profile("asymmetric", true, true, false, true, null);
            case "6": return new Profile("symmetric", true, true, false, true, null);
            case "7": return new Profile("symmetric", false, true, true, true, null);
            case "8": return new Profile("symmetric", true, true, true, true, null);
            // 31, 32: AsymmetricBinding whose InitiatorToken is the STS's own SAML holder-of-key
            // token (SymmetricKey): its proof key signs; no SignedParts or EncryptedParts.
            case "31": return new Profile("issued", false, false, false, true, "2.0");
            case "32": return new Profile("issued", false, false, false, true, "1.1");
            // 33, 34: scenario 5 plus a SAML token as a (plain) SupportingToken.
            case "33": return new Profile("asymmetric", true, true, false, true, "2.0");
            case "34": return new Profile("asymmetric", true, true, false, true, "1.1");
            default: throw new IllegalArgumentException("no such scenario: " + scenario);
        }
    }

    final Properties props;
    final Profile profile;
    final String attack;
    final String digest;  // Basic256: SHA-1; Basic256Sha256: SHA-256 (signature methods alike)
    final String soapNs;
    final X509Certificate stsCert;
    final Merlin crypto;
    final String clientAlias;
    final String clientKeyPassword;
    final List<byte[]> sentSignatureValues = new ArrayList<>();
    byte[] ephemeralKey;
    String ephemeralKeySha1;
    final List<String> keyCallbacks = new ArrayList<>();

    StsClient(Properties props) throws Exception {
        this.props = props;
        this.profile = profile(props.getProperty("scenario"));
        this.attack = props.getProperty("attack", "none");
        this.digest = "Basic256Sha256".equals(props.getProperty("suite", "Basic256"))
                ? SHA256 : WSConstants.SHA1;
        this.soapNs = "1.1".equals(props.getProperty("soap", "1.2")) ? SOAP11 : SOAP12;
        this.stsCert = readCertificate(props.getProperty("stsCert"));
        this.clientAlias = props.getProperty("clientAlias", "client");
        this.clientKeyPassword = props.getProperty("clientP12Password", "");
        this.crypto = ClientSupport.clientCrypto(props, stsCert);
    }

    // ------------------------------------------------------------------------------ the request

    Document buildRequest() throws Exception {
        Document doc = newDocument();
        Element envelope = doc.createElementNS(soapNs, "soapenv:Envelope");
        doc.appendChild(envelope);
        Element header = child(envelope, soapNs, "soapenv:Header");
        Element body = child(envelope, soapNs, "soapenv:Body");
        // Axis2's addressing module: To, MessageID, Action (and an anonymous ReplyTo).
        text(child(header, WSA, "wsa:To"), props.getProperty("url"));
        Element replyTo = child(header, WSA, "wsa:ReplyTo");
        text(child(replyTo, WSA, "wsa:Address"), WSA + "/anonymous");
        text(child(header, WSA, "wsa:MessageID"), "urn:uuid:" + UUID.randomUUID());
        text(child(header, WSA, "wsa:Action"), RST_ISSUE);
        buildRst(body);
        // Axiom hands Rampart a DOM whose namespace declarations are attributes; a DOM built
        // with createElementNS has none, and canonicalization needs them: go through bytes.
        doc = parse(serialize(doc));

        WSSecHeader secHeader = new WSSecHeader();
        secHeader.setMustUnderstand(true);
        secHeader.insertSecurityHeader(doc);
        switch (profile.binding()) {
            case "transport": secureTransport(doc, secHeader); break;
            case "asymmetric": secureAsymmetric(doc, secHeader); break;
            case "issued": secureIssuedToken(doc, secHeader); break;
            default: secureSymmetric(doc, secHeader); break;
        }
        return doc;
    }

    /** The RST Rahas' STSClient writes (WS-Trust 2005/02, AppliesTo in WS-A submission). */
    void buildRst(Element body) {
        Element rst = child(body, WST, "wst:RequestSecurityToken");
        text(child(rst, WST, "wst:RequestType"), WST + "/Issue");
        Element appliesTo = child(rst, WSP, "wsp:AppliesTo");
        Element epr = child(appliesTo, WSA_SUBMISSION, "wsa:EndpointReference");
        text(child(epr, WSA_SUBMISSION, "wsa:Address"), props.getProperty("appliesTo"));
        Element lifetime = child(rst, WST, "wst:Lifetime");
        Date now = new Date();
        text(child(lifetime, WSU, "wsu:Created"), xsDateTime(now));
        text(child(lifetime, WSU, "wsu:Expires"), xsDateTime(new Date(now.getTime() + 300_000)));
        text(child(rst, WST, "wst:TokenType"), props.getProperty("tokenType",
                "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"));
        text(child(rst, WST, "wst:KeyType"), WST + "/" + props.getProperty("keyType", "Bearer"));
    }

    /** Scenario 1: TransportBindingBuilder adds the Timestamp, then appends the UsernameToken. */
    void secureTransport(Document doc, WSSecHeader secHeader) throws Exception {
        RampartSteps.addTimestamp(doc, secHeader);
        if (!attack.equals("omit-ut")) {
            addUsernameToken(doc, secHeader);
        }
    }

    /**
     * Scenarios 2, 5, 33, 34: AsymmetricBindingBuilder, sign before encrypt, Strict layout.
     * The initiator's X509Token is AlwaysToRecipient, so it goes as a BinarySecurityToken with a
     * direct reference; the recipient's (the STS's) is Never, referenced by its SHA-1 thumbprint.
     * Header: Timestamp, EncryptedKey (with its ReferenceList), BinarySecurityToken, Signature.
     */
    void secureAsymmetric(Document doc, WSSecHeader secHeader) throws Exception {
        Element timestamp = RampartSteps.addTimestamp(doc, secHeader);
        Element insertAfter = timestamp;
        if (profile.samlVersion() != null) {
            // BindingBuilder.handleSupportingTokens: the token, then an STR that refers to it.
            Element saml = (Element) doc.importNode(readXml(props.getProperty("samlToken")), true);
            insertAfter = insertAfter(insertAfter, saml);
            insertAfter = insertAfter(insertAfter, samlReference(doc, saml, true));
        }
        WSSecSignature sig = new WSSecSignature();
        sig.setKeyIdentifierType(WSConstants.BST_DIRECT_REFERENCE);
        sig.setUserInfo(clientAlias, clientKeyPassword);
        sig.setSignatureAlgorithm(ASYM_SIG);
        sig.setSigCanonicalization(C14N);
        sig.setDigestAlgo(digest);
        sig.prepare(doc, crypto, secHeader);
        insertAfter = insertAfter(insertAfter, sig.getBinarySecurityTokenElement());

        List<WSEncryptionPart> parts = new ArrayList<>();
        parts.add(new WSEncryptionPart(idOf(timestamp)));
        if (profile.signBody() && !attack.equals("unsigned-body")) {
            parts.add(new WSEncryptionPart(bodyId(doc)));
        }
        List<javax.xml.crypto.dsig.Reference> refs = sig.addReferencesToSign(parts, secHeader);
        sig.computeSignature(refs, false, null);
        Element signature = sig.getSignatureElement();
        insertAfter(insertAfter, signature);
        sentSignatureValues.add(sig.getSignatureValue());

        if (profile.encryptBody()) {
            insertAfter(timestamp, RampartSteps.encryptBodyFor(stsCert, doc, crypto));
        }
    }

    /**
     * Scenarios 3, 4, 6, 7, 8: SymmetricBindingBuilder, sign
     * before encrypt, Lax layout. The protection token is the STS's certificate (Never, by
     * thumbprint): the client makes an EncryptedKey for it and uses the ephemeral key for an
     * HMAC-SHA1 signature (STR to the EncryptedKey) and AES-256-CBC encryption (ReferenceList).
     * Header: Timestamp, EncryptedKey, ReferenceList, UsernameToken (7, 8), Signature.
     */
    void secureSymmetric(Document doc, WSSecHeader secHeader) throws Exception {
        Element timestamp = RampartSteps.addTimestamp(doc, secHeader);
        Element insertAfter = timestamp;
        WSSecEncryptedKey encrKey = RampartSteps.encryptedKeyFor(stsCert, doc, crypto);
        ephemeralKey = encrKey.getEphemeralKey();
        ephemeralKeySha1 = RampartSteps.encryptedKeySha1(encrKey);
        Element keyToken = encrKey.getEncryptedKeyElement();
        String keyTokenId = encrKey.getId();
        insertAfter = insertAfter(insertAfter, keyToken);

        List<WSEncryptionPart> parts = new ArrayList<>();
        parts.add(new WSEncryptionPart(idOf(timestamp)));
        if (profile.signBody() && !attack.equals("unsigned-body")) {
            parts.add(new WSEncryptionPart(bodyId(doc)));
        }
        if (profile.usernameToken() && !attack.equals("omit-ut")) {
            WSSecUsernameToken ut = usernameToken(doc);
            insertAfter = insertAfter(insertAfter, ut.getUsernameTokenElement());
            parts.add(new WSEncryptionPart(ut.getId()));  // a signed supporting token
        }

        WSSecSignature sig = RampartSteps.hmacSignature(keyTokenId, ephemeralKey, digest, doc,
                crypto, secHeader);
        List<javax.xml.crypto.dsig.Reference> refs = sig.addReferencesToSign(parts, secHeader);
        sig.computeSignature(refs, false, null);
        insertAfter = insertAfter(insertAfter, sig.getSignatureElement());
        sentSignatureValues.add(sig.getSignatureValue());

        if (profile.encryptBody()) {
            Element refList = RampartSteps.encryptBodyWithKey(keyTokenId, ephemeralKey, doc);
            // Right after the key's token, so a receiver decrypts before it checks the signature.
            insertAfter(keyToken, refList);
        }
    }

    /**
     * Scenarios 31, 32: AsymmetricBindingBuilder with an IssuedToken as the initiator token
     * (AlwaysToRecipient): the assertion goes in the header and the proof key the STS issued
     * with it signs the Timestamp (HMAC-SHA1), its KeyInfo the token's attached reference.
     * Header: Timestamp, Assertion, Signature.
     */
    void secureIssuedToken(Document doc, WSSecHeader secHeader) throws Exception {
        Element timestamp = RampartSteps.addTimestamp(doc, secHeader);
        Element saml = (Element) doc.importNode(readXml(props.getProperty("samlToken")), true);
        insertAfter(timestamp, saml);
        ephemeralKey = Base64.getDecoder().decode(props.getProperty("samlProofKey"));

        WSSecSignature sig = new WSSecSignature();
        sig.setKeyIdentifierType(WSConstants.CUSTOM_KEY_IDENTIFIER);
        sig.setCustomTokenId(idOf(saml));
        sig.setCustomTokenValueType(samlKeyIdentifierType());
        sig.setSecretKey(ephemeralKey);
        sig.setSignatureAlgorithm(SYM_SIG);
        sig.setSigCanonicalization(C14N);
        sig.setDigestAlgo(digest);
        sig.prepare(doc, crypto, secHeader);
        List<WSEncryptionPart> parts = new ArrayList<>();
        parts.add(new WSEncryptionPart(idOf(timestamp)));
        if (attack.equals("tamper-body") || attack.equals("unsigned-body")) {
            throw new IllegalStateException(attack + " does not apply: 31/32 sign no body");
        }
        List<javax.xml.crypto.dsig.Reference> refs = sig.addReferencesToSign(parts, secHeader);
        sig.computeSignature(refs, false, null);
        insertAfter(saml, sig.getSignatureElement());
        sentSignatureValues.add(sig.getSignatureValue());
    }

    String samlKeyIdentifierType() {
        return "2.0".equals(profile.samlVersion())
                ? "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLID"
                : "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID";
    }

    /** The STR Rampart writes after a supporting SAML token (TrustUtil's, with a TokenType). */
    Element samlReference(Document doc, Element saml, boolean withId) {
        String wsse11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd";
        Element str = doc.createElementNS(WSSE, "wsse:SecurityTokenReference");
        str.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:wsse11", wsse11);
        str.setAttributeNS(wsse11, "wsse11:TokenType", "2.0".equals(profile.samlVersion())
                ? "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"
                : "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1");
        if (withId) {
            str.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:wsu", WSU);
            str.setAttributeNS(WSU, "wsu:Id", "STR-" + UUID.randomUUID());
        }
        Element keyIdentifier = child(str, WSSE, "wsse:KeyIdentifier");
        keyIdentifier.setAttributeNS(null, "ValueType", samlKeyIdentifierType());
        keyIdentifier.setTextContent(idOf(saml));
        return str;
    }

    void addUsernameToken(Document doc, WSSecHeader secHeader) {
        usernameToken(doc).appendToHeader(secHeader);
    }

    WSSecUsernameToken usernameToken(Document doc) {
        // WssUsernameToken10 without HashPassword: the password in clear (inside TLS or the
        // encrypted/signed message).
        WSSecUsernameToken ut = new WSSecUsernameToken();
        ut.setPasswordType(WSConstants.PASSWORD_TEXT);
        ut.setUserInfo(props.getProperty("username"), props.getProperty("password"));
        ut.prepare(doc);
        return ut;
    }

    // ------------------------------------------------------------------------------ attacks

    /** Alterations a network attacker makes to an otherwise correct request. */
    void attack(Document doc) throws Exception {
        Element body = bodyOf(doc);
        switch (attack) {
            case "tamper-body": {
                // Change the requested audience after the body was signed (plain-text bodies).
                Element address = firstDescendant(body, WSA_SUBMISSION, "Address");
                if (address == null) {
                    throw new IllegalStateException("tamper-body needs a body in clear");
                }
                address.setTextContent("https://attacker.example.org/");
                break;
            }
            case "tamper-encrypted": {
                Element cipherValue = firstDescendant(body, WSConstants.ENC_NS, "CipherValue");
                byte[] bytes = Base64.getDecoder().decode(cipherValue.getTextContent().trim());
                bytes[bytes.length - 20] ^= 0x01;
                cipherValue.setTextContent(Base64.getEncoder().encodeToString(bytes));
                break;
            }
            case "wrap-signature": {
                // XML signature wrapping: the signed Body is moved into a header wrapper and a
                // new Body (same element, no ID, another audience) takes its place.
                Element header = (Element) body.getPreviousSibling();
                while (header != null && !"Header".equals(header.getLocalName())) {
                    header = (Element) header.getPreviousSibling();
                }
                Element wrapper = doc.createElementNS("urn:attacker", "x:Wrapper");
                header.appendChild(wrapper);
                Element forged = (Element) body.cloneNode(true);
                forged.removeAttributeNS(WSU, "Id");
                Element address = firstDescendant(forged, WSA_SUBMISSION, "Address");
                if (address == null) {
                    throw new IllegalStateException("wrap-signature needs a body in clear");
                }
                address.setTextContent("https://attacker.example.org/");
                body.getParentNode().replaceChild(forged, body);
                wrapper.appendChild(body);
                break;
            }
            default:
                break;
        }
    }

    // ------------------------------------------------------------------------------ the exchange

    Map<String, Object> run() throws Exception {
        Map<String, Object> verdict = new LinkedHashMap<>();
        verdict.put("scenario", props.getProperty("scenario"));
        verdict.put("attack", attack);
        Document request = buildRequest();
        attack(request);
        byte[] requestBytes = serialize(request);
        ClientSupport.dump(props, "request.xml", requestBytes);
        verdict.put("requestHeaderOrder", headerOrder(request));
        if (props.getProperty("selfCheckP12") != null) {
            // Rampart's server side is WSS4J too: what it makes of this request, before it is
            // sent, proves the request right whatever the STS answers.
            verdict.put("selfCheck", selfCheck(requestBytes));
        }
        if ("true".equals(props.getProperty("dryRun"))) {
            return verdict;
        }

        HttpClient http = ClientSupport.https(props.getProperty("tlsCa"));
        HttpResponse<byte[]> response = post(http, requestBytes);
        if (attack.equals("replay")) {
            verdict.put("firstStatus", response.statusCode());
            response = post(http, requestBytes);
        }
        ClientSupport.dump(props, "response.xml", response.body());
        verdict.put("status", response.statusCode());

        Document reply = parse(response.body());
        verdict.put("fault", ClientSupport.faultIn(reply));
        if (verdict.get("fault") != null) {
            return verdict;
        }
        verifyResponse(reply, response.body(), verdict);
        return verdict;
    }

    HttpResponse<byte[]> post(HttpClient http, byte[] body) throws Exception {
        if (soapNs.equals(SOAP12)) {
            return ClientSupport.postSoap12(http, props.getProperty("url"), RST_ISSUE, body);
        }
        // SOAP 1.1: text/xml, the action in SOAPAction.
        HttpRequest request = HttpRequest.newBuilder(URI.create(props.getProperty("url")))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "text/xml; charset=UTF-8")
                .header("SOAPAction", "\"" + RST_ISSUE + "\"")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    /** WSS4J's engine on the response, then what Rampart's results validator would insist on. */
    void verifyResponse(Document reply, byte[] replyBytes, Map<String, Object> verdict)
            throws Exception {
        Map<String, Object> wss = new LinkedHashMap<>();
        verdict.put("wss4j", wss);
        wss.put("responseHeaderOrder", headerOrder(reply));
        WSSecurityEngine engine = new WSSecurityEngine();
        WSSConfig config = WSSConfig.getNewInstance();
        engine.setWssConfig(config);
        List<WSSecurityEngineResult> results;
        try {
            results = engine.processSecurityHeader(reply, null, this::handleCallbacks, crypto);
        } catch (Exception e) {
            wss.put("accepted", false);
            wss.put("error", String.valueOf(e.getMessage()));
            e.printStackTrace();  // on stderr, which the test shows when it fails
            // Would it pass without WS-I Basic Security Profile checks? Said for the diagnosis
            // only: the answer has to pass with them, as it must for Rampart.
            WSSConfig lenient = WSSConfig.getNewInstance();
            lenient.setWsiBSPCompliant(false);
            engine.setWssConfig(lenient);
            try {
                engine.processSecurityHeader(parse(replyBytes), null, this::handleCallbacks, crypto);
                wss.put("acceptedWithoutBsp", true);
            } catch (Exception again) {
                wss.put("acceptedWithoutBsp", false);
            }
            return;
        }
        wss.put("accepted", true);
        List<String> actions = new ArrayList<>();
        List<String> signed = new ArrayList<>();
        List<String> encrypted = new ArrayList<>();
        java.util.Set<String> digests = new java.util.TreeSet<>();
        List<byte[]> confirmed = new ArrayList<>();
        String signer = null;
        boolean signedBySts = false;
        for (WSSecurityEngineResult result : results == null ? List.<WSSecurityEngineResult>of() : results) {
            int action = (Integer) result.get(WSSecurityEngineResult.TAG_ACTION);
            actions.add(actionName(action));
            if (action == WSConstants.SIGN) {
                X509Certificate cert = (X509Certificate) result.get(WSSecurityEngineResult.TAG_X509_CERTIFICATE);
                if (cert != null) {
                    signer = cert.getSubjectX500Principal().getName();
                    signedBySts = cert.equals(stsCert);
                } else if (result.get(WSSecurityEngineResult.TAG_SECRET) != null) {
                    byte[] secret = (byte[]) result.get(WSSecurityEngineResult.TAG_SECRET);
                    signer = Arrays.equals(secret, ephemeralKey) ? "request-key" : "unknown-key";
                }
                wss.put("signatureMethod", result.get(WSSecurityEngineResult.TAG_SIGNATURE_METHOD));
                for (Object ref : listOf(result.get(WSSecurityEngineResult.TAG_DATA_REF_URIS))) {
                    signed.add(((WSDataRef) ref).getName().getLocalPart());
                    digests.add(((WSDataRef) ref).getDigestAlgorithm());
                }
            } else if (action == WSConstants.ENCR) {
                for (Object ref : listOf(result.get(WSSecurityEngineResult.TAG_DATA_REF_URIS))) {
                    WSDataRef dataRef = (WSDataRef) ref;
                    encrypted.add(dataRef.getName().getLocalPart());
                    wss.put("encryptionMethod", dataRef.getAlgorithm());
                }
            } else if (action == WSConstants.SC) {
                SignatureConfirmation sc = (SignatureConfirmation) result.get(
                        WSSecurityEngineResult.TAG_SIGNATURE_CONFIRMATION);
                confirmed.add(sc.getSignatureValue());
            }
        }
        wss.put("actions", actions);
        wss.put("signedParts", signed);
        wss.put("digestMethods", new ArrayList<>(digests));
        wss.put("encryptedParts", encrypted);
        wss.put("signer", signer);
        wss.put("signedBySts", signedBySts);
        wss.put("keyCallbacks", keyCallbacks);
        boolean allConfirmed = !sentSignatureValues.isEmpty();
        for (byte[] value : sentSignatureValues) {
            boolean found = false;
            for (byte[] c : confirmed) {
                found |= c != null && Arrays.equals(c, value);
            }
            allConfirmed &= found;
        }
        wss.put("signatureConfirmed", allConfirmed);
        wss.put("confirmations", confirmed.size());

        Element token = firstDescendant(bodyOf(reply), WST, "RequestedSecurityToken");
        Element first = token == null ? null : firstChildElement(token);
        verdict.put("token", first == null ? null : new QName(first.getNamespaceURI(), first.getLocalName()).toString());
        if (first != null) {
            verdict.put("subject", textOf(firstDescendantAnyNs(first, "NameID", "NameIdentifier")));
            String tokenOut = props.getProperty("tokenOut");
            if (tokenOut != null) {
                // Kept for a later request (31-34), as Rahas keeps it in its token store.
                Document saved = newDocument();
                saved.appendChild(saved.importNode(first, true));
                Files.write(Path.of(tokenOut), serialize(saved));
            }
            Element proof = firstDescendant(bodyOf(reply), WST, "RequestedProofToken");
            Element secret = proof == null ? null : firstDescendant(proof, WST, "BinarySecret");
            verdict.put("proofKey", textOf(secret));
        }
    }

    Map<String, Object> selfCheck(byte[] requestBytes) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        String password = props.getProperty("selfCheckP12Password", "");
        Merlin sts = ClientSupport.crypto(
                ClientSupport.pkcs12(props.getProperty("selfCheckP12"), password), crypto.getKeyStore());
        CallbackHandler handler = callbacks -> {
            for (Callback callback : callbacks) {
                if (callback instanceof WSPasswordCallback) {
                    WSPasswordCallback pc = (WSPasswordCallback) callback;
                    if (pc.getUsage() == WSPasswordCallback.USERNAME_TOKEN) {
                        pc.setPassword(props.getProperty("password"));
                    } else if (pc.getUsage() == WSPasswordCallback.DECRYPT
                            || pc.getUsage() == WSPasswordCallback.SIGNATURE) {
                        pc.setPassword(password);
                    } else if (ephemeralKey != null) {
                        pc.setKey(ephemeralKey);
                    }
                }
            }
        };
        WSSecurityEngine engine = new WSSecurityEngine();
        try {
            List<WSSecurityEngineResult> results =
                    engine.processSecurityHeader(parse(requestBytes), null, handler, sts);
            List<String> actions = new ArrayList<>();
            for (WSSecurityEngineResult result : results) {
                actions.add(actionName((Integer) result.get(WSSecurityEngineResult.TAG_ACTION)));
            }
            out.put("accepted", true);
            out.put("actions", actions);
        } catch (Exception e) {
            out.put("accepted", false);
            out.put("error", String.valueOf(e.getMessage()));
            e.printStackTrace();
        }
        return out;
    }

    void handleCallbacks(Callback[] callbacks) {
        for (Callback callback : callbacks) {
            if (callback instanceof WSPasswordCallback) {
                WSPasswordCallback pc = (WSPasswordCallback) callback;
                switch (pc.getUsage()) {
                    case WSPasswordCallback.DECRYPT:
                    case WSPasswordCallback.SIGNATURE:
                        pc.setPassword(clientKeyPassword);
                        break;
                    case WSPasswordCallback.ENCRYPTED_KEY_TOKEN:
                    case WSPasswordCallback.SECRET_KEY:
                        // The STS answers a symmetric-binding request with the request's key,
                        // named by its EncryptedKeySHA1; only that key is handed over.
                        keyCallbacks.add(pc.getIdentifier());
                        if (ephemeralKey != null && (pc.getIdentifier() == null
                                || pc.getIdentifier().equals(ephemeralKeySha1)
                                || ephemeralKeySha1 == null)) {
                            pc.setKey(ephemeralKey);
                        }
                        break;
                    default:
                        break;
                }
            }
        }
    }

    // ------------------------------------------------------------------------------ helpers

    static Map<String, Object> faultOf(Element fault) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> codes = new ArrayList<>();
        String reason = null;
        for (Element e : descendants(fault)) {
            String name = e.getLocalName();
            if (name.equals("faultcode") || (name.equals("Value") && SOAP12.equals(e.getNamespaceURI()))) {
                codes.add(resolveQName(e, e.getTextContent().trim()));
            } else if (name.equals("faultstring") || name.equals("Text")) {
                reason = e.getTextContent().trim();
            }
        }
        out.put("codes", codes);
        out.put("reason", reason);
        return out;
    }

    static String resolveQName(Element context, String value) {
        int colon = value.indexOf(':');
        String prefix = colon < 0 ? null : value.substring(0, colon);
        String ns = context.lookupNamespaceURI(prefix);
        return ns == null ? value : "{" + ns + "}" + value.substring(colon + 1);
    }

    static String actionName(int action) {
        switch (action) {
            case WSConstants.SIGN: return "Signature";
            case WSConstants.ENCR: return "Encryption";
            case WSConstants.TS: return "Timestamp";
            case WSConstants.SC: return "SignatureConfirmation";
            case WSConstants.UT: return "UsernameToken";
            case WSConstants.BST: return "BinarySecurityToken";
            default: return "action-" + action;
        }
    }

    static List<?> listOf(Object o) {
        return o instanceof List ? (List<?>) o : List.of();
    }

    static List<String> headerOrder(Document doc) {
        List<String> order = new ArrayList<>();
        Element security = firstDescendant(doc.getDocumentElement(), WSSE, "Security");
        if (security != null) {
            for (Node n = security.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element) {
                    order.add(n.getLocalName());
                }
            }
        }
        return order;
    }

    static SSLContext sslContext(String caPem) throws Exception {
        KeyStore trust = ClientSupport.trusting("ca", readCertificate(caPem));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    static X509Certificate readCertificate(String path) throws Exception {
        try (InputStream in = new FileInputStream(path)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static Document newDocument() throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        return dbf.newDocumentBuilder().newDocument();
    }

    static Document parse(byte[] bytes) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return dbf.newDocumentBuilder().parse(new ByteArrayInputStream(bytes));
    }

    static Element readXml(String path) throws Exception {
        return parse(Files.readAllBytes(Path.of(path))).getDocumentElement();
    }

    static byte[] serialize(Document doc) throws Exception {
        Transformer t = TransformerFactory.newInstance().newTransformer();
        t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.transform(new DOMSource(doc), new StreamResult(out));
        return out.toByteArray();
    }

    static Element child(Element parent, String ns, String qname) {
        Element e = parent.getOwnerDocument().createElementNS(ns, qname);
        parent.appendChild(e);
        return e;
    }

    static void text(Element e, String value) {
        e.setTextContent(value);
    }

    static Element insertAfter(Element reference, Element node) {
        reference.getParentNode().insertBefore(node, reference.getNextSibling());
        return node;
    }

    static String xsDateTime(Date date) {
        SimpleDateFormat f = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");
        f.setTimeZone(TimeZone.getTimeZone("UTC"));
        return f.format(date);
    }

    static String idOf(Element e) {
        for (String[] attr : new String[][] {{WSU, "Id"}, {null, "ID"}, {null, "AssertionID"}, {null, "Id"}}) {
            String value = e.getAttributeNS(attr[0], attr[1]);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        throw new IllegalStateException(e.getLocalName() + " has no ID");
    }

    static String bodyId(Document doc) {
        Element body = bodyOf(doc);
        String id = body.getAttributeNS(WSU, "Id");
        if (id.isEmpty()) {
            // As RampartUtil.addWsuIdToElement does: the ID and its namespace declaration.
            id = "id-" + UUID.randomUUID();
            body.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:wsu", WSU);
            body.setAttributeNS(WSU, "wsu:Id", id);
        }
        return id;
    }

    static Element bodyOf(Document doc) {
        for (Element e : children(doc.getDocumentElement())) {
            if ("Body".equals(e.getLocalName())) {
                return e;
            }
        }
        throw new IllegalStateException("no SOAP Body");
    }

    static List<Element> children(Element parent) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element) {
                out.add((Element) n);
            }
        }
        return out;
    }

    static Element firstChildElement(Element parent) {
        List<Element> c = children(parent);
        return c.isEmpty() ? null : c.get(0);
    }

    static List<Element> descendants(Element root) {
        List<Element> out = new ArrayList<>();
        NodeList all = root.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < all.getLength(); i++) {
            out.add((Element) all.item(i));
        }
        return out;
    }

    static Element firstDescendant(Element root, String ns, String local) {
        NodeList list = root.getElementsByTagNameNS(ns, local);
        return list.getLength() == 0 ? null : (Element) list.item(0);
    }

    static Element firstDescendantAnyNs(Element root, String... locals) {
        for (String local : locals) {
            Element e = firstDescendant(root, "*", local);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    static String textOf(Element e) {
        return e == null ? null : e.getTextContent().trim();
    }

    public static void main(String[] args) throws Exception {
        Properties props = ClientSupport.readProperties(args[0]);
        WSSConfig.init();
        ClientSupport.printVerdict(() -> new StsClient(props).run());
    }
}
