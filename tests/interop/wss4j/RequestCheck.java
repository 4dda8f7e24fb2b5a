/*
 * Apache WSS4J 1.6 reads a request someone else secured, as Rampart's server side would: the
 * security header processed with the service's key, the signer's certificate checked against
 * a trust store. Used to judge the requests stsdesk's own test client sends.
 *
 * Usage: java RequestCheck <request.xml> <service.p12> <p12 password> <trusted.pem> [utPassword]
 * Prints one JSON object: accepted, error, actions, signedParts, encryptedParts, signer,
 * username.
 */

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;

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
        Merlin crypto = ClientSupport.crypto(ClientSupport.pkcs12(args[1], password),
                ClientSupport.trusting("trusted", StsClient.readCertificate(args[3])));
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
        Document document = StsClient.parse(request);

        List<String> actions = new ArrayList<>();
        List<String> signed = new ArrayList<>();
        List<String> encrypted = new ArrayList<>();
        String signer = null;
        String username = null;
        Map<String, Object> out = new LinkedHashMap<>();
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
            out.put("accepted", true);
        } catch (Exception e) {
            e.printStackTrace();
            out.put("accepted", false);
            out.put("error", String.valueOf(e.getMessage()));
        }
        out.put("actions", actions);
        out.put("signedParts", signed);
        out.put("encryptedParts", encrypted);
        out.put("signer", signer);
        out.put("username", username);
        System.out.println(ClientSupport.json(out));
    }
}
