// The byte stream a connection talks to: buffered input, queued output (bytes and file segments),
// flow control, half-close and close. BufferedSocket is the plain-TCP one; tests drive an
// in-memory one, and TLS will be another.

public import Support

/// What a transport reports to its owner, on the loop thread.
public protocol TransportDelegate: AnyObject {
    /// New bytes are in the input buffer (only while reading is enabled).
    func transportReadable()
    /// Some queued output reached the kernel, but not all of it (a send is making progress).
    func transportProgressed()
    /// Everything queued for output, after a `flush()` that returned `.pending`, reached the kernel.
    func transportDrained()
    /// The peer closed its side (`.eof`) or the stream failed; no callback follows a failure but `.eof`
    /// leaves output usable.
    func transportFailed(_ event: TransportEvent)
}

/// Why a transport stopped.
public enum TransportEvent: Sendable, Equatable {
    case eof
    case error(Int32)
}

/// The outcome of `flush()`.
public enum FlushResult: Sendable, Equatable {
    /// All output is in the kernel.
    case drained
    /// Output remains; `transportProgressed`, `transportDrained` or `transportFailed` follows.
    case pending
    /// The write failed with this errno; the transport should be closed.
    case failed(Int32)
}

/// A connected byte stream with buffered input and output, used on the loop thread only.
/// Closing a transport drops its queued output, so a `FileSegment` is referenced by queued sends
/// only while the transport that queued them is open.
public protocol Transport: AnyObject {
    /// Receives the transport's events; the owner sets itself, the transport does not retain it.
    var delegate: (any TransportDelegate)? { get set }
    /// The peer's address, as the kernel reports it (a connection reads it once).
    var peer: PeerAddress { get }
    /// Bytes waiting in the input buffer.
    var inputCount: Int { get }
    /// Bytes queued for output and not yet handed to the kernel.
    var outputCount: Int { get }
    /// True when the peer has sent bytes not yet consumed: buffered, or still in the kernel (looked at,
    /// not read). False once the peer has closed and everything it sent was consumed.
    func inputPending() -> Bool
    /// Calls `body` with the first `limit` bytes of input (all of it when fewer) as one contiguous region.
    func withInput<T>(upTo limit: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T
    /// Removes `count` bytes from the front of the input buffer.
    func consumeInput(_ count: Int)
    /// Queues a copy of `bytes` for output (if it cannot, the next `flush` fails).
    func write(_ bytes: UnsafeRawBufferPointer)
    /// Queues `first` then `second` (a head and a small body): when nothing else is queued a transport
    /// may hand them to the kernel at once and queue only what it did not take; an error it meets is
    /// reported by the next `flush`.
    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer)
    /// Queues `length` bytes of `segment` from `offset` (sent with sendfile); false when it cannot.
    func write(_ segment: FileSegment, offset: Int, length: Int) -> Bool
    /// Writes as much queued output as the kernel takes now; the rest goes out as the peer reads.
    func flush() -> FlushResult
    /// Reports new input to the delegate (input is still buffered, up to a cap, while disabled).
    func enableReading()
    /// Stops reporting input.
    func disableReading()
    /// Between requests, with nothing buffered: the transport may let its buffers go until the next read
    /// or write.
    func releaseIdleBuffers()
    /// Sends FIN but keeps reading (lingering close).
    func shutdownWrite()
    /// Closes at once, dropping queued output; no callback follows. Safe to call twice.
    func close()
    /// The TLS session once its handshake has completed; nil on plain TCP.
    var security: TransportSecurity? { get }
    /// True when a client of a TLS listener spoke plain HTTP: the bytes are plain, the answer must be too.
    var spokePlainHTTP: Bool { get }
    /// Why the stream failed, when the transport can say more than an errno (a TLS alert's reason).
    var failure: String? { get }
    /// True while a TLS handshake the client began (it sent bytes) is not complete.
    var handshakeInProgress: Bool { get }
}

/// What a connection knows of its TLS session (the access log's protocol and cipher, HSTS).
public struct TransportSecurity: Sendable, Equatable {
    /// `TLSv1.2`, `TLSv1.3`.
    public var version: String
    /// OpenSSL's cipher name (`TLS_AES_128_GCM_SHA256`, `ECDHE-ECDSA-AES128-GCM-SHA256`).
    public var cipher: String
    /// The name the client asked for with SNI, if any (as sent: the server lowercases it to compare).
    public var serverName: String?

    public init(version: String, cipher: String, serverName: String? = nil) {
        self.version = version
        self.cipher = cipher
        self.serverName = serverName
    }
}

extension Transport {
    /// Plain TCP: no TLS session.
    public var security: TransportSecurity? { nil }
    public var spokePlainHTTP: Bool { false }
    public var failure: String? { nil }
    public var handshakeInProgress: Bool { false }

    /// Queues a copy of `bytes` for output.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }
}
