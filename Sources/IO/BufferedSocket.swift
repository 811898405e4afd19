// A connected socket with input and output buffers, on two libevent events of our own
// (not a bufferevent): the read event stays registered for the connection's life and writes are
// tried at once, so a keep-alive request that fits the socket buffer costs no epoll_ctl at all.
// Ownership: the BufferedSocket owns the fd (closed by `close()` or deinit); C callbacks reach it
// through an unretained pointer, so it must outlive its own callbacks (the Server frees closed
// connections on the next loop iteration).
import Support
import CLibevent

#if canImport(Glibc)
    import Glibc
#endif

/// What a BufferedSocket reports to its owner, on the loop thread.
public protocol BufferedSocketDelegate: AnyObject {
    /// New bytes are in the input buffer (only while reading is enabled).
    func socketReadable()
    /// Everything queued for output, after a `flush()` that returned `.pending`, reached the kernel.
    func socketDrained()
    /// The peer closed its side, an error happened, or a send made no progress within the send timeout.
    func socketFailed(_ event: SocketEvent)
}

/// Why a socket stopped.
public enum SocketEvent: Sendable, Equatable {
    case eof
    case error(Int32)
    case sendTimeout
}

/// The outcome of `flush()`.
public enum FlushResult: Equatable {
    /// All output is in the kernel.
    case drained
    /// Output remains; `socketDrained` or `socketFailed` follows.
    case pending
    /// The write failed with this errno; the socket should be closed.
    case failed(Int32)
}

/// A non-blocking stream socket with buffered input and output.
public final class BufferedSocket {
    public let fd: Int32
    public weak var delegate: (any BufferedSocketDelegate)?
    let input: OpaquePointer
    let output: OpaquePointer
    var readEvent: OpaquePointer!
    var writeEvent: OpaquePointer!
    var sendTimer: Timer!
    var sendTimeout: Double = 0
    var readingEnabled = false
    var readPaused = false
    var writePending = false
    var idleWrites = 0
    var sawEOF = false
    var closed = false
    /// Input kept while the owner is not reading (pipelined requests) before reading pauses.
    public static let inputCap = 64 * 1024

    /// Wraps an accepted, non-blocking `fd`.
    public init(_ loop: EventLoop, fd: Int32) {
        self.fd = fd
        input = evbuffer_new()
        output = evbuffer_new()
        evbuffer_set_flags(output, UInt64(EVBUFFER_FLAG_DRAINS_TO_FD))
        let arg = Unmanaged.passUnretained(self).toOpaque()
        readEvent = httpd_event_new(
            loop.base, fd, HTTPD_EV_READ | HTTPD_EV_PERSIST,
            { _, _, arg in
                Unmanaged<BufferedSocket>.fromOpaque(arg!).takeUnretainedValue().readReady()
            }, arg)
        writeEvent = httpd_event_new(
            loop.base, fd, HTTPD_EV_WRITE | HTTPD_EV_PERSIST,
            { _, _, arg in
                Unmanaged<BufferedSocket>.fromOpaque(arg!).takeUnretainedValue().writeReady()
            }, arg)
        sendTimer = Timer(loop) { [unowned self] in
            self.stopWriting()
            self.delegate?.socketFailed(.sendTimeout)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        event_add(readEvent, nil)
    }

    deinit {
        close()
        event_free(readEvent)
        event_free(writeEvent)
        evbuffer_free(input)
        evbuffer_free(output)
    }

    /// Closes the socket at once; no callback follows.
    public func close() {
        guard !closed else { return }
        closed = true
        event_del(readEvent)
        event_del(writeEvent)
        sendTimer.cancel()
        Glibc.close(fd)
    }

    /// Stops sending (FIN) but keeps reading, for a lingering close.
    public func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Reports new input to the delegate (input is read, up to `inputCap`, even while disabled).
    public func enableReading() {
        readingEnabled = true
        if readPaused && !sawEOF && !closed {
            readPaused = false
            event_add(readEvent, nil)
        }
    }

    /// Stops reporting input; bytes keep arriving into the buffer up to `inputCap`.
    public func disableReading() {
        readingEnabled = false
    }

    func readReady() {
        let n = httpd_evbuffer_read_once(input, fd, 16384)
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            let event: SocketEvent = n == 0 ? .eof : .error(errno)
            sawEOF = true
            event_del(readEvent)
            delegate?.socketFailed(event)
            return
        }
        if evbuffer_get_length(input) >= Self.inputCap && !readingEnabled {
            readPaused = true
            event_del(readEvent)
        }
        if n > 0 && readingEnabled { delegate?.socketReadable() }
    }

    /// Bytes waiting in the input buffer.
    public var inputCount: Int { evbuffer_get_length(input) }

    /// Bytes not yet handed to the kernel.
    public var outputCount: Int { evbuffer_get_length(output) }

    /// Calls `body` with the whole input buffer as one contiguous region (no copy when it already is).
    public func withInput<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        let n = evbuffer_get_length(input)
        if n == 0 { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return body(UnsafeRawBufferPointer(start: evbuffer_pullup(input, -1), count: n))
    }

    /// Removes `count` bytes from the front of the input buffer.
    public func consumeInput(_ count: Int) {
        evbuffer_drain(input, count)
    }

    /// Queues bytes for output (copied).
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        evbuffer_add(output, base, bytes.count)
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Queues `length` bytes of the open file `fd` from `offset`, to be sent with sendfile.
    /// `fd` stays the caller's: libevent gets a dup, which it owns and closes once sent; if
    /// evbuffer_add_file fails (libevent 2.1 then leaves the fd alone), the dup is closed here.
    /// Returns nil on success, else the reason.
    public func writeFile(sharing fd: Int32, offset: Int, length: Int) -> String? {
        let copy = dup(fd)
        if copy < 0 { return errnoText(errno) }
        if evbuffer_add_file(output, copy, Int64(offset), Int64(length)) != 0 {
            Glibc.close(copy)
            return "evbuffer_add_file failed"
        }
        return nil
    }

    /// Sets how long a send may make no progress before `socketFailed(.sendTimeout)` (0 = forever).
    public func setSendTimeout(_ seconds: Double) {
        sendTimeout = seconds
    }

    /// Writes as much queued output as the kernel takes now; the rest goes out as the socket allows.
    public func flush() -> FlushResult {
        switch writeSome() {
        case .failed(let e):
            return .failed(e)
        case .drained:
            if writePending { stopWriting() }
            return .drained
        case .pending:
            if !writePending {
                writePending = true
                event_add(writeEvent, nil)
            }
            if sendTimeout > 0 { sendTimer.schedule(after: sendTimeout) }
            return .pending
        }
    }

    /// Writes until the buffer is empty or the kernel would block.
    func writeSome() -> FlushResult {
        while evbuffer_get_length(output) > 0 {
            let n = evbuffer_write(output, fd)
            if n < 0 {
                let e = errno
                if e == EAGAIN || e == EINTR { return .pending }
                return .failed(e)
            }
            // libevent's sendfile path returns 0 both for EAGAIN and for a file that shrank under us.
            if n == 0 { return .pending }
        }
        return .drained
    }

    func writeReady() {
        let before = evbuffer_get_length(output)
        switch writeSome() {
        case .failed(let e):
            stopWriting()
            delegate?.socketFailed(.error(e))
        case .drained:
            stopWriting()
            delegate?.socketDrained()
        case .pending:
            if evbuffer_get_length(output) < before {
                idleWrites = 0
                if sendTimeout > 0 { sendTimer.schedule(after: sendTimeout) }
            } else {
                // Writable yet nothing written, again and again: the file shrank, its length can never be sent.
                idleWrites += 1
                if idleWrites > 64 {
                    stopWriting()
                    delegate?.socketFailed(.error(EIO))
                }
            }
        }
    }

    func stopWriting() {
        writePending = false
        idleWrites = 0
        event_del(writeEvent)
        sendTimer.cancel()
    }

    /// The peer's numeric address (`127.0.0.1`, `::1`), or `-` when unknown.
    public func peerAddress() -> String {
        Sockets.peerAddress(fd)
    }
}
