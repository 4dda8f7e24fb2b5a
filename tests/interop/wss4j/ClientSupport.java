/*
 * What every Java program in this folder does the same way: read its properties file, print one
 * JSON verdict (or the clientError that stopped it), keep a copy of what it sent and received,
 * and load the PKCS#12 keys and trusted certificates WSS4J's Merlin crypto works with.
 *
 * Also the exchange itself: an HTTPS client trusting the STS's TLS CA, a SOAP 1.2 POST, the
 * fault an answer holds.
 *
 * StsClient, ScClient, KerberosClient and RequestCheck all use it; the conftest compiles every
 * .java file in this folder together.
 */

import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.apache.ws.security.components.crypto.Merlin;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

final class ClientSupport {

    private ClientSupport() {
    }

    /** The client's properties file (java.util.Properties: ISO-8859-1, backslash escapes). */
    static Properties readProperties(String path) throws Exception {
        Properties props = new Properties();
        try (InputStream in = new FileInputStream(path)) {
            props.load(in);
        }
        return props;
    }

    /**
     * Runs a client and prints its verdict as one JSON line on stdout, the line the tests read.
     * A client that could not build or send its request says why in ``clientError`` (its stack
     * trace on stderr, which a failing test shows); the exit status stays 0 either way.
     */
    static void printVerdict(Callable<Map<String, Object>> client) {
        Map<String, Object> verdict;
        try {
            verdict = client.call();
        } catch (Exception e) {
            e.printStackTrace();
            verdict = new LinkedHashMap<>();
            verdict.put("clientError", e.getClass().getName() + ": " + e.getMessage());
        }
        System.out.println(json(verdict));
        System.out.flush();
        System.exit(0);
    }

    /** A copy of a message in the run's dumpDir (when the test gave one), for the diagnosis. */
    static void dump(Properties props, String name, byte[] bytes) throws Exception {
        String dir = props.getProperty("dumpDir");
        if (dir != null) {
            Files.write(Path.of(dir, name), bytes);
        }
    }

    /** A PKCS#12 file's keys; with no file, an empty key store (a client that never signs). */
    static KeyStore pkcs12(String path, String password) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        if (path == null) {
            keys.load(null, null);
            return keys;
        }
        try (InputStream in = new FileInputStream(path)) {
            keys.load(in, password.toCharArray());
        }
        return keys;
    }

    /** A trust store holding exactly one certificate. */
    static KeyStore trusting(String alias, X509Certificate certificate) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry(alias, certificate);
        return trusted;
    }

    /** WSS4J's crypto for one party: its own keys, and the one certificate it trusts. */
    static Merlin crypto(KeyStore keys, KeyStore trusted) {
        Merlin crypto = new Merlin();
        crypto.setKeyStore(keys);
        crypto.setTrustStore(trusted);
        return crypto;
    }

    /** A client's crypto as the properties give it: clientP12 (may be absent), the STS trusted. */
    static Merlin clientCrypto(Properties props, X509Certificate stsCert) throws Exception {
        return crypto(pkcs12(props.getProperty("clientP12"), props.getProperty("clientP12Password", "")),
                trusting("sts", stsCert));
    }

    // ------------------------------------------------------------------------------ the exchange

    /** An HTTPS client that trusts the STS's TLS CA (PEM) and nothing else. */
    static HttpClient https(String caPem) throws Exception {
        return HttpClient.newBuilder()
                .sslContext(StsClient.sslContext(caPem))
                .connectTimeout(Duration.ofSeconds(20))
                .build();
    }

    /** A SOAP 1.2 request, its WS-Addressing action in the media type as Axis2 sends it. */
    static HttpResponse<byte[]> postSoap12(HttpClient http, String url, String action, byte[] body)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/soap+xml; charset=UTF-8; action=\"" + action + "\"")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The fault an answer's Body holds (codes and reason), or null when it is no fault. */
    static Map<String, Object> faultIn(Document reply) {
        Element first = StsClient.firstChildElement(StsClient.bodyOf(reply));
        return first != null && "Fault".equals(first.getLocalName()) ? StsClient.faultOf(first) : null;
    }

    // ------------------------------------------------------------------------------ JSON out

    static String json(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof Boolean || value instanceof Number) {
            return value.toString();
        } else if (value instanceof Map) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (sb.length() > 1) {
                    sb.append(',');
                }
                sb.append(json(String.valueOf(entry.getKey()))).append(':').append(json(entry.getValue()));
            }
            return sb.append('}').toString();
        } else if (value instanceof List) {
            StringBuilder sb = new StringBuilder("[");
            for (Object item : (List<?>) value) {
                if (sb.length() > 1) {
                    sb.append(',');
                }
                sb.append(json(item));
            }
            return sb.append(']').toString();
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : value.toString().toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
