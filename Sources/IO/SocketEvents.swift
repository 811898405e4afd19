// Readiness events on one descriptor, for transports that do their own reads and writes (TLS), so that
// they need not import libevent: a read event and a write event, each on or off, and a way to run the
// read callback on the next loop iteration when bytes wait in a library's buffer, not in the kernel.
// Ownership: the owner keeps this object (and the descriptor) alive while its events may fire; freeing
// it frees the events. The owner is reached through an unretained pointer.

import CLibevent

#if canImport(Glibc)
    import Glibc
#endif

/// What a `SocketEvents` reports, on the loop thread.
public protocol SocketEventsOwner: AnyObject {
    /// The descriptor is readable (or `activateRead` asked for a call).
    func socketReadable()
    /// The descriptor is writable.
    func socketWritable()
}

/// A persistent read event and a persistent write event on `fd`, both off at first.
public final class SocketEvents {
    public unowned(unsafe) var owner: (any SocketEventsOwner)?
    var readEvent: OpaquePointer?
    var writeEvent: OpaquePointer?
    public private(set) var reading = false
    public private(set) var writing = false

    /// Events on `fd` in `loop`; nil when libevent cannot allocate them.
    public init?(_ loop: EventLoop, fd: Int32) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        readEvent = httpd_event_new(
            loop.base, fd, HTTPD_EV_READ | HTTPD_EV_PERSIST,
            { _, _, arg in Unmanaged<SocketEvents>.fromOpaque(arg!).takeUnretainedValue().owner?.socketReadable() }, me)
        writeEvent = httpd_event_new(
            loop.base, fd, HTTPD_EV_WRITE | HTTPD_EV_PERSIST,
            { _, _, arg in Unmanaged<SocketEvents>.fromOpaque(arg!).takeUnretainedValue().owner?.socketWritable() }, me)
        if readEvent == nil || writeEvent == nil { return nil }
    }

    deinit {
        if let readEvent { event_free(readEvent) }
        if let writeEvent { event_free(writeEvent) }
    }

    /// Turns the read event on or off.
    public func watchReading(_ on: Bool) {
        guard on != reading else { return }
        reading = on
        if on { event_add(readEvent, nil) } else { event_del(readEvent) }
    }

    /// Turns the write event on or off.
    public func watchWriting(_ on: Bool) {
        guard on != writing else { return }
        writing = on
        if on { event_add(writeEvent, nil) } else { event_del(writeEvent) }
    }

    /// Runs `socketReadable` on the next loop iteration, readable or not (input already buffered above the
    /// kernel). Only while the read event is on.
    public func activateRead() {
        guard reading else { return }
        event_active(readEvent, Int32(HTTPD_EV_READ), 0)
    }

    /// Both events off (before the descriptor is closed).
    public func stop() {
        watchReading(false)
        watchWriting(false)
    }
}
