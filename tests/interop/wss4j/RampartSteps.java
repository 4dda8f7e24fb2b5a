/*
 * The WSS4J 1.6 steps Rampart's binding builders take the same way whatever the scenario, as
 * StsClient (scenarios 2-8) and ScClient (the SecureConversation bootstraps, 9-15) both take
 * them: the Timestamp, an EncryptedKey for the STS's certificate and the HMAC signature and
 * Body encryption it keys, and the Body encrypted straight for the STS.
 *
 * Basic256 as Rampart maps it onto WSS4J: AES-256-CBC, RSA-OAEP key wrap, exclusive C14N.
 */

import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSEncryptionPart;
import org.apache.ws.security.components.crypto.Crypto;
import org.apache.ws.security.message.WSSecEncrypt;
import org.apache.ws.security.message.WSSecEncryptedKey;
import org.apache.ws.security.message.WSSecHeader;
import org.apache.ws.security.message.WSSecSignature;
import org.apache.ws.security.message.WSSecTimestamp;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

final class RampartSteps {

    private RampartSteps() {
    }

    /** The Timestamp every binding starts the header with: five minutes to live. */
    static Element addTimestamp(Document doc, WSSecHeader secHeader) {
        WSSecTimestamp ts = new WSSecTimestamp();
        ts.setTimeToLive(300);
        ts.build(doc, secHeader);
        return ts.getElement();
    }

    /** A 256-bit ephemeral key encrypted for the STS's certificate (named by its thumbprint,
     * the token being Never included): the symmetric binding's protection token. */
    static WSSecEncryptedKey encryptedKeyFor(X509Certificate stsCert, Document doc, Crypto crypto)
            throws Exception {
        WSSecEncryptedKey encrKey = new WSSecEncryptedKey();
        encrKey.setKeyIdentifierType(WSConstants.THUMBPRINT_IDENTIFIER);
        encrKey.setUseThisCert(stsCert);
        encrKey.setSymmetricEncAlgorithm(StsClient.SYM_ENC);  // a 256-bit ephemeral key
        encrKey.setKeyEncAlgo(StsClient.ASYM_KEY_WRAP);
        encrKey.prepare(doc, crypto);
        return encrKey;
    }

    /** The EncryptedKeySHA1 the STS names the key by when it answers with it. */
    static String encryptedKeySha1(WSSecEncryptedKey encrKey) throws Exception {
        return Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-1").digest(encrKey.getEncryptedEphemeralKey()));
    }

    /** An HMAC-SHA1 signature keyed by the EncryptedKey ``keyId``, its KeyInfo an STR to it;
     * prepared, ready for the references to sign. */
    static WSSecSignature hmacSignature(String keyId, byte[] key, String digest, Document doc,
                                        Crypto crypto, WSSecHeader secHeader) throws Exception {
        WSSecSignature sig = new WSSecSignature();
        sig.setKeyIdentifierType(WSConstants.CUSTOM_SYMM_SIGNING);
        sig.setCustomTokenId(keyId);
        sig.setCustomTokenValueType(WSConstants.WSS_ENC_KEY_VALUE_TYPE);
        sig.setSecretKey(key);
        sig.setSignatureAlgorithm(StsClient.SYM_SIG);
        sig.setSigCanonicalization(StsClient.C14N);
        sig.setDigestAlgo(digest);
        sig.prepare(doc, crypto, secHeader);
        return sig;
    }

    /** The Body's content encrypted with the EncryptedKey ``keyId``'s key; the ReferenceList,
     * for the caller to place (after the key, so a receiver decrypts before it verifies). */
    static Element encryptBodyWithKey(String keyId, byte[] key, Document doc) throws Exception {
        WSSecEncrypt encr = new WSSecEncrypt();
        encr.setEncKeyId(keyId);
        encr.setEphemeralKey(key);
        encr.setEncryptSymmKey(false);
        encr.setSymmetricEncAlgorithm(StsClient.SYM_ENC);
        encr.setCustomReferenceValue(WSConstants.WSS_ENC_KEY_VALUE_TYPE);
        encr.setDocument(doc);
        encr.prepare(doc, null);
        return encr.encryptForExternalRef(null, bodyContent(doc));
    }

    /** The Body's content encrypted for the STS's certificate (thumbprint): the EncryptedKey,
     * its ReferenceList inside, for the caller to place. */
    static Element encryptBodyFor(X509Certificate stsCert, Document doc, Crypto crypto)
            throws Exception {
        WSSecEncrypt encr = new WSSecEncrypt();
        encr.setKeyIdentifierType(WSConstants.THUMBPRINT_IDENTIFIER);
        encr.setUseThisCert(stsCert);
        encr.setSymmetricEncAlgorithm(StsClient.SYM_ENC);
        encr.setKeyEncAlgo(StsClient.ASYM_KEY_WRAP);
        encr.setDocument(doc);
        encr.prepare(doc, crypto);
        Element encryptedKey = encr.getEncryptedKeyElement();
        encryptedKey.appendChild(encr.encryptForInternalRef(null, bodyContent(doc)));
        return encryptedKey;
    }

    /** The Body's content, as a mutable list: WSS4J's encrypt methods take a List. */
    private static List<WSEncryptionPart> bodyContent(Document doc) {
        List<WSEncryptionPart> parts = new ArrayList<>();
        parts.add(new WSEncryptionPart(StsClient.bodyId(doc), "Content"));
        return parts;
    }
}
