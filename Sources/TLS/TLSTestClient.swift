// For tests and fuzzing only (Tests/fuzz's fuzz-tls): an OpenSSL client on a non-blocking socket, so that
// code outside this target (the only one that imports COpenSSL) can talk TLS to a TLSSocket in the same
// process. The server never uses it. It does not check the server's certificate.
// Ownership: the client does not own its descriptor (the caller closes it); `deinit` frees the SSL object.

import COpenSSL

#if canImport(Glibc)
    import Glibc
#endif

/// A TLS client on a connected, non-blocking socket, stepped by its caller.
public final class TLSTestClient {
    /// What one call ended with.
    public enum Outcome: Equatable, Sendable {
        /// Done (the handshake, or some bytes moved).
        case done
        /// Call again when the socket is readable / writable.
        case wantRead
        case wantWrite
        /// The server's close_notify arrived (reads only).
        case closed
        /// The stream failed; OpenSSL's reason.
        case failed(String)
    }

    let ssl: OpaquePointer
    /// Where reads land: one record's bytes at most come from one SSL_read.
    let scratch: UnsafeMutableRawPointer

    /// A client on `fd` offering TLS 1.2 and 1.3, or only `version` (12 or 13), and ALPN http/1.1.
    public init?(fd: Int32, version: Int? = nil) {
        guard let ctx = Self.contexts[version == 12 ? 1 : version == 13 ? 2 : 0], let ssl = SSL_new(ctx) else { return nil }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            return nil
        }
        SSL_set_connect_state(ssl)
        self.ssl = ssl
        scratch = UnsafeMutableRawPointer.allocate(byteCount: 16384, alignment: 16)
    }

    deinit {
        SSL_free(ssl)
        scratch.deallocate()
    }

    /// The client contexts (both versions, TLS 1.2 only, TLS 1.3 only), made once for the process: making one
    /// costs about a millisecond, more than a handshake. Immutable once made, so clients on several threads
    /// (tests run in parallel) may share them.
    nonisolated(unsafe) static let contexts: [OpaquePointer?] = [context(nil), context(12), context(13)]

    static func context(_ version: Int?) -> OpaquePointer? {
        guard (try? OpenSSLLibrary.load()) != nil, let ctx = SSL_CTX_new(TLS_client_method()) else { return nil }
        _ = httpd_ssl_ctx_set_min_proto(ctx, version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION)
        _ = httpd_ssl_ctx_set_max_proto(ctx, version == 12 ? TLS1_2_VERSION : TLS1_3_VERSION)
        _ = httpd_ssl_ctx_set_mode(ctx, HTTPD_SSL_MODE_PARTIAL | HTTPD_SSL_MODE_MOVING)
        _ = httpd_ssl_ctx_set_session_cache_mode(ctx, HTTPD_SESS_CACHE_OFF)
        let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        _ = SSL_CTX_set_alpn_protos(ctx, alpn, UInt32(alpn.count))
        return ctx
    }

    /// The handshake has completed.
    public var handshakeDone: Bool { SSL_is_init_finished(ssl) == 1 }

    /// The protocol negotiated (`TLSv1.3`), once the handshake is done.
    public var version: String { String(cString: SSL_get_version(ssl)) }

    /// Takes the handshake (or a KeyUpdate or renegotiation it was asked for) as far as the socket allows.
    public func handshake() -> Outcome {
        outcome(SSL_do_handshake(ssl))
    }

    /// Decrypts up to `limit` bytes (at most a record's, 16 KiB) into `buffer` (appended): `.done` when some came.
    public func read(into buffer: inout [UInt8], limit: Int) -> Outcome {
        let n = SSL_read(ssl, scratch, Int32(max(1, min(limit, 16384))))
        if n > 0 {
            buffer += UnsafeRawBufferPointer(start: scratch, count: Int(n))
            return .done
        }
        return outcome(n)
    }

    /// Encrypts a prefix of `bytes` and hands it to the socket: the count taken (0 with `.wantRead`/`.wantWrite`:
    /// call again with the same bytes first).
    public func write(_ bytes: UnsafeRawBufferPointer) -> (Int, Outcome) {
        guard bytes.count > 0 else { return (0, .done) }
        let n = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
        if n > 0 { return (Int(n), .done) }
        return (0, outcome(n))
    }

    /// Sends close_notify (the client may still read).
    public func shutdown() -> Outcome {
        let r = SSL_shutdown(ssl)
        return r >= 0 ? .done : outcome(r)
    }

    /// TLS 1.3: a KeyUpdate, asking the server to update its keys too when `requestPeer` (sent by the next
    /// write or `handshake()`); false when OpenSSL refuses (TLS 1.2).
    public func keyUpdate(requestPeer: Bool) -> Bool {
        let ok = SSL_key_update(ssl, requestPeer ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED) == 1
        if !ok { ERR_clear_error() }
        return ok
    }

    /// TLS 1.2: starts a renegotiation (its ClientHello goes out with `handshake()`); false when OpenSSL refuses.
    public func renegotiate() -> Bool {
        let ok = SSL_renegotiate(ssl) == 1
        if !ok { ERR_clear_error() }
        return ok
    }

    /// OpenSSL's error queue of this thread (which the server's connections share) holds an error: its
    /// reason, and the queue is emptied. nil when it was empty, as it must be before every OpenSSL I/O call.
    public static func takeQueuedError() -> String? {
        let e = ERR_peek_last_error()
        guard e != 0 else { return nil }
        let text = ERR_reason_error_string(e).map { String(cString: $0) } ?? "error \(e)"
        ERR_clear_error()
        return text
    }

    /// What `SSL_get_error` makes of the result `r`; the error queue is emptied on failures.
    func outcome(_ r: Int32) -> Outcome {
        if r == 1 { return .done }
        let savedErrno = errno
        let code = SSL_get_error(ssl, r)
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            ERR_clear_error()
            return .closed
        default:
            let e = ERR_peek_last_error()
            let text =
                e != 0
                ? (ERR_reason_error_string(e).map { String(cString: $0) } ?? "error \(e)")
                : code == SSL_ERROR_SYSCALL ? (savedErrno == 0 ? "unexpected eof" : "errno \(savedErrno)") : "error \(code)"
            ERR_clear_error()
            return .failed(text)
        }
    }
}
