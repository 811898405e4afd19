// The libevent event base, timers and signal events. Only the IO target imports CLibevent;
// everything here runs on the one loop thread.

import CLibevent
public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// One libevent event base, driven by `run()` on the calling thread.
public final class EventLoop {
    let base: OpaquePointer
    var signalEvents: [OpaquePointer] = []
    var signalHandlers: [Int32: () -> Void] = [:]
    /// libevent's cached wall time when `cachedMonotonic` was read.
    var cachedWall = timeval()
    var cachedMonotonic = 0.0
    /// Empty evbuffers given back by sockets between requests, lent to the next ones: input buffers, and
    /// output buffers (flagged to drain to a descriptor only, which lets file segments go out with sendfile).
    /// Loop thread only, never across a call: no dynamic exclusivity check.
    @exclusivity(unchecked) var spareInputs: [OpaquePointer] = []
    @exclusivity(unchecked) var spareOutputs: [OpaquePointer] = []
    /// Spare buffers kept of each kind at most (the rest are freed).
    static let spareBufferLimit = 128
    /// Descriptors below this have their libevent record (`reserveDescriptors(covering:)`).
    private(set) var reservedDescriptors: Int32 = 0
    /// Descriptors whose records are made together.
    static let descriptorBlock: Int32 = 1024

    /// Creates the event base; call only after daemonizing (libevent state does not survive fork).
    public init() throws(StartupError) {
        guard let base = event_base_new() else { throw StartupError("cannot create the libevent event base") }
        self.base = base
    }

    deinit {
        for b in spareInputs + spareOutputs { evbuffer_free(b) }
        for b in spareScratch { b.deallocate() }
        for ev in signalEvents { event_free(ev) }
        event_base_free(base)
    }

    /// Runs until `stop()` or until no event is left.
    public func run() {
        event_base_dispatch(base)
    }

    /// One pass of the loop: runs the callbacks of the events ready now and returns; `nonBlocking` false
    /// first waits for at least one event. For tests and fuzzing, which drive a transport step by step.
    public func runOnce(nonBlocking: Bool) {
        event_base_loop(base, EVLOOP_ONCE | (nonBlocking ? EVLOOP_NONBLOCK : 0))
    }

    /// Makes `run()` return after the current callbacks.
    public func stop() {
        event_base_loopbreak(base)
    }

    /// Wall-clock seconds, as cached by libevent for this loop iteration (cheap to call often).
    public func nowSeconds() -> Int {
        var tv = timeval()
        event_base_gettimeofday_cached(base, &tv)
        return Int(tv.tv_sec)
    }

    /// Monotonic seconds as of the loop iteration now running (nginx's cached time): read from the clock
    /// once per iteration, when libevent's cached wall time (set after each poll) changes, so the many
    /// requests of one iteration share one clock read. Outside the loop it reads the clock.
    public func cachedMonotonicSeconds() -> Double {
        var tv = timeval()
        event_base_gettimeofday_cached(base, &tv)
        if tv.tv_sec != cachedWall.tv_sec || tv.tv_usec != cachedWall.tv_usec {
            cachedWall = tv
            cachedMonotonic = Self.monotonicSeconds()
        }
        return cachedMonotonic
    }

    /// Monotonic seconds, for deadlines and cache ages.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// An empty buffer for a socket's input or output: a spare one, or a new one. Its allocation failing is
    /// out of memory, which Swift's own allocations treat as fatal too.
    func takeBuffer(output: Bool) -> OpaquePointer {
        if let b = output ? spareOutputs.popLast() : spareInputs.popLast() { return b }
        guard let b = evbuffer_new() else { fatalError("libevent could not allocate a buffer: out of memory") }
        if output { evbuffer_set_flags(b, UInt64(EVBUFFER_FLAG_DRAINS_TO_FD)) }
        return b
    }

    /// Takes back a socket's buffer (emptied), keeping up to `spareBufferLimit` of each kind.
    func giveBuffer(_ b: OpaquePointer, output: Bool) {
        evbuffer_drain(b, evbuffer_get_length(b))
        if output && spareOutputs.count < Self.spareBufferLimit {
            spareOutputs.append(b)
        } else if !output && spareInputs.count < Self.spareBufferLimit {
            spareInputs.append(b)
        } else {
            evbuffer_free(b)
        }
    }

    /// Spare 16 KiB scratch buffers for transports that keep their own (TLS: decrypted input, plaintext
    /// to encrypt), lent per request like the evbuffers: a keep-alive request allocates none. Loop thread only.
    @exclusivity(unchecked) var spareScratch: [UnsafeMutableRawPointer] = []
    /// The size of a scratch buffer.
    public static let scratchBytes = 16384

    /// A scratch buffer of `scratchBytes` (a spare one when there is one).
    public func takeScratch() -> UnsafeMutableRawPointer {
        spareScratch.popLast() ?? UnsafeMutableRawPointer.allocate(byteCount: Self.scratchBytes, alignment: 16)
    }

    /// Takes back a scratch buffer from `takeScratch`, keeping up to `spareBufferLimit`.
    public func giveScratch(_ b: UnsafeMutableRawPointer) {
        if spareScratch.count < Self.spareBufferLimit {
            spareScratch.append(b)
        } else {
            b.deallocate()
        }
    }

    /// Makes libevent's per-descriptor records for the block of `descriptorBlock` descriptors that holds `fd`,
    /// and for every block below it not made yet, together. libevent makes one (a small block of memory)
    /// the first time a descriptor is watched and keeps it for the loop's life: made one by one as
    /// connections arrive, they land between the connections' own blocks and pin those pages after the
    /// connections close, so the heap cannot be trimmed. Made a block at a time, they sit together. Watching a
    /// descriptor that is not open fails (EBADF) after the record is made; one that is open is unwatched at
    /// once. About 50 bytes per descriptor, and 1.5 ms per block; a descriptor already covered costs one
    /// comparison.
    public func reserveDescriptors(covering fd: Int32) {
        guard fd >= reservedDescriptors else { return }
        let end = (fd / Self.descriptorBlock + 1) * Self.descriptorBlock
        guard let probe = httpd_event_new(base, -1, 0, { _, _, _ in }, nil) else { return }
        // libevent logs every refused epoll_ctl to stderr: silenced while probing, then its default again.
        event_set_log_callback { _, _ in }
        defer { event_set_log_callback(nil) }
        for d in reservedDescriptors..<end {
            event_assign(probe, base, d, HTTPD_EV_READ, { _, _, _ in }, nil)
            if event_add(probe, nil) == 0 { event_del(probe) }
        }
        event_free(probe)
        reservedDescriptors = end
    }

    /// Calls `handler` on the loop thread whenever `signal` arrives; throws when libevent cannot watch it.
    public func onSignal(_ signal: Int32, _ handler: @escaping () -> Void) throws(StartupError) {
        guard
            let ev = httpd_event_new(
                base, signal, HTTPD_EV_SIGNAL | HTTPD_EV_PERSIST,
                { sig, _, arg in
                    let loop = Unmanaged<EventLoop>.fromOpaque(arg!).takeUnretainedValue()
                    loop.signalHandlers[sig]?()
                }, Unmanaged.passUnretained(self).toOpaque())
        else { throw StartupError("cannot watch signal \(signal)") }
        guard event_add(ev, nil) == 0 else {
            event_free(ev)
            throw StartupError("cannot watch signal \(signal)")
        }
        signalHandlers[signal] = handler
        signalEvents.append(ev)
    }
}

/// A one-shot timer on the loop; the callback runs on the loop thread.
/// The owner keeps the Timer alive; freeing it cancels it.
public final class Timer {
    /// Set by init (a failed init returns nil); optional only so that init can pass `self` to libevent.
    var event: OpaquePointer?
    let callback: () -> Void

    /// A timer on `loop`; nil when libevent cannot allocate its event.
    public init?(_ loop: EventLoop, _ callback: @escaping () -> Void) {
        self.callback = callback
        event = httpd_event_new(
            loop.base, -1, 0,
            { _, _, arg in
                Unmanaged<Timer>.fromOpaque(arg!).takeUnretainedValue().callback()
            }, Unmanaged.passUnretained(self).toOpaque())
        if event == nil { return nil }
    }

    /// A timer on `loop`, or a start-up error naming `purpose`.
    public static func make(_ loop: EventLoop, for purpose: String, _ callback: @escaping () -> Void) throws(StartupError)
        -> Timer
    {
        guard let timer = Timer(loop, callback) else { throw StartupError("cannot create the \(purpose) timer") }
        return timer
    }

    deinit { if let event { event_free(event) } }

    /// Fires once after `seconds` (replacing any earlier schedule).
    public func schedule(after seconds: Double) {
        httpd_event_add_ms(event, Int64(seconds * 1000))
    }

    public func cancel() { event_del(event) }
}
