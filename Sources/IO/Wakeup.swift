// The wake-up fd through which worker threads tell the loop thread that results are waiting.

import CLibevent
public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// The thread-safe half of a Wakeup: any thread may `signal()` it.
public struct WakeupSignal: Sendable {
    let fd: Int32

    /// Wakes the loop (one 8-byte eventfd write).
    public func signal() {
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }
}

/// An eventfd watched by the loop: `signal` from any thread, `handler` runs on the loop thread.
public final class Wakeup {
    let fd: Int32
    var event: OpaquePointer?
    let handler: () -> Void

    /// Creates the eventfd and watches it on `loop`.
    public init(_ loop: EventLoop, _ handler: @escaping () -> Void) throws(StartupError) {
        fd = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        if fd < 0 { throw StartupError.errno("eventfd") }
        self.handler = handler
        event = httpd_event_new(
            loop.base, fd, HTTPD_EV_READ | HTTPD_EV_PERSIST,
            { fd, _, arg in
                var value: UInt64 = 0
                _ = read(fd, &value, 8)
                Unmanaged<Wakeup>.fromOpaque(arg!).takeUnretainedValue().handler()
            }, Unmanaged.passUnretained(self).toOpaque())
        guard let event, event_add(event, nil) == 0 else { throw StartupError("cannot watch the wake-up eventfd") }
    }

    deinit {
        if let event { event_free(event) }
        // The eventfd itself stays open for the life of the process: a worker still finishing a
        // lookup may signal it after the server is gone, and must never write into a reused fd.
    }

    /// The Sendable signalling side, for worker threads.
    public var signaller: WakeupSignal { WakeupSignal(fd: fd) }
}
