// A connected socket with input and output buffers, on two libevent events of our own
// (not a bufferevent): the read event stays registered for the connection's life and writes are
// tried at once, so a keep-alive request that fits the socket buffer costs no epoll_ctl at all.
// The write event is made on the first write that has to wait: most connections never need one. The
// buffers are the loop's, lent while the connection reads or writes: between requests an idle
// connection gives its empty ones back (`releaseIdleBuffers`), and holds none.
// TCP_NODELAY is not set here: accepted sockets inherit it from the listener, an adopted one gets it
// from `Sockets.setNoDelay`.
// Ownership: the BufferedSocket owns the fd (closed by `close()` or deinit); C callbacks reach it
// through an unretained pointer, so it must outlive its own callbacks (the Server frees closed
// connections on the next loop iteration).

import CLibevent
public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// A non-blocking stream socket with buffered input and output: the plain-TCP `Transport`.
public final class BufferedSocket: Transport {
    public let fd: Int32
    /// The owner, which holds this socket for as long as it lives (so no weak reference, and no side
    /// table allocated per connection for one).
    public unowned(unsafe) var delegate: (any TransportDelegate)?
    /// The loop, held so that it outlives the socket's events and buffers.
    let loop: EventLoop
    /// The input and output buffers while held (see `input`, `output`). Reached on every read and write,
    /// on the loop thread only and never across a call: no dynamic exclusivity check.
    @exclusivity(unchecked) var heldInput: OpaquePointer?
    @exclusivity(unchecked) var heldOutput: OpaquePointer?
    /// Set by init (a failed init returns nil); optional only so that init can pass `self` to libevent.
    var readEvent: OpaquePointer?
    /// The write event once made (`writeEvent`).
    var madeWriteEvent: OpaquePointer?
    var readingEnabled = false
    var readPaused = false
    var writePending = false
    var idleWrites = 0
    var sawEOF = false
    var closed = false
    /// libevent could not queue some output (out of memory): the stream is broken, `flush` says so.
    var outputLost = false
    /// The errno of a failed direct write (0: none), for `flush` to report.
    var writeError: Int32 = 0
    /// Whether the last read filled its buffer (more is likely waiting: read in large pieces).
    var readLarge = false
    static let smallRead = 928
    static let largeRead = 16384
    /// Input kept while the owner is not reading (pipelined requests) before reading pauses.
    public static let inputCap = 64 * 1024

    /// Wraps an accepted, non-blocking `fd` and starts buffering its input; nil when libevent cannot
    /// allocate the read event (the caller still owns `fd` then).
    public init?(_ loop: EventLoop, fd: Int32) {
        self.fd = fd
        self.loop = loop
        readEvent = httpd_event_new(
            loop.base, fd, HTTPD_EV_READ | HTTPD_EV_PERSIST,
            { _, _, arg in
                Unmanaged<BufferedSocket>.fromOpaque(arg!).takeUnretainedValue().readReady()
            }, Unmanaged.passUnretained(self).toOpaque())
        guard readEvent != nil else {
            closed = true  // deinit frees what was made, but the fd stays the caller's
            return nil
        }
        event_add(readEvent, nil)
    }

    deinit {
        close()
        if let readEvent { event_free(readEvent) }
        if let madeWriteEvent { event_free(madeWriteEvent) }
        if let heldInput { loop.giveBuffer(heldInput, output: false) }
        if let heldOutput { loop.giveBuffer(heldOutput, output: true) }
    }

    /// The input buffer, borrowed from the loop when none is held. A buffer failing to allocate is out of
    /// memory, which Swift's own allocations treat as fatal too.
    var input: OpaquePointer {
        if let heldInput { return heldInput }
        let b = loop.takeBuffer(output: false)
        heldInput = b
        return b
    }

    /// The output buffer, borrowed from the loop when none is held.
    var output: OpaquePointer {
        if let heldOutput { return heldOutput }
        let b = loop.takeBuffer(output: true)
        heldOutput = b
        return b
    }

    /// Between requests: gives the buffers back to the loop when they are empty (taken again by the next
    /// read or write), so an idle connection holds none.
    public func releaseIdleBuffers() {
        if let b = heldInput, evbuffer_get_length(b) == 0 {
            heldInput = nil
            loop.giveBuffer(b, output: false)
        }
        if let b = heldOutput, evbuffer_get_length(b) == 0 {
            heldOutput = nil
            loop.giveBuffer(b, output: true)
        }
    }

    /// Closes the socket at once and drops queued output (releasing file segments); no callback follows.
    public func close() {
        guard !closed else { return }
        closed = true
        event_del(readEvent)
        if let madeWriteEvent { event_del(madeWriteEvent) }
        if let heldOutput { evbuffer_drain(heldOutput, evbuffer_get_length(heldOutput)) }
        Glibc.close(fd)
    }

    /// The write event, made on first use. Its allocation failing is out of memory, which Swift's own
    /// allocations treat as fatal too.
    var writeEvent: OpaquePointer? {
        if let madeWriteEvent { return madeWriteEvent }
        guard
            let made = httpd_event_new(
                loop.base, fd, HTTPD_EV_WRITE | HTTPD_EV_PERSIST,
                { _, _, arg in
                    Unmanaged<BufferedSocket>.fromOpaque(arg!).takeUnretainedValue().writeReady()
                }, Unmanaged.passUnretained(self).toOpaque())
        else { fatalError("libevent could not allocate a write event: out of memory") }
        madeWriteEvent = made
        return made
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
        // A read sized to what usually comes (a request head) keeps libevent's chain within malloc's
        // per-thread cache (chains of up to 1 KiB, header included); a read that fills it is followed by
        // large ones until a read comes back short.
        let size = readLarge ? Self.largeRead : Self.smallRead
        let n = httpd_evbuffer_read_once(input, fd, size)
        readLarge = n == size
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            let event: TransportEvent = n == 0 ? .eof : .error(errno)
            sawEOF = true
            event_del(readEvent)
            delegate?.transportFailed(event)
            return
        }
        if evbuffer_get_length(input) >= Self.inputCap && !readingEnabled {
            readPaused = true
            event_del(readEvent)
        }
        if n > 0 && readingEnabled { delegate?.transportReadable() }
    }

    /// The peer's address, from getpeername(2).
    public var peer: PeerAddress { Sockets.peerAddress(fd) }

    /// Bytes waiting in the input buffer.
    public var inputCount: Int { heldInput.map { evbuffer_get_length($0) } ?? 0 }

    /// Bytes not yet handed to the kernel.
    public var outputCount: Int { heldOutput.map { evbuffer_get_length($0) } ?? 0 }

    /// True when input waits in the buffer or in the kernel (a non-blocking MSG_PEEK of one byte: a
    /// close on unread bytes would send a reset).
    public func inputPending() -> Bool {
        if inputCount > 0 { return true }
        if sawEOF || closed { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    /// Calls `body` with the first `limit` bytes of input (all of it when fewer) as one contiguous region
    /// (no copy when they already are). Only that prefix is pulled together, so a head parser passing its
    /// head-size limit never makes libevent allocate a contiguous copy of more than that.
    public func withInput<T>(upTo limit: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let n = min(inputCount, limit)
        if n == 0 { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return body(UnsafeRawBufferPointer(start: evbuffer_pullup(input, n), count: n))
    }

    /// Removes `count` bytes from the front of the input buffer.
    public func consumeInput(_ count: Int) {
        if count > 0, let heldInput { evbuffer_drain(heldInput, count) }
    }

    /// Queues bytes for output (copied).
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if evbuffer_add(output, base, bytes.count) != 0 { outputLost = true }
    }

    /// With nothing queued, one writev(2) of both ranges (no copy into the output buffer, no chain to
    /// allocate and free: the common keep-alive response); what the kernel does not take is queued, and
    /// an error is kept for `flush`.
    public func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) {
        guard outputCount == 0, writeError == 0, !outputLost, !closed else {
            write(first)
            write(second)
            return
        }
        var vectors = (
            iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count)
        )
        let sent = withUnsafeMutableBytes(of: &vectors) { raw in
            retryingEINTR { writev(fd, raw.baseAddress!.assumingMemoryBound(to: iovec.self), 2) }
        }
        var taken = 0
        switch sent {
        case .success(let n):
            taken = n
        case .failure(let e) where e.code == EAGAIN:
            break
        case .failure(let e):
            writeError = e.code
            return
        }
        if taken < first.count {
            write(UnsafeRawBufferPointer(rebasing: first[taken...]))
            write(second)
        } else {
            write(UnsafeRawBufferPointer(rebasing: second[(taken - first.count)...]))
        }
    }

    /// Queues `length` bytes of `segment` from `offset`, sent with sendfile. libevent takes its own
    /// reference to the segment (and gives it back if adding fails), so no descriptor is duplicated
    /// or closed here. False when libevent refused (out of memory, or a region beyond the segment).
    public func write(_ segment: FileSegment, offset: Int, length: Int) -> Bool {
        if length == 0 { return true }
        return evbuffer_add_file_segment(output, segment.segment, Int64(offset), Int64(length)) == 0
    }

    /// Writes as much queued output as the kernel takes now; the rest goes out as the socket allows.
    public func flush() -> FlushResult {
        if outputLost { return .failed(ENOMEM) }
        if writeError != 0 { return .failed(writeError) }
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
            delegate?.transportFailed(.error(e))
        case .drained:
            stopWriting()
            delegate?.transportDrained()
        case .pending:
            if evbuffer_get_length(output) < before {
                idleWrites = 0
                delegate?.transportProgressed()
            } else {
                // Writable yet nothing written, again and again: the file shrank, its length can never be sent.
                idleWrites += 1
                if idleWrites > 64 {
                    stopWriting()
                    delegate?.transportFailed(.error(EIO))
                }
            }
        }
    }

    func stopWriting() {
        writePending = false
        idleWrites = 0
        event_del(writeEvent)
    }
}
