// Accepting connections on a bound listening socket (a libevent evconnlistener).
// Ownership: the Listener owns its fd (closed with the listener); accepted fds go to `onAccept` with the
// peer's address as accept4(2) returned it (no getpeername per connection).

import CLibevent
public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Accepts connections on a listening socket and hands each new non-blocking fd and its peer to `onAccept`.
public final class Listener {
    /// Set by init (a failed init throws); optional only so that init can pass `self` to libevent.
    var listener: OpaquePointer?
    let onAccept: (Int32, PeerAddress) -> Void
    let onError: (Int32) -> Void
    public let fd: Int32
    public private(set) var enabled: Bool

    /// Takes the bound, listening `fd` (closed with the listener, or at once if this throws) and accepts
    /// on it, or starts disabled when `enabled` is false (a reload enables new listeners on commit).
    /// TCP_NODELAY is set on the listening socket: accepted sockets inherit it (Linux), one setsockopt
    /// less per connection.
    public init(
        _ loop: EventLoop, fd: Int32, enabled: Bool = true, onAccept: @escaping (Int32, PeerAddress) -> Void,
        onError: @escaping (Int32) -> Void
    ) throws(StartupError) {
        self.fd = fd
        self.onAccept = onAccept
        self.onError = onError
        self.enabled = enabled
        var flags = UInt32(LEV_OPT_CLOSE_ON_FREE) | UInt32(LEV_OPT_CLOSE_ON_EXEC)
        if !enabled { flags |= UInt32(LEV_OPT_DISABLED) }
        Sockets.setNoDelay(fd)
        // Backlog 0: the socket is already listening (bound with backlog 511, or inherited); libevent's
        // -1 would call listen(fd, 128) again and shrink it.
        listener = evconnlistener_new(
            loop.base,
            { _, client, address, length, arg in
                Unmanaged<Listener>.fromOpaque(arg!).takeUnretainedValue().onAccept(
                    client, Sockets.peerAddress(address, length: length))
            }, Unmanaged.passUnretained(self).toOpaque(), flags, 0, fd)
        guard let listener else {
            let error = StartupError("cannot accept on \(Sockets.localAddress(fd)): libevent could not make a listener")
            Glibc.close(fd)
            throw error
        }
        // accept() failures such as EMFILE: without this callback libevent would retry at once, forever.
        evconnlistener_set_error_cb(listener) { _, arg in
            Unmanaged<Listener>.fromOpaque(arg!).takeUnretainedValue().onError(errno)
        }
    }

    deinit { if let listener { evconnlistener_free(listener) } }

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
