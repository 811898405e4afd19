// OpenSSL is loaded when TLS is first needed, not at start: httpd does not link it (see
// Sources/COpenSSL/openssl-stubs.S), so a server without TLS never pays for mapping it.

import COpenSSL
public import Support

/// OpenSSL 3, loaded on demand.
public enum OpenSSLLibrary {
    /// Loads libssl.so.3 and libcrypto.so.3 (the first call; later ones return at once); throws why not.
    public static func load() throws(StartupError) {
        if let failure = httpd_openssl_load() { throw StartupError(String(cString: failure)) }
    }
}
