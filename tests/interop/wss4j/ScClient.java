/*
 * A WS-SecureConversation 2005/02 client as a WSO2 (Rampart) client runs it, on Apache WSS4J 1.6.
 *
 * Rampart's SecureConversation support is Rahas' STSClient for the RST/SCT plus WSS4J's
 * WSSecSecurityContextToken, WSSecDKSign and WSSecDKEncrypt for the messages the context
 * protects. This program does the same per WSO2 scenario 9-15: the bootstrap RST/SCT (client
 * entropy, KeySize 256) secured as the scenario's sp:BootstrapPolicy says (X.509 for 9-11, an
 * EncryptedKey for the STS for 12-15, a signed UsernameToken for 14 and 15), the context's key
 * computed from the two entropies (CK/PSHA1, WSS4J's P_SHA1), then token requests, renewals,
 * amendments and cancellations protected with keys derived from the context. Every answer is
 * checked with WSS4J's own WSSecurityEngine, which is handed the context's key only when it
 * asks for the context the answer names.
 *
 * Usage: java ScClient <properties file>. Prints one JSON object (the verdict) on stdout.
 * Properties: as StsClient's (scenario, url, tlsCa, stsCert, clientP12, clientP12Password,
 * clientAlias, username, password, appliesTo, dumpDir) plus steps (comma-separated: bootstrap,
 * issue, renew, amend, cancel), contextFile (where the context is kept between runs), and
 * attack (none|tamper-body|forge-context|by-identifier).
 */

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import javax.security.auth.callback.Callback;

import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSDataRef;
import org.apache.ws.security.WSEncryptionPart;
import org.apache.ws.security.WSPasswordCallback;
import org.apache.ws.security.WSSConfig;
import org.apache.ws.security.WSSecurityEngine;
import org.apache.ws.security.WSSecurityEngineResult;
import org.apache.ws.security.components.crypto.Merlin;
import org.apache.ws.security.conversation.ConversationConstants;
import org.apache.ws.security.conversation.dkalgo.P_SHA1;
import org.apache.ws.security.message.WSSecDKEncrypt;
import org.apache.ws.security.message.WSSecDKSign;
import org.apache.ws.security.message.WSSecEncryptedKey;
import org.apache.ws.security.message.WSSecHeader;
import org.apache.ws.security.message.WSSecSecurityContextToken;
import org.apache.ws.security.message.WSSecSignature;
import org.apache.ws.security.message.WSSecUsernameToken;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

public final class ScClient {

    static final String WST = StsClient.WST;
    static final String WSC = ConversationConstants.WSC_NS_05_02;
    static final String SCT_TYPE = WSConstants.WSC_SCT;
    static final String ACTION = WST + "/RST/SCT";
    static final String WSU = StsClient.WSU;
    static final String WSA = StsClient.WSA;
    static final String WSA_SUBMISSION = StsClient.WSA_SUBMISSION;
    // Basic256 as Rampart maps it: 192-bit derived signing keys, 256-bit derived encryption keys.
    static final int SIGNATURE_KEY_BYTES = 24;
    static final int ENCRYPTION_KEY_BYTES = 32;

    /** What scenario n's SecureConversation policy asks of a message protected by the context. */
    record Protection(boolean sign, boolean encrypt) {
    }

    static Protection protection(int scenario) {
        switch (scenario) {
            case 9: case 12: return new Protection(true, false);
            case 10: case 14: return new Protection(false, true);
            case 11: case 13: case 15: return new Protection(true, true);
            default: throw new IllegalArgumentException("not a SecureConversation scenario: " + scenario);
        }
    }

    final Properties props;
    final int scenario;
    final String attack;
    final X509Certificate stsCert;
    final Merlin crypto;
    final String clientAlias;
    final String clientKeyPassword;
    final HttpClient http;
    final SecureRandom random = new SecureRandom();
    // The bootstrap's EncryptedKey (12-15), which keys the bootstrap's answer.
    byte[] ephemeralKey;
    String ephemeralKeySha1;
    byte[] bootstrapSignature;
    // The context, once obtained.
    String identifier;
    byte[] contextKey;
    final List<String> keyCallbacks = new ArrayList<>();

    ScClient(Properties props) throws Exception {
        this.props = props;
        this.scenario = Integer.parseInt(props.getProperty("scenario"));
        protection(scenario);
        this.attack = props.getProperty("attack", "none");
        this.stsCert = StsClient.readCertificate(props.getProperty("stsCert"));
        this.clientAlias = props.getProperty("clientAlias", "client");
        this.clientKeyPassword = props.getProperty("clientP12Password", "");
        this.crypto = ClientSupport.clientCrypto(props, stsCert);
        this.http = ClientSupport.https(props.getProperty("tlsCa"));
    }

    // ------------------------------------------------------------------------------ messages

    /** A SOAP 1.2 envelope as Axis2 writes it (addressing headers), the body from ``rst``. */
    Document envelope(String action, java.util.function.Consumer<Element> rst) throws Exception {
        Document doc = StsClient.newDocument();
        String soap = StsClient.SOAP12;
        Element envelope = doc.createElementNS(soap, "soapenv:Envelope");
        doc.appendChild(envelope);
        Element header = StsClient.child(envelope, soap, "soapenv:Header");
        Element body = StsClient.child(envelope, soap, "soapenv:Body");
        StsClient.text(StsClient.child(header, WSA, "wsa:To"), props.getProperty("url"));
        StsClient.text(StsClient.child(header, WSA, "wsa:MessageID"), "urn:uuid:" + UUID.randomUUID());
        StsClient.text(StsClient.child(header, WSA, "wsa:Action"), action);
        rst.accept(StsClient.child(body, WST, "wst:RequestSecurityToken"));
        return StsClient.parse(StsClient.serialize(doc));
    }

    /** Rahas' RST/SCT: the token type, Issue, client entropy and the key size. */
    void sctRequest(Element rst, byte[] entropy) {
        StsClient.text(StsClient.child(rst, WST, "wst:TokenType"), SCT_TYPE);
        StsClient.text(StsClient.child(rst, WST, "wst:RequestType"), WST + "/Issue");
        Element secret = StsClient.child(StsClient.child(rst, WST, "wst:Entropy"), WST, "wst:BinarySecret");
        secret.setAttributeNS(null, "Type", WST + "/Nonce");
        StsClient.text(secret, Base64.getEncoder().encodeToString(entropy));
        StsClient.text(StsClient.child(rst, WST, "wst:ComputedKeyAlgorithm"), WST + "/CK/PSHA1");
        StsClient.text(StsClient.child(rst, WST, "wst:KeySize"), "256");
    }

    /** The token request Rahas sends once it holds the context (as StsClient's). */
    void tokenRequest(Element rst) {
        StsClient.text(StsClient.child(rst, WST, "wst:RequestType"), WST + "/Issue");
        Element appliesTo = StsClient.child(rst, StsClient.WSP, "wsp:AppliesTo");
        Element epr = StsClient.child(appliesTo, WSA_SUBMISSION, "wsa:EndpointReference");
        StsClient.text(StsClient.child(epr, WSA_SUBMISSION, "wsa:Address"), props.getProperty("appliesTo"));
        StsClient.text(StsClient.child(rst, WST, "wst:TokenType"),
                "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0");
        StsClient.text(StsClient.child(rst, WST, "wst:KeyType"), WST + "/Bearer");
    }

    /** WS-SecureConversation 2005/02's Renew, Amend (an Issue to the Amend action) and Cancel. */
    void contextRequest(Element rst, String step) {
        if (!step.equals("cancel")) {
            StsClient.text(StsClient.child(rst, WST, "wst:TokenType"), SCT_TYPE);
        }
        String type = step.equals("renew") ? "Renew" : step.equals("cancel") ? "Cancel" : "Issue";
        StsClient.text(StsClient.child(rst, WST, "wst:RequestType"), WST + "/" + type);
        if (!step.equals("amend")) {
            Element target = StsClient.child(rst, WST, step.equals("renew") ? "wst:RenewTarget" : "wst:CancelTarget");
            Element str = StsClient.child(target, StsClient.WSSE, "wsse:SecurityTokenReference");
            Element reference = StsClient.child(str, StsClient.WSSE, "wsse:Reference");
            reference.setAttributeNS(null, "URI", identifier);
            reference.setAttributeNS(null, "ValueType", SCT_TYPE);
        }
    }

    // ------------------------------------------------------------------------------ bootstrap

    /** The RST/SCT secured as scenario 9-11's AsymmetricBinding or 12-15's SymmetricBinding. */
    Map<String, Object> bootstrap() throws Exception {
        byte[] entropy = new byte[32];
        random.nextBytes(entropy);
        Document doc = envelope(ACTION, rst -> sctRequest(rst, entropy));
        WSSecHeader secHeader = new WSSecHeader();
        secHeader.setMustUnderstand(true);
        secHeader.insertSecurityHeader(doc);
        if (scenario <= 11) {
            bootstrapAsymmetric(doc, secHeader);
        } else {
            bootstrapSymmetric(doc, secHeader);
        }
        Map<String, Object> step = exchange("bootstrap", doc, ACTION);
        Document reply = (Document) step.remove("reply");
        if (reply == null) {
            return step;
        }
        // WSS4J decrypted the body in place: read the RSTR as Rahas does.
        Element rstr = StsClient.firstDescendant(StsClient.bodyOf(reply), WST, "RequestSecurityTokenResponse");
        Element sct = rstr == null ? null : StsClient.firstDescendant(rstr, WSC, "SecurityContextToken");
        Element serverEntropy = rstr == null ? null
                : StsClient.firstDescendant(StsClient.firstDescendant(rstr, WST, "Entropy"), WST, "BinarySecret");
        Element computed = rstr == null ? null : StsClient.firstDescendant(rstr, WST, "ComputedKey");
        step.put("computedKey", StsClient.textOf(computed));
        if (sct == null || serverEntropy == null) {
            step.put("context", null);
            return step;
        }
        identifier = StsClient.textOf(StsClient.firstDescendant(sct, WSC, "Identifier"));
        byte[] server = Base64.getDecoder().decode(StsClient.textOf(serverEntropy));
        int bits = Integer.parseInt(StsClient.textOf(StsClient.firstDescendant(rstr, WST, "KeySize")));
        contextKey = new P_SHA1().createKey(entropy, server, 0, bits / 8);
        step.put("context", identifier);
        step.put("lifetimeExpires", StsClient.textOf(StsClient.firstDescendant(rstr, WSU, "Expires")));
        String contextFile = props.getProperty("contextFile");
        if (contextFile != null) {
            Files.writeString(Path.of(contextFile),
                    identifier + "\n" + Base64.getEncoder().encodeToString(contextKey) + "\n");
        }
        return step;
    }

    /** 9-11's bootstrap: the client's X509Token is Never included (thumbprint), Strict layout,
     * Body signed, then encrypted for the STS (thumbprint); Timestamp, EncryptedKey, Signature. */
    void bootstrapAsymmetric(Document doc, WSSecHeader secHeader) throws Exception {
        Element timestamp = RampartSteps.addTimestamp(doc, secHeader);
        WSSecSignature sig = new WSSecSignature();
        sig.setKeyIdentifierType(WSConstants.THUMBPRINT_IDENTIFIER);
        sig.setUserInfo(clientAlias, clientKeyPassword);
        sig.setSignatureAlgorithm(StsClient.ASYM_SIG);
        sig.setSigCanonicalization(StsClient.C14N);
        sig.setDigestAlgo(WSConstants.SHA1);
        sig.prepare(doc, crypto, secHeader);
        List<WSEncryptionPart> parts = new ArrayList<>();
        parts.add(new WSEncryptionPart(StsClient.idOf(timestamp)));
        parts.add(new WSEncryptionPart(StsClient.bodyId(doc)));
        sig.computeSignature(sig.addReferencesToSign(parts, secHeader), false, null);
        StsClient.insertAfter(timestamp, sig.getSignatureElement());

        StsClient.insertAfter(timestamp, RampartSteps.encryptBodyFor(stsCert, doc, crypto));
    }

    /** 12-15's bootstrap: an EncryptedKey for the STS keys an HMAC signature over Timestamp,
     * Body (and the UsernameToken, 14 and 15) and the Body's encryption; Lax layout. */
    void bootstrapSymmetric(Document doc, WSSecHeader secHeader) throws Exception {
        Element timestamp = RampartSteps.addTimestamp(doc, secHeader);
        WSSecEncryptedKey encrKey = RampartSteps.encryptedKeyFor(stsCert, doc, crypto);
        ephemeralKey = encrKey.getEphemeralKey();
        ephemeralKeySha1 = RampartSteps.encryptedKeySha1(encrKey);
        Element keyToken = encrKey.getEncryptedKeyElement();
        Element insertAfter = StsClient.insertAfter(timestamp, keyToken);
        List<WSEncryptionPart> parts = new ArrayList<>();
        parts.add(new WSEncryptionPart(StsClient.idOf(timestamp)));
        parts.add(new WSEncryptionPart(StsClient.bodyId(doc)));
        if (scenario >= 14) {
            WSSecUsernameToken ut = new WSSecUsernameToken();
            ut.setPasswordType(WSConstants.PASSWORD_TEXT);
            ut.setUserInfo(props.getProperty("username"), props.getProperty("password"));
            ut.prepare(doc);
            insertAfter = StsClient.insertAfter(insertAfter, ut.getUsernameTokenElement());
            parts.add(new WSEncryptionPart(ut.getId()));
        }
        WSSecSignature sig = RampartSteps.hmacSignature(encrKey.getId(), ephemeralKey,
                WSConstants.SHA1, doc, crypto, secHeader);
        sig.computeSignature(sig.addReferencesToSign(parts, secHeader), false, null);
        StsClient.insertAfter(insertAfter, sig.getSignatureElement());
        bootstrapSignature = sig.getSignatureValue();

        StsClient.insertAfter(keyToken, RampartSteps.encryptBodyWithKey(encrKey.getId(), ephemeralKey, doc));
    }

    // ------------------------------------------------------------------------------ the context

    /** A request protected with the context, as SymmetricBindingBuilder does for a
     * SecureConversationToken: Timestamp, SecurityContextToken (AlwaysToRecipient), derived
     * key and ReferenceList for the encryption, derived key and Signature (HMAC-SHA1). */
    Map<String, Object> secured(String step) throws Exception {
        String action = step.equals("issue") ? StsClient.RST_ISSUE : ACTION + "/"
                + Character.toUpperCase(step.charAt(0)) + step.substring(1);
        Document doc = envelope(action, rst -> {
            if (step.equals("issue")) {
                tokenRequest(rst);
            } else {
                contextRequest(rst, step);
            }
        });
        String usedIdentifier = identifier;
        byte[] usedKey = contextKey;
        if (attack.equals("forge-context") && step.equals("issue")) {
            usedIdentifier = "urn:uuid:" + UUID.randomUUID();
            usedKey = new byte[32];
            random.nextBytes(usedKey);
        }
        boolean byIdentifier = attack.equals("by-identifier");
        WSSecHeader secHeader = new WSSecHeader();
        secHeader.setMustUnderstand(true);
        secHeader.insertSecurityHeader(doc);
        Element timestamp = RampartSteps.addTimestamp(doc, secHeader);
        Element insertAfter = timestamp;
        String tokenId = null;
        if (!byIdentifier) {
            WSSecSecurityContextToken sct = new WSSecSecurityContextToken();
            sct.setWscVersion(ConversationConstants.VERSION_05_02);
            sct.setIdentifier(usedIdentifier);
            sct.prepare(doc, crypto);
            Element sctElement = sct.getSct().getElement();
            tokenId = sct.getSctId();
            if (sctElement.getAttributeNS(WSU, "Id").isEmpty()) {
                tokenId = "sct-" + UUID.randomUUID();
                sctElement.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:wsu", WSU);
                sctElement.setAttributeNS(WSU, "wsu:Id", tokenId);
            } else {
                tokenId = sctElement.getAttributeNS(WSU, "Id");
            }
            insertAfter = StsClient.insertAfter(insertAfter, sctElement);
        }
        Protection protection = protection(scenario);
        if (!step.equals("issue")) {
            protection = new Protection(true, true);  // context changes: both, whatever the scenario
        }
        // Signed first (the plain Body), encrypted after; the header lists the encryption first,
        // so a receiver decrypts before it checks the signature.
        WSSecDKSign sig = new WSSecDKSign();
        sig.setWscVersion(ConversationConstants.VERSION_05_02);
        reference(sig, usedKey, usedIdentifier, tokenId);
        sig.setSignatureAlgorithm(StsClient.SYM_SIG);
        sig.setSigCanonicalization(StsClient.C14N);
        sig.setDigestAlgorithm(WSConstants.SHA1);
        sig.setDerivedKeyLength(SIGNATURE_KEY_BYTES);
        sig.prepare(doc, secHeader);
        List<WSEncryptionPart> parts = new ArrayList<>();
        parts.add(new WSEncryptionPart(StsClient.idOf(timestamp)));
        if (protection.sign()) {
            parts.add(new WSEncryptionPart(StsClient.bodyId(doc)));
        }
        sig.computeSignature(sig.addReferencesToSign(parts, secHeader), false, null);
        if (attack.equals("tamper-body") && step.equals("issue")) {
            Element address = StsClient.firstDescendant(StsClient.bodyOf(doc), WSA_SUBMISSION, "Address");
            address.setTextContent("https://attacker.example.org/");
        }
        if (protection.encrypt()) {
            WSSecDKEncrypt encr = new WSSecDKEncrypt();
            encr.setWscVersion(ConversationConstants.VERSION_05_02);
            reference(encr, usedKey, usedIdentifier, tokenId);
            encr.setSymmetricEncAlgorithm(StsClient.SYM_ENC);
            encr.setDerivedKeyLength(ENCRYPTION_KEY_BYTES);
            encr.prepare(doc);
            List<WSEncryptionPart> encrParts = new ArrayList<>();
            encrParts.add(new WSEncryptionPart(StsClient.bodyId(doc), "Content"));
            Element refList = encr.encryptForExternalRef(null, encrParts);
            insertAfter = StsClient.insertAfter(insertAfter, encr.getdktElement());
            insertAfter = StsClient.insertAfter(insertAfter, refList);
        }
        insertAfter = StsClient.insertAfter(insertAfter, sig.getdktElement());
        StsClient.insertAfter(insertAfter, sig.getSignatureElement());
        Map<String, Object> result = exchange(step, doc, action);
        Document reply = (Document) result.remove("reply");
        if (reply != null) {
            Element body = StsClient.bodyOf(reply);
            Element token = StsClient.firstDescendant(body, WST, "RequestedSecurityToken");
            Element first = token == null ? null : StsClient.firstChildElement(token);
            result.put("token", first == null ? null : first.getLocalName());
            if (first != null) {
                result.put("subject", StsClient.textOf(StsClient.firstDescendantAnyNs(first, "NameID", "NameIdentifier")));
                result.put("identifier", StsClient.textOf(StsClient.firstDescendant(first, WSC, "Identifier")));
            }
            result.put("cancelled", StsClient.firstDescendant(body, WST, "RequestedTokenCancelled") != null);
            result.put("lifetimeExpires", StsClient.textOf(StsClient.firstDescendant(body, WSU, "Expires")));
        }
        return result;
    }

    /** The derived key's base: the SCT in this message by wsu:Id, or the context by its
     * identifier when the token is not carried (attack by-identifier). */
    void reference(org.apache.ws.security.message.WSSecDerivedKeyBase dk, byte[] key,
                   String usedIdentifier, String tokenId) {
        if (tokenId == null) {
            dk.setExternalKey(key, usedIdentifier);
            dk.setTokenIdDirectId(true);
        } else {
            dk.setExternalKey(key, tokenId);
        }
        dk.setCustomValueType(SCT_TYPE);
    }

    // ------------------------------------------------------------------------------ the exchange

    Map<String, Object> exchange(String step, Document doc, String action) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("step", step);
        byte[] request = StsClient.serialize(doc);
        ClientSupport.dump(props, step + "-request.xml", request);
        result.put("requestHeaderOrder", StsClient.headerOrder(doc));
        HttpResponse<byte[]> response = ClientSupport.postSoap12(http, props.getProperty("url"), action, request);
        ClientSupport.dump(props, step + "-response.xml", response.body());
        result.put("status", response.statusCode());
        Document reply = StsClient.parse(response.body());
        result.put("fault", ClientSupport.faultIn(reply));
        if (result.get("fault") != null) {
            return result;
        }
        result.put("wss4j", verify(reply));
        result.put("responseAction", StsClient.textOf(StsClient.firstDescendant(reply.getDocumentElement(), WSA, "Action")));
        if (Boolean.TRUE.equals(((Map<?, ?>) result.get("wss4j")).get("accepted"))) {
            result.put("reply", reply);
        }
        return result;
    }

    /** WSS4J's engine on an answer: who signed it (the STS's certificate, the bootstrap's
     * EncryptedKey, or the context), what was signed and encrypted, derived keys used. */
    Map<String, Object> verify(Document reply) {
        Map<String, Object> wss = new LinkedHashMap<>();
        wss.put("responseHeaderOrder", StsClient.headerOrder(reply));
        WSSecurityEngine engine = new WSSecurityEngine();
        engine.setWssConfig(WSSConfig.getNewInstance());
        List<WSSecurityEngineResult> results;
        try {
            results = engine.processSecurityHeader(reply, null, this::handleCallbacks, crypto);
        } catch (Exception e) {
            wss.put("accepted", false);
            wss.put("error", String.valueOf(e.getMessage()));
            e.printStackTrace();
            return wss;
        }
        wss.put("accepted", true);
        List<String> actions = new ArrayList<>();
        List<String> signed = new ArrayList<>();
        List<String> encrypted = new ArrayList<>();
        List<byte[]> confirmed = new ArrayList<>();
        String signer = null;
        int derivedKeys = 0;
        for (WSSecurityEngineResult result : results == null ? List.<WSSecurityEngineResult>of() : results) {
            int action = (Integer) result.get(WSSecurityEngineResult.TAG_ACTION);
            actions.add(action == WSConstants.DKT ? "DerivedKey" : StsClient.actionName(action));
            if (action == WSConstants.DKT) {
                derivedKeys++;
            } else if (action == WSConstants.SIGN) {
                X509Certificate cert = (X509Certificate) result.get(WSSecurityEngineResult.TAG_X509_CERTIFICATE);
                if (cert != null) {
                    signer = cert.equals(stsCert) ? "sts" : cert.getSubjectX500Principal().getName();
                } else {
                    signer = "secret-key";
                }
                for (Object ref : StsClient.listOf(result.get(WSSecurityEngineResult.TAG_DATA_REF_URIS))) {
                    signed.add(((WSDataRef) ref).getName().getLocalPart());
                }
            } else if (action == WSConstants.ENCR) {
                for (Object ref : StsClient.listOf(result.get(WSSecurityEngineResult.TAG_DATA_REF_URIS))) {
                    encrypted.add(((WSDataRef) ref).getName().getLocalPart());
                }
            } else if (action == WSConstants.SC) {
                confirmed.add(((org.apache.ws.security.message.token.SignatureConfirmation) result.get(
                        WSSecurityEngineResult.TAG_SIGNATURE_CONFIRMATION)).getSignatureValue());
            }
        }
        wss.put("actions", actions);
        wss.put("signer", signer);
        wss.put("signedParts", signed);
        wss.put("encryptedParts", encrypted);
        wss.put("derivedKeys", derivedKeys);
        wss.put("keyCallbacks", new ArrayList<>(keyCallbacks));
        boolean bootstrapConfirmed = false;
        for (byte[] value : confirmed) {
            bootstrapConfirmed |= bootstrapSignature != null && value != null && Arrays.equals(value, bootstrapSignature);
        }
        wss.put("signatureConfirmed", bootstrapConfirmed);
        keyCallbacks.clear();
        return wss;
    }

    void handleCallbacks(Callback[] callbacks) {
        for (Callback callback : callbacks) {
            if (!(callback instanceof WSPasswordCallback)) {
                continue;
            }
            WSPasswordCallback pc = (WSPasswordCallback) callback;
            String id = pc.getIdentifier();
            switch (pc.getUsage()) {
                case WSPasswordCallback.DECRYPT:
                case WSPasswordCallback.SIGNATURE:
                    pc.setPassword(clientKeyPassword);
                    break;
                case WSPasswordCallback.SECURITY_CONTEXT_TOKEN:
                case WSPasswordCallback.SECRET_KEY:
                case WSPasswordCallback.CUSTOM_TOKEN:
                case WSPasswordCallback.ENCRYPTED_KEY_TOKEN:
                    keyCallbacks.add(pc.getUsage() + ":" + id);
                    // Only the key of what the answer names: the context, or the bootstrap's key.
                    if (contextKey != null && identifier != null && id != null
                            && (id.equals(identifier) || id.equals("#" + identifier))) {
                        pc.setKey(contextKey);
                    } else if (ephemeralKey != null && id != null && id.equals(ephemeralKeySha1)) {
                        pc.setKey(ephemeralKey);
                    }
                    break;
                default:
                    break;
            }
        }
    }

    Map<String, Object> run() throws Exception {
        Map<String, Object> verdict = new LinkedHashMap<>();
        verdict.put("scenario", scenario);
        verdict.put("attack", attack);
        List<Object> steps = new ArrayList<>();
        verdict.put("steps", steps);
        String contextFile = props.getProperty("contextFile");
        for (String step : props.getProperty("steps", "bootstrap,issue").split(",")) {
            step = step.trim();
            if (step.equals("bootstrap")) {
                Map<String, Object> result = bootstrap();
                steps.add(result);
                if (identifier == null) {
                    break;  // no context: nothing further can be sent
                }
                continue;
            }
            if (identifier == null && contextFile != null) {
                List<String> lines = Files.readAllLines(Path.of(contextFile), StandardCharsets.UTF_8);
                identifier = lines.get(0).trim();
                contextKey = Base64.getDecoder().decode(lines.get(1).trim());
            }
            if (identifier == null) {
                throw new IllegalStateException("no context: start with the bootstrap step");
            }
            steps.add(secured(step));
        }
        return verdict;
    }

    public static void main(String[] args) throws Exception {
        Properties props = ClientSupport.readProperties(args[0]);
        WSSConfig.init();
        ClientSupport.printVerdict(() -> new ScClient(props).run());
    }
}
