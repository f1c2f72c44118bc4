package io.promptline.ops.local;

import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.TrustStores;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A registry behind HTTPS with a certificate of a private CA (here self-signed, made with the JDK's
 * keytool) and basic auth: a client trusting that certificate (as PEM, or as a PKCS12 truststore)
 * registers and reads schemas; a client trusting only the JVM's CAs is refused by the TLS handshake.
 */
class TlsRegistryTest {
    private static final Schema SCHEMA = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"Tls\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");

    @TempDir
    Path dir;

    @Test
    void shouldServeClientsThatTrustItsCertificateOverHttps() throws Exception {
        Path keystore = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "registry", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "server-pass");
        Path pem = dir.resolve("ca.crt");
        keytool("-exportcert", "-rfc", "-alias", "registry", "-keystore", keystore.toString(), "-storepass", "server-pass", "-file", pem.toString());
        Path truststore = dir.resolve("trust.p12");
        keytool("-importcert", "-noprompt", "-alias", "registry", "-file", pem.toString(), "-keystore", truststore.toString(),
                "-storetype", "PKCS12", "-storepass", "trust-pass");
        try (SchemaRegistryServer server = SchemaRegistryServer.start(RegistryConfig.builder().tls(keystore, "server-pass")
                .basicAuth("promptline:s3cret").build())) {
            assertThat(server.url()).startsWith("https://127.0.0.1:");
            var pemClient = new RestSchemaRegistryClient(server.url(), "promptline:s3cret", Duration.ofSeconds(5),
                    TrustStores.sslContext(pem, null));
            int id = pemClient.register("tls-value", SCHEMA);
            var storeClient = new RestSchemaRegistryClient(server.url(), "promptline:s3cret", Duration.ofSeconds(5),
                    TrustStores.sslContext(truststore, "trust-pass".toCharArray()));
            assertThat(storeClient.schemaById(id)).isEqualTo(SCHEMA);

            var untrusting = new RestSchemaRegistryClient(server.url(), "promptline:s3cret", Duration.ofSeconds(5));
            assertThatThrownBy(() -> untrusting.schemaById(id)).hasMessageContaining(server.url());
        }
    }

    private static void keytool(String... args) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> cmd = new java.util.ArrayList<>(List.of(keytool.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("keytool %s: %s", String.join(" ", args), out).isZero();
    }
}
