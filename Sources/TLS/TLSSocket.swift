// The TLS transport: the same Transport contract as BufferedSocket, over OpenSSL on a non-blocking socket.
// The handshake runs first (its WANT_READ/WANT_WRITE on the socket's events); then input is decrypted into
// a buffer the connection parses, and output (bytes, and file regions read with pread into a staging
// buffer) is encrypted by SSL_write, one record at a time, with the same flow control as plain TCP.
// A client that speaks plain HTTP to the TLS port is detected from its first bytes: the transport then
// carries plain bytes, so that the connection can answer 400 through its usual path (and log it).
// Ownership: the TLSSocket owns the fd and the SSL object (freed by `close()`/deinit); it holds its
// TLSContext, so a reload cannot free the context a handshake in progress uses.

import COpenSSL
public import IO
public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// A server-side TLS connection on an accepted socket. Its state is used on the loop thread only and never
/// across a call that could reach it again, so its stored properties skip the dynamic exclusivity checks
/// (about 2,600 instructions per keep-alive request otherwise).
public final class TLSSocket: Transport, SocketEventsOwner {
    enum Phase {
        /// Waiting for the client's first bytes, or in the handshake.
        case handshake
        /// Handshake done: application data.
        case open
        /// The client spoke plain HTTP: plain bytes both ways until the connection answers and closes.
        case plain
    }

    public let fd: Int32
    public unowned(unsafe) var delegate: (any TransportDelegate)?
    let context: TLSContext
    let stats: TLSStats
    /// The loop, which lends the scratch buffers (and outlives the socket).
    let loop: EventLoop
    @exclusivity(unchecked) var ssl: OpaquePointer?
    let events: SocketEvents
    @exclusivity(unchecked) var phase = Phase.handshake
    @exclusivity(unchecked) var readingEnabled = false
    @exclusivity(unchecked) var readPaused = false
    @exclusivity(unchecked) var sawEOF = false
    @exclusivity(unchecked) var closed = false
    /// Any byte came from the client (a connection closed without one is a probe, not a failed handshake).
    @exclusivity(unchecked) var sawBytes = false
    /// A write waits for the socket to become readable (OpenSSL reading a post-handshake message).
    @exclusivity(unchecked) var writeWantsRead = false
    /// `shutdownWrite` sent FIN: nothing more can be sent.
    @exclusivity(unchecked) var writeShut = false
    /// The kernel encrypts what this connection sends (kTLS): file regions go out with SSL_sendfile.
    @exclusivity(unchecked) var kernelTLS = false
    /// Set when the handshake completes.
    @exclusivity(unchecked) public private(set) var security: TransportSecurity?
    /// Why the handshake or the stream failed, for the connection's log line.
    @exclusivity(unchecked) public private(set) var failure: String?

    /// Decrypted input: bytes [inStart, inEnd) of `inBuf` (capacity `inCapacity`), allocated on first read.
    @exclusivity(unchecked) var inBuf: UnsafeMutableRawPointer?
    @exclusivity(unchecked) var inCapacity = 0
    @exclusivity(unchecked) var inStart = 0
    @exclusivity(unchecked) var inEnd = 0

    /// Output not yet given to OpenSSL, in order.
    enum Pending {
        case bytes([UInt8], Int)
        case file(FileSegment, offset: Int, length: Int)
    }
    @exclusivity(unchecked) var queue: [Pending] = []
    @exclusivity(unchecked) var queueHead = 0
    @exclusivity(unchecked) var queuedBytes = 0
    /// Plaintext handed to SSL_write and not yet taken: bytes [stageSent, stageCount) of `stage`. After
    /// WANT_WRITE OpenSSL must be given the same bytes again.
    @exclusivity(unchecked) var stage: UnsafeMutableRawPointer?
    @exclusivity(unchecked) var stageSent = 0
    @exclusivity(unchecked) var stageCount = 0
    /// The staging buffer's size: one full TLS record of bytes, or four when a file is read into it.
    @exclusivity(unchecked) var stageCapacity = 0
    static let smallStage = EventLoop.scratchBytes
    static let fileStage = 65536
    /// Ciphertext collected before one write(2) (four full records): `out` holds the records OpenSSL made
    /// and not yet written (nil when OpenSSL writes to the socket itself, for kernel TLS).
    static let batchBytes = 65536
    @exclusivity(unchecked) var out: UnsafeMutablePointer<httpd_outbuf>?
    var cipherPending: Int { out.map { $0.pointee.end - $0.pointee.start } ?? 0 }
    /// The kernel offers TLS (`tls` in tcp_available_ulp): connections let OpenSSL write to the socket, so
    /// that it can hand the session to the kernel (kTLS, SSL_sendfile). Otherwise records are batched.
    static let kernelOffersTLS: Bool = {
        let fd = open("/proc/sys/net/ipv4/tcp_available_ulp", O_RDONLY)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var buf = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return false }
        return buf[0..<n].split(whereSeparator: { $0 == 0x20 || $0 == 0x0A }).contains { $0.elementsEqual("tls".utf8) }
    }()
    /// Input kept while the owner is not reading before reading pauses (as BufferedSocket).
    static let inputCap = BufferedSocket.inputCap

    /// A TLS server connection on the accepted, non-blocking `fd`; nil when OpenSSL or libevent cannot make
    /// one (the caller still owns `fd` then).
    public init?(_ loop: EventLoop, fd: Int32, context: TLSContext, stats: TLSStats) {
        guard let events = SocketEvents(loop, fd: fd) else { return nil }
        guard let (ssl, out) = context.newConnection(fd: fd, socketWrites: Self.kernelOffersTLS) else {
            ERR_clear_error()
            return nil
        }
        self.out = out
        self.fd = fd
        self.context = context
        self.stats = stats
        self.loop = loop
        self.ssl = ssl
        self.events = events
        events.owner = self
        events.watchReading(true)
    }

    deinit {
        close()
        if let inBuf { freeBuffer(inBuf, inCapacity) }
        if let stage { freeBuffer(stage, stageCapacity) }
    }

    // MARK: Transport

    public var peer: PeerAddress { Sockets.peerAddress(fd) }
    public var inputCount: Int { inEnd - inStart }
    public var outputCount: Int { queuedBytes + stageCount - stageSent + cipherPending }
    public var spokePlainHTTP: Bool { phase == .plain }
    public var handshakeInProgress: Bool { phase == .handshake && sawBytes && !closed }

    public func inputPending() -> Bool {
        if inputCount > 0 { return true }
        if sawEOF || closed { return false }
        if let ssl, phase == .open, SSL_pending(ssl) > 0 { return true }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    public func withInput<T>(upTo limit: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let n = min(inputCount, limit)
        guard n > 0, let inBuf else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return body(UnsafeRawBufferPointer(start: inBuf + inStart, count: n))
    }

    public func consumeInput(_ count: Int) {
        inStart += min(count, inputCount)
        if inStart == inEnd {
            inStart = 0
            inEnd = 0
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, !closed else { return }
        // Behind what the staging buffer holds, when nothing else is queued and it fits: no copy to
        // allocate, and a head and a small body leave in one record.
        if queueHead == queue.count && stageCount + bytes.count <= max(stageCapacity, Self.smallStage) {
            reserveStage(Self.smallStage)
            (stage! + stageCount).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            stageCount += bytes.count
            return
        }
        queue.append(.bytes(Array(bytes), 0))
        queuedBytes += bytes.count
    }

    public func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) {
        // Both go into one record when they fit: the flush copies them into the staging buffer together.
        write(first)
        write(second)
    }

    public func write(_ segment: FileSegment, offset: Int, length: Int) -> Bool {
        guard length > 0 else { return true }
        // Compared without adding: a huge offset or length must answer false, not overflow.
        guard offset >= 0, offset <= segment.length, length <= segment.length - offset, !closed else { return false }
        queue.append(.file(segment, offset: offset, length: length))
        queuedBytes += length
        return true
    }

    public func flush() -> FlushResult {
        let result = writeSome()
        if case .drained = result { stopWriting() }
        return result
    }

    public func enableReading() {
        readingEnabled = true
        if readPaused && !sawEOF && !closed {
            readPaused = false
            events.watchReading(true)
            // Decrypted records may wait inside OpenSSL, where the kernel's readiness cannot tell.
            events.activateRead()
        }
    }

    public func disableReading() {
        readingEnabled = false
    }

    public func releaseIdleBuffers() {
        if inputCount == 0, let b = inBuf {
            freeBuffer(b, inCapacity)
            inBuf = nil
            inCapacity = 0
        }
        if stageCount == 0, let s = stage {
            freeBuffer(s, stageCapacity)
            stage = nil
            stageCapacity = 0
        }
        if let out { httpd_outbuf_release(out) }
        if queue.isEmpty { queue = [] }
    }

    /// Sends TLS's close_notify, then FIN, and keeps reading (a lingering close).
    public func shutdownWrite() {
        if let ssl, phase == .open {
            _ = SSL_shutdown(ssl)
            ERR_clear_error()
            pushCipherOnce()
        }
        shutdown(fd, Int32(SHUT_WR))
        writeShut = true
    }

    /// Closes at once (after a close_notify when the session is healthy and idle), dropping queued output.
    public func close() {
        guard !closed else { return }
        closed = true
        events.stop()
        if phase == .handshake {
            stats.failed(sawBytes ? "handshake not completed" : "no ClientHello")
        }
        if let ssl {
            if phase == .open && failure == nil && outputCount == 0 && !sawEOF {
                SSL_set_quiet_shutdown(ssl, 0)
                _ = SSL_shutdown(ssl)
                pushCipherOnce()
            }
            ERR_clear_error()
            SSL_free(ssl)  // frees the write BIO, and with it `out`
            self.ssl = nil
            out = nil
        }
        queue.removeAll()
        queueHead = 0
        queuedBytes = 0
        stageCount = 0
        stageSent = 0
        Glibc.close(fd)
    }

    // MARK: Events

    public func socketReadable() {
        if writeWantsRead {
            writeWantsRead = false
            socketWritable()
            if closed { return }
        }
        switch phase {
        case .handshake: handshake()
        case .open: readRecords()
        case .plain: readPlain()
        }
    }

    public func socketWritable() {
        if phase == .handshake {
            guard out != nil else {
                handshake()
                return
            }
            // The server's flight did not fit the socket at once: the rest of it.
            switch pushCipher() {
            case .failed(let e): fail(.error(e), reason: nil)
            case .drained: events.watchWriting(false)
            case .pending: break
            }
            return
        }
        let before = outputCount
        switch writeSome() {
        case .failed(let e):
            stopWriting()
            delegate?.transportFailed(.error(e))
        case .drained:
            stopWriting()
            delegate?.transportDrained()
        case .pending:
            if outputCount < before { delegate?.transportProgressed() }
        }
    }

    func stopWriting() {
        writeWantsRead = false
        events.watchWriting(false)
    }

    // MARK: Handshake

    func handshake() {
        guard let ssl else { return }
        if !sawBytes {
            // The first bytes tell a TLS ClientHello (a handshake record, 0x16) from plain HTTP (a method's letters).
            var first: UInt8 = 0
            let n = recv(fd, &first, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
                fail(n == 0 ? .eof : .error(errno), reason: nil)
                return
            }
            if n < 0 { return }
            sawBytes = true
            if first >= 0x41 && first <= 0x5A {
                phase = .plain
                stats.failed("plain HTTP")
                // Output queued before (its flush answered .pending) goes out in clear from the write event.
                if outputCount > 0 { events.watchWriting(true) }
                readPlain()
                return
            }
        }
        let r = SSL_do_handshake(ssl)
        let code = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r)
        let reason = r == 1 || code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE ? nil : sslFailureReason(code)
        // What OpenSSL wrote (the server's flight, or an alert) goes out now.
        let pushed = pushCipher()
        if let reason {
            stats.failed(reason)
            phase = .open  // counted: `close` must not count it again
            failure = "TLS handshake failed: \(reason)"
            fail(.error(EPROTO), reason: failure)
            return
        }
        if case .failed(let e) = pushed {
            fail(.error(e), reason: nil)
            return
        }
        if r == 1 {
            phase = .open
            // Output queued during the handshake (its flush answered .pending) goes out from the write event.
            if case .drained = pushed, outputCount == 0 { events.watchWriting(false) } else { events.watchWriting(true) }
            let version = String(cString: SSL_get_version(ssl))
            security = TransportSecurity(
                version: version, cipher: String(cString: SSL_CIPHER_get_name(SSL_get_current_cipher(ssl))),
                serverName: httpd_ssl_get_servername(ssl).map { String(cString: $0) })
            stats.completed(version: version, resumed: SSL_session_reused(ssl) == 1)
            if httpd_ssl_ktls_send(ssl) == 1 {
                kernelTLS = true
                stats.usedKernelTLS()
            }
            // The request may have come with the client's Finished message, already inside OpenSSL.
            readRecords()
            return
        }
        if code == SSL_ERROR_WANT_WRITE {
            events.watchWriting(true)
        } else if case .drained = pushed {
            events.watchWriting(false)
        }
    }

    /// The reason OpenSSL gives for failing with `code`; clears its error queue.
    func sslFailureReason(_ code: Int32) -> String {
        let e = ERR_peek_last_error()
        let savedErrno = errno
        ERR_clear_error()
        if e != 0, let text = ERR_reason_error_string(e) { return String(cString: text) }
        if code == SSL_ERROR_SYSCALL { return savedErrno == 0 ? "unexpected eof" : errnoText(savedErrno) }
        // Also a close in the middle of the handshake (SSL_OP_IGNORE_UNEXPECTED_EOF makes it a clean end).
        if code == SSL_ERROR_ZERO_RETURN { return "closed by the client" }
        return "error \(code)"
    }

    func fail(_ event: TransportEvent, reason: String?) {
        events.watchReading(false)
        if case .eof = event {
            // The client ended its side: output still goes out (a response being sent is finished).
            sawEOF = true
        } else {
            events.watchWriting(false)
        }
        delegate?.transportFailed(event)
    }

    // MARK: Reading

    /// Room for `want` more bytes of input at `inEnd` (compacting or growing the buffer).
    func reserveInput(_ want: Int) {
        if inBuf == nil {
            inCapacity = max(want, Self.smallStage)
            inBuf = allocateBuffer(inCapacity)
            return
        }
        if inCapacity - inEnd >= want { return }
        if inStart > 0 {
            (inBuf! + 0).copyMemory(from: inBuf! + inStart, byteCount: inputCount)
            inEnd -= inStart
            inStart = 0
        }
        if inCapacity - inEnd < want {
            let bigger = allocateBuffer(inEnd + want)
            bigger.copyMemory(from: inBuf!, byteCount: inEnd)
            freeBuffer(inBuf!, inCapacity)
            inBuf = bigger
            inCapacity = inEnd + want
        }
    }

    /// Decrypts what has arrived, until OpenSSL wants more from the kernel or the input cap is reached.
    func readRecords() {
        guard let ssl else { return }
        var got = false
        while !closed {
            if inputCount >= Self.inputCap && !readingEnabled {
                readPaused = true
                events.watchReading(false)
                break
            }
            reserveInput(4096)
            let room = Int32(min(inCapacity - inEnd, Int(Int32.max)))
            let n = SSL_read(ssl, inBuf! + inEnd, room)
            if n > 0 {
                inEnd += Int(n)
                got = true
                // Nothing left inside OpenSSL: stop here rather than meet EAGAIN with one more read(2); the
                // read event fires again if the kernel holds more.
                if SSL_has_pending(ssl) == 0 { break }
                continue
            }
            let code = SSL_get_error(ssl, n)
            switch code {
            case SSL_ERROR_WANT_READ:
                break
            case SSL_ERROR_WANT_WRITE:
                events.watchWriting(true)
            case SSL_ERROR_ZERO_RETURN:
                ERR_clear_error()
                if got && readingEnabled { delegate?.transportReadable() }
                guard !closed else { return }
                // Output stays usable after .eof: what reading made (the answer to a KeyUpdate) goes out too.
                if cipherPending > 0, case .failed(let e) = pushCipher() {
                    fail(.error(e), reason: nil)
                    return
                }
                fail(.eof, reason: nil)
                return
            default:
                let savedErrno = errno
                let reason = sslFailureReason(code)
                if got && readingEnabled { delegate?.transportReadable() }
                guard !closed else { return }
                if code == SSL_ERROR_SYSCALL && savedErrno != 0 {
                    // The socket failed (a reset): as on plain TCP, not a TLS matter.
                    fail(.error(savedErrno), reason: nil)
                } else if reason == "unexpected eof" || reason == "unexpected eof while reading" {
                    // A client that closes without close_notify has ended its side all the same.
                    fail(.eof, reason: nil)
                } else {
                    failure = "TLS: \(reason)"
                    fail(.error(EPROTO), reason: failure)
                }
                return
            }
            break
        }
        // Reading may have made records to send (an alert, a key update): they go out now.
        if cipherPending > 0, case .failed(let e) = pushCipher() {
            fail(.error(e), reason: nil)
            return
        }
        if got && readingEnabled { delegate?.transportReadable() }
    }

    /// Plain bytes from a client that did not speak TLS.
    func readPlain() {
        if inputCount >= Self.inputCap && !readingEnabled {
            readPaused = true
            events.watchReading(false)
            return
        }
        reserveInput(4096)
        let n = read(fd, inBuf! + inEnd, inCapacity - inEnd)
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            fail(n == 0 ? .eof : .error(errno), reason: nil)
            return
        }
        if n > 0 {
            inEnd += n
            if readingEnabled { delegate?.transportReadable() }
        }
    }

    // MARK: Writing

    /// A buffer of `size` bytes: one of the loop's spare scratch buffers when it is their size.
    func allocateBuffer(_ size: Int) -> UnsafeMutableRawPointer {
        size == EventLoop.scratchBytes ? loop.takeScratch() : UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    }

    /// Frees a buffer of `allocateBuffer`, of `size` bytes.
    func freeBuffer(_ buffer: UnsafeMutableRawPointer, _ size: Int) {
        if size == EventLoop.scratchBytes { loop.giveScratch(buffer) } else { buffer.deallocate() }
    }

    /// A staging buffer of at least `size` bytes (its content kept).
    func reserveStage(_ size: Int) {
        guard stageCapacity < size else { return }
        let bigger = allocateBuffer(size)
        if let stage {
            bigger.copyMemory(from: stage, byteCount: stageCount)
            freeBuffer(stage, stageCapacity)
        }
        stage = bigger
        stageCapacity = size
    }

    /// Writes the collected records to the socket: `.pending` (the write event on) when the kernel takes
    /// no more now.
    func pushCipher() -> FlushResult {
        guard let o = out else { return .drained }
        if writeShut {
            // Records OpenSSL makes while the connection lingers (the answer to a client's KeyUpdate) cannot
            // be sent after FIN: they are dropped, and reading goes on.
            o.pointee.start = 0
            o.pointee.end = 0
            return .drained
        }
        while o.pointee.end > o.pointee.start {
            let (n, stop) = send(o.pointee.data + o.pointee.start, o.pointee.end - o.pointee.start)
            if let stop { return stop }
            o.pointee.start += n
        }
        o.pointee.start = 0
        o.pointee.end = 0
        return .drained
    }

    /// One write(2) of the collected records, whatever it takes (a close_notify on the way out).
    func pushCipherOnce() {
        guard let o = out, o.pointee.end > o.pointee.start else { return }
        let n = Glibc.write(fd, o.pointee.data + o.pointee.start, o.pointee.end - o.pointee.start)
        if n > 0 { o.pointee.start += n }
    }

    /// Moves queued output into the staging buffer, up to a record: bytes copied, file regions read with pread.
    /// Returns an errno when a file cannot be read (EIO when it shrank).
    func fillStage() -> Int32 {
        stageCount = 0
        stageSent = 0
        if case .file(_, _, let length) = queue[queueHead], length > Self.smallStage {
            reserveStage(Self.fileStage)
        } else {
            reserveStage(Self.smallStage)
        }
        let s = stage!
        while queueHead < queue.count && stageCount < stageCapacity {
            let room = stageCapacity - stageCount
            switch queue[queueHead] {
            case .bytes(let bytes, let done):
                let n = min(room, bytes.count - done)
                bytes.withUnsafeBytes { (s + stageCount).copyMemory(from: $0.baseAddress! + done, byteCount: n) }
                stageCount += n
                queuedBytes -= n
                if done + n == bytes.count {
                    queueHead += 1
                } else {
                    queue[queueHead] = .bytes(bytes, done + n)
                }
            case .file(let segment, let offset, let length):
                let n = min(room, length)
                let r = pread(segment.fd, s + stageCount, n, off_t(offset))
                if r < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if r == 0 { return EIO }  // the file shrank: its length can never be sent
                stageCount += r
                queuedBytes -= r
                if r == length {
                    queueHead += 1
                } else {
                    queue[queueHead] = .file(segment, offset: offset + r, length: length - r)
                }
            }
        }
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        }
        return 0
    }

    /// Encrypts and sends until everything is out or the socket would block.
    func writeSome() -> FlushResult {
        if phase == .plain { return writePlain() }
        guard let ssl, phase == .open else { return outputCount == 0 ? .drained : .pending }
        while true {
            // Everything is encrypted: what remains is ciphertext. Else a full batch goes out first.
            if stageSent == stageCount && queueHead == queue.count { return pushCipher() }
            if cipherPending >= Self.batchBytes {
                let pushed = pushCipher()
                guard case .drained = pushed else { return pushed }
            }
            if stageSent == stageCount {
                if kernelTLS, case .file(let segment, let offset, let length) = queue[queueHead] {
                    // Kernel TLS: the file goes from the page cache to the socket, encrypted by the kernel.
                    let n = SSL_sendfile(ssl, segment.fd, off_t(offset), length, 0)
                    if n > 0 {
                        queuedBytes -= n
                        if n == length {
                            queueHead += 1
                        } else {
                            queue[queueHead] = .file(segment, offset: offset + n, length: length - n)
                        }
                        continue
                    }
                    if SSL_get_error(ssl, Int32(truncatingIfNeeded: n)) == SSL_ERROR_WANT_WRITE {
                        events.watchWriting(true)
                        return .pending
                    }
                    let e = errno
                    failure = "TLS sendfile: \(sslFailureReason(SSL_ERROR_SYSCALL))"
                    return .failed(e != 0 ? e : EPIPE)
                }
                let e = fillStage()
                if e != 0 { return .failed(e) }
                if stageCount == 0 { continue }
            }
            let n = SSL_write(ssl, stage! + stageSent, Int32(stageCount - stageSent))
            if n > 0 {
                stageSent += Int(n)
                if stageSent == stageCount {
                    stageSent = 0
                    stageCount = 0
                }
                continue
            }
            let code = SSL_get_error(ssl, n)
            switch code {
            case SSL_ERROR_WANT_WRITE:
                events.watchWriting(true)
                return .pending
            case SSL_ERROR_WANT_READ:
                writeWantsRead = true
                return .pending
            default:
                let e = errno
                if code == SSL_ERROR_SYSCALL && e != 0 {
                    ERR_clear_error()
                    return .failed(e)  // the socket failed, as on plain TCP
                }
                failure = "TLS write: \(sslFailureReason(code))"
                return .failed(EPIPE)
            }
        }
    }

    /// One write(2) of `count` bytes (retried on EINTR): the bytes the kernel took, or what ends the flush:
    /// `.pending` with the write event on when it takes none now, `.failed` on an error.
    func send(_ bytes: UnsafeRawPointer, _ count: Int) -> (Int, FlushResult?) {
        while true {
            let n = Glibc.write(fd, bytes, count)
            if n >= 0 { return (n, nil) }
            if errno == EINTR { continue }
            if errno == EAGAIN {
                events.watchWriting(true)
                return (0, .pending)
            }
            return (0, .failed(errno))
        }
    }

    /// Plain bytes to a client that did not speak TLS (the connection's 400 answer).
    func writePlain() -> FlushResult {
        while true {
            if stageSent == stageCount {
                if outputCount == 0 { return .drained }
                let e = fillStage()
                if e != 0 { return .failed(e) }
            }
            let (n, stop) = send(stage! + stageSent, stageCount - stageSent)
            if let stop { return stop }
            stageSent += n
        }
    }
}
