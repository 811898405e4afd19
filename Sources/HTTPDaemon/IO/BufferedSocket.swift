// A connected socket with input and output buffers (a libevent bufferevent).
// Ownership: the BufferedSocket owns the fd (closed on `close()`); its delegate is held weakly by
// the C callbacks through an unretained pointer, so the owner must call `close()` before dropping it.
import CLibevent
#if canImport(Glibc)
import Glibc
#endif

/// What a BufferedSocket reports to its owner, on the loop thread.
public protocol BufferedSocketDelegate: AnyObject {
    /// New bytes are in the input buffer.
    func socketReadable()
    /// Everything queued for output has been handed to the kernel.
    func socketDrained()
    /// The peer closed, an error happened, or a send made no progress within the write timeout.
    func socketFailed(_ event: SocketEvent)
}

/// Why a socket stopped.
public enum SocketEvent: Sendable {
    case eof, error(Int32), sendTimeout, readTimeout
}

/// A non-blocking TCP (or Unix) stream with buffered input and output.
public final class BufferedSocket {
    let bev: OpaquePointer
    public let fd: Int32
    public weak var delegate: (any BufferedSocketDelegate)?
    var closed = false

    /// Wraps an accepted, non-blocking `fd`.
    public init(_ loop: EventLoop, fd: Int32) {
        self.fd = fd
        bev = bufferevent_socket_new(loop.base, fd, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))!
        let arg = Unmanaged.passUnretained(self).toOpaque()
        bufferevent_setcb(bev, { _, arg in
            Unmanaged<BufferedSocket>.fromOpaque(arg!).takeUnretainedValue().delegate?.socketReadable()
        }, { _, arg in
            Unmanaged<BufferedSocket>.fromOpaque(arg!).takeUnretainedValue().delegate?.socketDrained()
        }, { _, what, arg in
            let socket = Unmanaged<BufferedSocket>.fromOpaque(arg!).takeUnretainedValue()
            let event: SocketEvent
            if what & HTTPD_BEV_EVENT_TIMEOUT != 0 {
                event = what & HTTPD_BEV_EVENT_WRITING != 0 ? .sendTimeout : .readTimeout
            } else if what & HTTPD_BEV_EVENT_EOF != 0 {
                event = .eof
            } else {
                event = .error(errno)
            }
            socket.delegate?.socketFailed(event)
        }, arg)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        if !closed { bufferevent_free(bev) }
    }

    /// Closes the socket at once; no callback follows.
    public func close() {
        guard !closed else { return }
        closed = true
        bufferevent_setcb(bev, nil, nil, nil, nil)
        bufferevent_free(bev)
    }

    /// Stops sending (FIN) but keeps reading, for a lingering close.
    public func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    public func enableReading() { bufferevent_enable(bev, HTTPD_EV_READ) }
    public func disableReading() { bufferevent_disable(bev, HTTPD_EV_READ) }

    /// Bytes waiting in the input buffer.
    public var inputCount: Int { evbuffer_get_length(bufferevent_get_input(bev)) }

    /// Bytes not yet handed to the kernel.
    public var outputCount: Int { evbuffer_get_length(bufferevent_get_output(bev)) }

    /// Calls `body` with the whole input buffer as one contiguous region (no copy when it already is).
    public func withInput<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        let input = bufferevent_get_input(bev)
        let n = evbuffer_get_length(input)
        if n == 0 { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let p = evbuffer_pullup(input, -1)
        return body(UnsafeRawBufferPointer(start: p, count: n))
    }

    /// Removes `count` bytes from the front of the input buffer.
    public func consumeInput(_ count: Int) {
        evbuffer_drain(bufferevent_get_input(bev), count)
    }

    /// Queues bytes for output (copied).
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        evbuffer_add(bufferevent_get_output(bev), base, bytes.count)
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Queues `length` bytes of the open file `fd` from `offset`, to be sent with sendfile.
    /// `fd` stays the caller's: libevent gets a dup, which it owns and closes (even on failure).
    /// Returns nil on success, else the errno text.
    public func writeFile(sharing fd: Int32, offset: Int, length: Int) -> String? {
        let copy = dup(fd)
        if copy < 0 { return errnoText(errno) }
        if evbuffer_add_file(bufferevent_get_output(bev), copy, Int64(offset), Int64(length)) != 0 {
            return "evbuffer_add_file failed"
        }
        return nil
    }

    /// Sets how long a write may make no progress (0 = forever); reads have no timeout here.
    public func setSendTimeout(_ seconds: Double) {
        httpd_bufferevent_set_timeouts_ms(bev, 0, Int64(seconds * 1000))
    }

    /// The peer's numeric address (`127.0.0.1`, `::1`), or `-` when unknown.
    public func peerAddress() -> String {
        Sockets.peerAddress(fd)
    }
}
