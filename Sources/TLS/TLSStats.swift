// Counters of TLS handshakes for the status page and /metrics: completed, failed by reason, resumed, and
// the protocol versions negotiated. Loop thread only; the server copies them into its snapshot.

/// TLS counters since start (they survive reloads).
public final class TLSStats {
    public private(set) var handshakes = 0
    public private(set) var resumed = 0
    /// Completed handshakes per protocol version (`TLSv1.2`, `TLSv1.3`).
    public private(set) var versions: [String: Int] = [:]
    /// Failed handshakes per reason (OpenSSL's reason text, or ours: `no ClientHello`, `plain HTTP`…).
    public private(set) var failures: [String: Int] = [:]
    /// Distinct failure reasons kept at most; later new reasons count as `other`.
    static let reasonLimit = 32

    /// Connections whose sends went through kernel TLS (SSL_sendfile for file bodies).
    public private(set) var kernelTLS = 0

    public init() {}

    /// How file bodies are sent, as the status page says it.
    public var filePath: String {
        kernelTLS > 0
            ? "kTLS: SSL_sendfile (\(kernelTLS) connections so far)"
            : "pread+SSL_write (no connection has had kernel TLS: OpenSSL without kTLS, or no `tls` kernel module)"
    }

    func usedKernelTLS() { kernelTLS += 1 }

    func completed(version: String, resumed wasResumed: Bool) {
        handshakes += 1
        if wasResumed { resumed += 1 }
        versions[version, default: 0] += 1
    }

    func failed(_ reason: String) {
        let key = failures[reason] != nil || failures.count < Self.reasonLimit ? reason : "other"
        failures[key, default: 0] += 1
    }

    public var failureCount: Int { failures.values.reduce(0, +) }
}
