/*
 * Apache WSS4J 1.6 reads a request someone else secured, as Rampart's server side would: the
 * security header processed with the service's key, the signer's certificate checked against
 * a trust store. Used to judge the requests stsdesk's own test client sends.
 *
 * Usage: java RequestCheck <request.xml> <service.p12> <p12 password> <trusted.pem> [utPassword]
 * Prints one JSON object: accepted, error, actions, signedParts, encryptedParts, signer,
 * username.
 */

import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.xml.parsers.DocumentBuilderFactory;

import org.apache.ws.security.WSDataRef;
import org.apache.ws.security.WSPasswordCallback;
import org.apache.ws.security.WSSecurityEngine;
import org.apache.ws.security.WSSecurityEngineResult;
import org.apache.ws.security.WSUsernameTokenPrincipal;
import org.apache.ws.security.components.crypto.Merlin;
import org.w3c.dom.Document;

public final class RequestCheck {

    public static void main(String[] args) throws Exception {
        byte[] request = Files.readAllBytes(Path.of(args[0]));
        String password = args[2];
        String utPassword = args.length > 4 ? args[4] : "";
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(args[1])) {
            keys.load(in, password.toCharArray());
        }
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        try (InputStream in = new FileInputStream(args[3])) {
            trust.setCertificateEntry("trusted", factory.generateCertificate(in));
        }
        Merlin crypto = new Merlin();
        crypto.setKeyStore(keys);
        crypto.setTrustStore(trust);
        CallbackHandler handler = callbacks -> {
            for (Callback callback : callbacks) {
                if (callback instanceof WSPasswordCallback pc) {
                    if (pc.getUsage() == WSPasswordCallback.USERNAME_TOKEN) {
                        pc.setPassword(utPassword);
                    } else {
                        pc.setPassword(password);
                    }
                }
            }
        };
        DocumentBuilderFactory builders = DocumentBuilderFactory.newInstance();
        builders.setNamespaceAware(true);
        Document document = builders.newDocumentBuilder().parse(new ByteArrayInputStream(request));

        List<String> actions = new ArrayList<>();
        List<String> signed = new ArrayList<>();
        List<String> encrypted = new ArrayList<>();
        String signer = null;
        String username = null;
        StringBuilder out = new StringBuilder("{");
        try {
            List<WSSecurityEngineResult> results = new WSSecurityEngine()
                    .processSecurityHeader(document, null, handler, crypto);
            for (WSSecurityEngineResult result : results) {
                int action = (Integer) result.get(WSSecurityEngineResult.TAG_ACTION);
                actions.add(String.valueOf(action));
                Object refs = result.get(WSSecurityEngineResult.TAG_DATA_REF_URIS);
                List<String> into = action == org.apache.ws.security.WSConstants.SIGN
                        ? signed : encrypted;
                if (refs instanceof List<?> list) {
                    for (Object ref : list) {
                        into.add(((WSDataRef) ref).getName().getLocalPart());
                    }
                }
                Object cert = result.get(WSSecurityEngineResult.TAG_X509_CERTIFICATE);
                if (action == org.apache.ws.security.WSConstants.SIGN
                        && cert instanceof X509Certificate x509) {
                    signer = x509.getSubjectX500Principal().getName();
                }
                Object principal = result.get(WSSecurityEngineResult.TAG_PRINCIPAL);
                if (principal instanceof WSUsernameTokenPrincipal user) {
                    username = user.getName();
                }
            }
            out.append("\"accepted\":true");
        } catch (Exception e) {
            e.printStackTrace();
            out.append("\"accepted\":false,\"error\":").append(quote(String.valueOf(e.getMessage())));
        }
        out.append(",\"actions\":").append(list(actions));
        out.append(",\"signedParts\":").append(list(signed));
        out.append(",\"encryptedParts\":").append(list(encrypted));
        out.append(",\"signer\":").append(signer == null ? "null" : quote(signer));
        out.append(",\"username\":").append(username == null ? "null" : quote(username));
        System.out.println(out.append("}"));
    }

    static String list(List<String> values) {
        List<String> quoted = new ArrayList<>();
        for (String value : values) {
            quoted.add(quote(value));
        }
        return "[" + String.join(",", quoted) + "]";
    }

    static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
