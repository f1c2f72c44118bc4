package io.promptline.registry;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

/**
 * The TLS trust of a registry client whose server certificate is signed by a private CA: a PEM
 * file of CA certificates (as Kubernetes Secrets and cert-manager hold them) or a PKCS12/JKS
 * truststore with its password. Without one, the JVM's own CAs are trusted.
 */
public final class TrustStores {
    private TrustStores() {
    }

    /** An SSL context trusting exactly the CAs in {@code location} (PEM when it holds "-----BEGIN", else a keystore). */
    public static SSLContext sslContext(Path location, char[] password) {
        try {
            KeyStore trust;
            byte[] bytes = Files.readAllBytes(location);
            if (new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.US_ASCII).contains("-----BEGIN")) {
                trust = KeyStore.getInstance(KeyStore.getDefaultType());
                trust.load(null, null);
                int i = 0;
                try (InputStream in = Files.newInputStream(location)) {
                    for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) trust.setCertificateEntry("ca-" + i++, c);
                }
                if (i == 0) throw new IllegalArgumentException("no certificate in " + location);
            } else {
                trust = KeyStore.getInstance(KeyStore.getDefaultType());
                try (InputStream in = Files.newInputStream(location)) {
                    trust.load(in, password);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the registry truststore " + location + ": " + e.getMessage(), e);
        }
    }
}
