/*
 * Scenario 20 as a Rampart client sends it, built on Apache WSS4J 1.6's KerberosSecurity.
 *
 * The client logs in to the KDC with Java's Krb5LoginModule (JAAS), KerberosSecurity obtains a
 * service ticket for the STS's principal and puts the AP-REQ in a BinarySecurityToken
 * (GSS_Kerberosv5_AP_REQ), and WSSecSignature signs the Body and Timestamp with HMAC-SHA1 keyed
 * by the ticket's session key, naming the token as WSO2's policy lets it (a direct Reference, or
 * a Kerberosv5APREQSHA1 key identifier). The answer is checked with WSS4J's WSSecurityEngine:
 * its signature must verify with the same session key, cover the Body, and confirm the
 * request's signature.
 *
 * WSS4J 1.6 reads the session key from the GSS context (ExtendedGSSContext, the authenticator's
 * subkey) only when java.vendor starts with "Oracle"; otherwise it takes the ticket's session
 * key, which a GSS-API acceptor does not use. The property is set before WSS4J is loaded.
 *
 * Usage: java KerberosClient <properties file>; prints one JSON verdict on stdout.
 * Properties: url, tlsCa (PEM), krb5Conf, clientPrincipal, clientPassword, servicePrincipal,
 * appliesTo, reference (direct|sha1), dumpDir.
 */

import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import javax.crypto.SecretKey;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;

import org.w3c.dom.Document;
import org.w3c.dom.Element;

public final class KerberosClient {
    static final String SOAP12 = StsClient.SOAP12;
    static final String WST = StsClient.WST;
    static final String WSP = StsClient.WSP;
    static final String WSA = StsClient.WSA_SUBMISSION;
    static final String LOGIN = "stsdesk-kerberos-client";

    final Properties props;
    byte[] sessionKey;
    String apReqSha1;
    byte[] sentSignatureValue;
    final List<String> keyCallbacks = new ArrayList<>();

    KerberosClient(Properties props) {
        this.props = props;
    }

    /** JAAS: Java's own Kerberos login module, with the password from the properties. */
    void configureLogin() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("refreshKrb5Config", "true");
        options.put("useTicketCache", "false");
        options.put("storeKey", "false");
        options.put("principal", props.getProperty("clientPrincipal"));
        AppConfigurationEntry entry = new AppConfigurationEntry(
                "com.sun.security.auth.module.Krb5LoginModule",
                AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options);
        Configuration.setConfiguration(new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return LOGIN.equals(name) ? new AppConfigurationEntry[] {entry} : null;
            }
        });
    }

    CallbackHandler loginCallbacks() {
        return callbacks -> {
            for (Callback callback : callbacks) {
                if (callback instanceof NameCallback) {
                    ((NameCallback) callback).setName(props.getProperty("clientPrincipal"));
                } else if (callback instanceof PasswordCallback) {
                    ((PasswordCallback) callback).setPassword(
                            props.getProperty("clientPassword").toCharArray());
                }
            }
        };
    }

    /** The RST as text, parsed: every namespace declared where it is used, as on the wire, so
     * that what WSS4J canonicalises when signing is what the STS reads. */
    Document request() throws Exception {
        String rst = "<soap:Envelope xmlns:soap=\"" + SOAP12 + "\"><soap:Header/><soap:Body>"
                + "<wst:RequestSecurityToken xmlns:wst=\"" + WST + "\">"
                + "<wst:RequestType>" + WST + "/Issue</wst:RequestType>"
                + "<wst:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1"
                + "#SAMLV2.0</wst:TokenType>"
                + "<wst:KeyType>" + WST + "/Bearer</wst:KeyType>"
                + "<wsp:AppliesTo xmlns:wsp=\"" + WSP + "\"><wsa:EndpointReference xmlns:wsa=\""
                + WSA + "\"><wsa:Address>" + escape(props.getProperty("appliesTo"))
                + "</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>"
                + "</wst:RequestSecurityToken></soap:Body></soap:Envelope>";
        return StsClient.parse(rst.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Timestamp, the AP-REQ, an HMAC-SHA1 signature with its session key: Rampart's order. */
    void secure(Document doc) throws Exception {
        org.apache.ws.security.WSSConfig config = org.apache.ws.security.WSSConfig.getNewInstance();
        org.apache.ws.security.message.WSSecHeader header =
                new org.apache.ws.security.message.WSSecHeader();
        header.setMustUnderstand(true);
        header.insertSecurityHeader(doc);
        org.apache.ws.security.message.WSSecTimestamp timestamp =
                new org.apache.ws.security.message.WSSecTimestamp(config);
        timestamp.setTimeToLive(300);
        timestamp.build(doc, header);

        org.apache.ws.security.message.token.KerberosSecurity token =
                new org.apache.ws.security.message.token.KerberosSecurity(doc);
        // The principal in user-name form: a host-based name would be resolved in DNS.
        token.retrieveServiceTicket(LOGIN, loginCallbacks(), props.getProperty("servicePrincipal"),
                true);
        token.addWSUNamespace();
        token.setID(config.getIdAllocator().createSecureId("BST-", token));
        org.apache.ws.security.util.WSSecurityUtil.prependChildElement(
                header.getSecurityHeader(), token.getElement());
        SecretKey key = token.getSecretKey();
        sessionKey = key.getEncoded();
        apReqSha1 = Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-1").digest(token.getToken()));

        org.apache.ws.security.message.WSSecSignature signature =
                new org.apache.ws.security.message.WSSecSignature(config);
        signature.setSignatureAlgorithm(org.apache.ws.security.WSConstants.HMAC_SHA1);
        signature.setDigestAlgo(org.apache.ws.security.WSConstants.SHA1);
        signature.setSecretKey(sessionKey);
        if ("sha1".equals(props.getProperty("reference", "direct"))) {
            signature.setKeyIdentifierType(org.apache.ws.security.WSConstants.CUSTOM_KEY_IDENTIFIER);
            signature.setCustomTokenValueType(org.apache.ws.security.WSConstants.WSS_KRB_KI_VALUE_TYPE);
            signature.setCustomTokenId(apReqSha1);
        } else {
            signature.setKeyIdentifierType(org.apache.ws.security.WSConstants.CUSTOM_SYMM_SIGNING);
            signature.setCustomTokenValueType(org.apache.ws.security.WSConstants.WSS_GSS_KRB_V5_AP_REQ);
            signature.setCustomTokenId(token.getID());
        }
        List<org.apache.ws.security.WSEncryptionPart> parts = new ArrayList<>();
        parts.add(new org.apache.ws.security.WSEncryptionPart("Body", SOAP12, "Content"));
        parts.add(new org.apache.ws.security.WSEncryptionPart(timestamp.getId()));
        signature.setParts(parts);
        signature.prepare(doc, null, header);
        List<javax.xml.crypto.dsig.Reference> references = signature.addReferencesToSign(parts, header);
        signature.computeSignature(references, false, null);
        sentSignatureValue = signature.getSignatureValue();
    }

    Map<String, Object> run() throws Exception {
        configureLogin();
        Document doc = request();
        secure(doc);
        byte[] body = StsClient.serialize(doc);
        ClientSupport.dump(props, "request.xml", body);
        HttpResponse<byte[]> response = ClientSupport.postSoap12(
                ClientSupport.https(props.getProperty("tlsCa")), props.getProperty("url"),
                StsClient.RST_ISSUE, body);
        ClientSupport.dump(props, "response.xml", response.body());
        Map<String, Object> verdict = new LinkedHashMap<>();
        verdict.put("status", response.statusCode());
        verdict.put("apReqSha1", apReqSha1);
        Document reply = StsClient.parse(response.body());
        verdict.put("fault", ClientSupport.faultIn(reply));
        if (verdict.get("fault") != null) {
            return verdict;
        }
        verify(reply, verdict);
        return verdict;
    }

    /** WSS4J's engine on the answer: the session key must verify it, as for Rampart. */
    void verify(Document reply, Map<String, Object> verdict) {
        Map<String, Object> wss = new LinkedHashMap<>();
        verdict.put("wss4j", wss);
        org.apache.ws.security.WSSecurityEngine engine = new org.apache.ws.security.WSSecurityEngine();
        CallbackHandler keys = callbacks -> {
            for (Callback callback : callbacks) {
                if (callback instanceof org.apache.ws.security.WSPasswordCallback) {
                    org.apache.ws.security.WSPasswordCallback pc =
                            (org.apache.ws.security.WSPasswordCallback) callback;
                    keyCallbacks.add(pc.getUsage() + ":" + pc.getIdentifier());
                    // Only the key of the AP-REQ this client sent, named by its SHA-1.
                    if (apReqSha1.equals(pc.getIdentifier())) {
                        pc.setKey(sessionKey);
                    }
                }
            }
        };
        List<org.apache.ws.security.WSSecurityEngineResult> results;
        try {
            results = engine.processSecurityHeader(reply, null, keys, null);
        } catch (Exception e) {
            wss.put("accepted", false);
            wss.put("error", String.valueOf(e.getMessage()));
            wss.put("keyCallbacks", keyCallbacks);
            e.printStackTrace();
            return;
        }
        wss.put("accepted", true);
        wss.put("keyCallbacks", keyCallbacks);
        List<String> actions = new ArrayList<>();
        List<String> signed = new ArrayList<>();
        boolean confirmed = false;
        for (org.apache.ws.security.WSSecurityEngineResult result : results) {
            int action = (Integer) result.get(org.apache.ws.security.WSSecurityEngineResult.TAG_ACTION);
            actions.add(StsClient.actionName(action));
            if (action == org.apache.ws.security.WSConstants.SIGN) {
                byte[] secret = (byte[]) result.get(org.apache.ws.security.WSSecurityEngineResult.TAG_SECRET);
                wss.put("signedWithSessionKey", Arrays.equals(secret, sessionKey));
                wss.put("signatureMethod",
                        result.get(org.apache.ws.security.WSSecurityEngineResult.TAG_SIGNATURE_METHOD));
                for (Object ref : StsClient.listOf(
                        result.get(org.apache.ws.security.WSSecurityEngineResult.TAG_DATA_REF_URIS))) {
                    signed.add(((org.apache.ws.security.WSDataRef) ref).getName().getLocalPart());
                }
            } else if (action == org.apache.ws.security.WSConstants.SC) {
                org.apache.ws.security.message.token.SignatureConfirmation sc =
                        (org.apache.ws.security.message.token.SignatureConfirmation) result.get(
                                org.apache.ws.security.WSSecurityEngineResult.TAG_SIGNATURE_CONFIRMATION);
                confirmed |= Arrays.equals(sc.getSignatureValue(), sentSignatureValue);
            }
        }
        wss.put("actions", actions);
        wss.put("signedParts", signed);
        wss.put("signatureConfirmed", confirmed);
        Element token = StsClient.firstDescendant(StsClient.bodyOf(reply), WST, "RequestedSecurityToken");
        Element first = token == null ? null : StsClient.firstChildElement(token);
        verdict.put("subject", first == null ? null
                : StsClient.textOf(StsClient.firstDescendantAnyNs(first, "NameID", "NameIdentifier")));
    }

    public static void main(String[] args) throws Exception {
        // Before any WSS4J class is loaded: see the header comment.
        System.setProperty("java.vendor", "Oracle Corporation");
        Properties props = ClientSupport.readProperties(args[0]);
        System.setProperty("java.security.krb5.conf", props.getProperty("krb5Conf"));
        org.apache.ws.security.WSSConfig.init();
        ClientSupport.printVerdict(() -> new KerberosClient(props).run());
    }
}
