// OpenSSL's server contexts built from the TLS settings: one SSL_CTX per set of names (an RSA and an ECDSA
// pair for the same names share one), the SNI choice between them, protocols, ciphers, ALPN, session
// tickets (keys rotated in memory) and the session cache. Immutable once made; a reload makes a new one,
// and connections keep the one they started with.

import COpenSSL
public import Config
public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// The TLS settings of a configuration.
public struct TLSOptions: Sendable, Equatable {
    public var certificates: [TLSCertificatePair]
    /// Lowest and highest protocol enabled: 12 for TLS 1.2, 13 for TLS 1.3.
    public var minVersion: Int
    public var maxVersion: Int
    public var ciphers: String
    public var cipherSuites: String
    public var sessionTickets: Bool
    /// Sessions kept for TLS 1.2 session-ID resumption (0: none).
    public var sessionCache: Int

    public init(
        certificates: [TLSCertificatePair], minVersion: Int, maxVersion: Int, ciphers: String, cipherSuites: String,
        sessionTickets: Bool, sessionCache: Int
    ) {
        self.certificates = certificates
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.ciphers = ciphers
        self.cipherSuites = cipherSuites
        self.sessionTickets = sessionTickets
        self.sessionCache = sessionCache
    }
}

/// Server-side TLS: the contexts new connections start from. Used on the loop thread only (made by the
/// start-up code or a reload before serving).
public final class TLSContext: @unchecked Sendable {
    /// One context per distinct set of names, in the order their first pair was configured.
    let contexts: [OpaquePointer]
    /// The names each context's certificates are valid for.
    let names: [[ServerName]]
    /// What start-up logs about each certificate: subject, names, expiry, serial.
    public let summary: [String]
    /// Findings of the checks (the caller decides: `-t` fails on problems, a start logs them).
    public let findings: [CertificateFinding]

    /// Session-ticket keys of this process: kept across reloads (so tickets stay valid) and rotated by
    /// `rotateTicketKeys`. Loop thread only.
    nonisolated(unsafe) static var ticketRing: UnsafeMutablePointer<httpd_ticket_ring>? = nil
    /// How often the newest ticket key is replaced; a ticket stays valid for up to 3 periods (the ring).
    public static let ticketRotationSeconds = 3600.0

    init(contexts: [OpaquePointer], names: [[ServerName]], summary: [String], findings: [CertificateFinding]) {
        self.contexts = contexts
        self.names = names
        self.summary = summary
        self.findings = findings
    }

    deinit {
        // Connections still open hold their own references to these contexts (OpenSSL counts them).
        for c in contexts { SSL_CTX_free(c) }
    }

    /// Builds the contexts: reads and checks every pair (a `.fatal` finding throws it), applies the options.
    /// `checkChain` false skips the chain-completeness check (see `LoadedPair.check`).
    public static func make(_ options: TLSOptions, now: Int? = nil, trustFile: String? = nil, checkChain: Bool = true)
        throws(StartupError) -> TLSContext
    {
        guard !options.certificates.isEmpty else { throw StartupError("TLS needs TLSCertificateFile and TLSCertificateKeyFile") }
        try OpenSSLLibrary.load()
        var pairs: [LoadedPair] = []
        var findings: [CertificateFinding] = []
        for source in options.certificates {
            let pair = try LoadedPair.load(source)
            let found = pair.check(now: now ?? Int(time(nil)), trustFile: trustFile, checkChain: checkChain)
            if let fatal = found.first(where: { $0.severity == .fatal }) { throw StartupError(fatal.message) }
            findings += found
            pairs.append(pair)
        }
        // Pairs with the same names go into one context (OpenSSL serves an RSA and an ECDSA certificate from it).
        var groups: [(names: [ServerName], pairs: [LoadedPair])] = []
        for p in pairs {
            if let i = groups.firstIndex(where: { $0.names == p.names }) {
                groups[i].pairs.append(p)
            } else {
                groups.append((p.names, [p]))
            }
        }
        var contexts: [OpaquePointer] = []
        for g in groups {
            do throws(StartupError) {
                contexts.append(try makeContext(options, g.pairs))
            } catch {
                for c in contexts { SSL_CTX_free(c) }
                throw error
            }
        }
        let summary = pairs.map { p in
            "\(p.source.certificateFile): \(LoadedPair.subject(p.leaf)), names \(p.names.map { String(decoding: $0.bytes, as: UTF8.self) }.joined(separator: " ")), "
                + "expires \(utcText(p.notAfter)), serial \(LoadedPair.serial(p.leaf))"
        }
        let context = TLSContext(contexts: contexts, names: groups.map(\.names), summary: summary, findings: findings)
        if contexts.count > 1 {
            let me = Unmanaged.passUnretained(context).toOpaque()
            for c in contexts { httpd_ssl_ctx_set_servername_callback(c, sniCallback, me) }
        }
        return context
    }

    /// One SSL_CTX for `pairs` (same names) with every option applied; throws `file:line: message`.
    static func makeContext(_ options: TLSOptions, _ pairs: [LoadedPair]) throws(StartupError) -> OpaquePointer {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw StartupError("cannot make a TLS context: \(openSSLFailure("out of memory"))")
        }
        func fail(_ message: String) -> StartupError {
            SSL_CTX_free(ctx)
            return StartupError(message)
        }
        // A client that half-closes without close_notify has ended its side, as over TCP: OpenSSL reports it as
        // the end of the stream (not a fatal error with an alert, after which nothing more can be sent), so
        // that requests it sent before are still answered. HTTP's own framing tells a truncated request.
        SSL_CTX_set_options(
            ctx,
            HTTPD_SSL_OP_NO_RENEGOTIATION | HTTPD_SSL_OP_SERVER_PREFERENCE | HTTPD_SSL_OP_NO_COMPRESSION
                | HTTPD_SSL_OP_PRIORITIZE_CHACHA | HTTPD_SSL_OP_ENABLE_KTLS | HTTPD_SSL_OP_IGNORE_UNEXPECTED_EOF)
        _ = httpd_ssl_ctx_set_min_proto(ctx, options.minVersion == 13 ? TLS1_3_VERSION : TLS1_2_VERSION)
        _ = httpd_ssl_ctx_set_max_proto(ctx, options.maxVersion == 12 ? TLS1_2_VERSION : TLS1_3_VERSION)
        if SSL_CTX_set_cipher_list(ctx, options.ciphers) != 1 {
            throw fail("TLSCiphers \(options.ciphers): \(openSSLFailure("no cipher OpenSSL knows"))")
        }
        if SSL_CTX_set_ciphersuites(ctx, options.cipherSuites) != 1 {
            throw fail("TLSCipherSuites \(options.cipherSuites): \(openSSLFailure("no cipher suite OpenSSL knows"))")
        }
        _ = httpd_ssl_ctx_set_dh_auto(ctx)
        // Key exchange groups as Mozilla's intermediate profile lists them (OpenSSL would also accept the
        // finite-field groups in TLS 1.3, much slower for the server).
        _ = httpd_ssl_ctx_set_groups(ctx, "X25519:prime256v1:secp384r1")
        _ = httpd_ssl_ctx_set_mode(ctx, HTTPD_SSL_MODE_RELEASE | HTTPD_SSL_MODE_PARTIAL | HTTPD_SSL_MODE_MOVING)
        httpd_ssl_ctx_set_read_ahead(ctx)
        httpd_ssl_ctx_set_alpn(ctx)
        "httpd".withCString { id in
            _ = SSL_CTX_set_session_id_context(ctx, UnsafeRawPointer(id).assumingMemoryBound(to: UInt8.self), 5)
        }
        _ = SSL_CTX_set_timeout(ctx, 3600)
        if options.sessionCache > 0 {
            _ = httpd_ssl_ctx_set_session_cache_mode(ctx, HTTPD_SESS_CACHE_SERVER)
            _ = httpd_ssl_ctx_sess_set_cache_size(ctx, options.sessionCache)
        } else {
            _ = httpd_ssl_ctx_set_session_cache_mode(ctx, HTTPD_SESS_CACHE_OFF)
        }
        if options.sessionTickets {
            guard let ring = ticketKeys() else {
                throw fail("cannot make session-ticket keys: \(openSSLFailure("no randomness"))")
            }
            _ = httpd_ssl_ctx_set_tickets(ctx, ring)
            // One ticket per TLS 1.3 handshake (OpenSSL sends two by default): a client resumes one connection
            // with it, and each connection gets a fresh one.
            _ = SSL_CTX_set_num_tickets(ctx, 1)
        } else {
            SSL_CTX_set_options(ctx, HTTPD_SSL_OP_NO_TICKET)
            _ = SSL_CTX_set_num_tickets(ctx, 0)
        }
        for p in pairs {
            let at = "\(p.source.certificateLocation): TLSCertificateFile \(p.source.certificateFile)"
            guard SSL_CTX_use_certificate(ctx, p.leaf) == 1 else { throw fail("\(at): \(openSSLFailure("refused by OpenSSL"))") }
            guard let chain = httpd_sk_x509_new() else { throw fail("\(at): out of memory") }
            for c in p.certificates.dropFirst() { _ = httpd_sk_x509_push(chain, c) }
            let chained = httpd_ssl_ctx_set1_chain(ctx, chain)
            httpd_sk_x509_free(chain)
            guard chained == 1 else { throw fail("\(at): \(openSSLFailure("chain refused by OpenSSL"))") }
            guard SSL_CTX_use_PrivateKey(ctx, p.key) == 1, SSL_CTX_check_private_key(ctx) == 1 else {
                throw fail(
                    "\(p.source.keyLocation): TLSCertificateKeyFile \(p.source.keyFile): \(openSSLFailure("refused by OpenSSL"))")
            }
        }
        return ctx
    }

    /// The process's ticket-key ring, made (with its first key) on first use.
    static func ticketKeys() -> UnsafeMutablePointer<httpd_ticket_ring>? {
        if let ring = ticketRing { return ring }
        guard (try? OpenSSLLibrary.load()) != nil else { return nil }
        let ring = UnsafeMutablePointer<httpd_ticket_ring>.allocate(capacity: 1)
        ring.initialize(to: httpd_ticket_ring())
        guard httpd_ticket_ring_rotate(ring) == 1 else {
            ring.deallocate()
            return nil
        }
        ticketRing = ring
        return ring
    }

    /// Replaces the newest session-ticket key (tickets made with the previous two are still accepted, and renewed).
    public static func rotateTicketKeys() {
        if let ring = ticketRing { _ = httpd_ticket_ring_rotate(ring) }
    }

    /// The names of the ticket keys, newest first (for tests: the keys themselves never leave the ring).
    static func ticketKeyNames() -> [[UInt8]] {
        guard let ring = ticketRing else { return [] }
        return withUnsafeBytes(of: &ring.pointee.keys) { raw in
            let size = MemoryLayout<httpd_ticket_key>.stride
            return (0..<Int(ring.pointee.count)).map { Array(raw[($0 * size)..<($0 * size + 16)]) }
        }
    }

    /// A new server-side SSL object on `fd`, starting from the first context, and the buffer its records are
    /// written into (nil when it writes to the socket itself: with kernel TLS possible, which needs OpenSSL's
    /// socket BIO); nil when OpenSSL cannot make them.
    func newConnection(fd: Int32, socketWrites: Bool) -> (OpaquePointer, UnsafeMutablePointer<httpd_outbuf>?)? {
        guard let ssl = SSL_new(contexts[0]) else { return nil }
        var out: UnsafeMutablePointer<httpd_outbuf>?
        if socketWrites {
            guard SSL_set_fd(ssl, fd) == 1 else {
                SSL_free(ssl)
                return nil
            }
        } else {
            var bio: OpaquePointer?
            guard httpd_ssl_set_bios(ssl, fd, &bio) == 1, let bio else {
                SSL_free(ssl)
                return nil
            }
            out = httpd_outbio_buffer(bio)
        }
        SSL_set_accept_state(ssl)
        return (ssl, out)
    }

    /// The context whose certificate names cover `host`, if another than the first.
    func context(for host: ServerName) -> OpaquePointer? {
        guard let i = pickCertificate(for: host, among: names), i > 0 else { return nil }
        return contexts[i]
    }
}

/// OpenSSL's server-name callback: switches the connection to the context whose certificate names cover the
/// requested name; an unknown or absent name keeps the first (the default certificate).
private func sniCallback(_ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let arg, let raw = httpd_ssl_get_servername(ssl) else { return SSL_TLSEXT_ERR_OK }
    let context = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: raw, count: strlen(raw))
    if let host = ServerName(bytes), let ctx = context.context(for: host) { _ = SSL_set_SSL_CTX(ssl, ctx) }
    return SSL_TLSEXT_ERR_OK
}
