/*
 * What every Java program in this folder does the same way: read its properties file, print one
 * JSON verdict (or the clientError that stopped it), keep a copy of what it sent and received,
 * and load the PKCS#12 keys and trusted certificates WSS4J's Merlin crypto works with.
 *
 * StsClient, ScClient, KerberosClient and RequestCheck all use it; the conftest compiles every
 * .java file in this folder together.
 */

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.apache.ws.security.components.crypto.Merlin;

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
