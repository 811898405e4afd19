// Accepting connections on a bound listening socket (a libevent evconnlistener).
// Ownership: the Listener owns its fd (closed with the listener); accepted fds go to `onAccept`.
import Support
import CLibevent

#if canImport(Glibc)
    import Glibc
#endif

/// Accepts connections on a listening socket and hands each new non-blocking fd to `onAccept`.
public final class Listener {
    var listener: OpaquePointer!
    let onAccept: (Int32) -> Void
    let onError: (Int32) -> Void
    public let fd: Int32
    public private(set) var enabled = true

    /// Starts accepting on the bound, listening `fd`.
    public init(_ loop: EventLoop, fd: Int32, onAccept: @escaping (Int32) -> Void, onError: @escaping (Int32) -> Void) {
        self.fd = fd
        self.onAccept = onAccept
        self.onError = onError
        let flags = UInt32(LEV_OPT_CLOSE_ON_FREE) | UInt32(LEV_OPT_CLOSE_ON_EXEC)
        listener = evconnlistener_new(
            loop.base,
            { _, client, _, _, arg in
                Unmanaged<Listener>.fromOpaque(arg!).takeUnretainedValue().onAccept(client)
            }, Unmanaged.passUnretained(self).toOpaque(), flags, -1, fd)
        // accept() failures such as EMFILE: without this callback libevent would retry at once, forever.
        evconnlistener_set_error_cb(listener) { _, arg in
            Unmanaged<Listener>.fromOpaque(arg!).takeUnretainedValue().onError(errno)
        }
    }

    deinit { evconnlistener_free(listener) }

    /// Stops accepting (connections wait in the kernel's backlog).
    public func disable() {
        if enabled {
            evconnlistener_disable(listener)
            enabled = false
        }
    }

    /// Resumes accepting.
    public func enable() {
        if !enabled {
            evconnlistener_enable(listener)
            enabled = true
        }
    }
}
