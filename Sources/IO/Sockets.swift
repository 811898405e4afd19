// Raw socket syscalls: binding listeners before the event loop exists, taking over sockets inherited
// from systemd or inetd, and naming addresses.

public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Socket helpers around Glibc.
public enum Sockets {
    /// Creates, binds and listens on the numeric `host` (IPv4 or IPv6) and `port`; throws a start-up
    /// error naming the address and errno.
    public static func bindListener(host: String, port: UInt16, backlog: Int32 = 511) throws(StartupError) -> Int32 {
        let isIPv6 = host.utf8.contains(UInt8(ascii: ":"))
        let address = isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
        let family = isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        if fd < 0 { throw StartupError.errno("socket for \(address)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var result: Int32
        if isIPv6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &sa.sin6_addr)
            result = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &sa.sin_addr)
            result = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        if result != 0 {
            let e = errno
            close(fd)
            throw StartupError.errno("cannot listen on \(address)", e)
        }
        if listen(fd, backlog) != 0 {
            let e = errno
            close(fd)
            throw StartupError.errno("listen on \(address)", e)
        }
        return fd
    }

    /// True when `fd` is a socket.
    public static func isSocket(_ fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
    }

    /// True when `fd` is a listening socket (SO_ACCEPTCONN).
    public static func isListening(_ fd: Int32) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0 && value != 0
    }

    /// Sets TCP_NODELAY: small responses leave at once. On a listening socket, the sockets it accepts
    /// inherit it. Harmless on a socket that is not TCP (it fails there).
    public static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Makes `fd` non-blocking and close-on-exec (for descriptors inherited from inetd or systemd).
    public static func prepareInherited(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Listening sockets passed by systemd socket activation (`LISTEN_FDS`/`LISTEN_PID`, starting at fd 3),
    /// or nil when none were passed to this process. The variables are removed, as sd_listen_fds does.
    public static func inheritedListeners() -> [Int32]? {
        guard let pidText = getenv("LISTEN_PID").map({ String(cString: $0) }), let pid = Int32(pidText), pid == getpid(),
            let countText = getenv("LISTEN_FDS").map({ String(cString: $0) }), let count = Int32(countText), count > 0
        else { return nil }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        let fds = (0..<count).map { 3 + $0 }
        for fd in fds { prepareInherited(fd) }
        return fds
    }

    /// Points `fd` at /dev/null (so stray output can never reach an inetd client).
    public static func redirectToDevNull(_ fd: Int32) {
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, fd)
            if null != fd { close(null) }
        }
    }

    /// The local address of a bound socket (shows the real port when 0 was asked for).
    public static func localAddress(_ fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return ok == 0 ? describe(&storage, withPort: true) : "?"
    }

    /// The local port of a bound or connected socket (the real one when 0 was asked for); 0 when it has none
    /// (a Unix-domain socket) or getsockname fails.
    public static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return 0 }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return 0
        }
    }

    /// The peer of a connected socket (getpeername), as `peerAddress(_:length:)` names it.
    public static func peerAddress(_ fd: Int32) -> PeerAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard ok == 0 else { return .unknown }
        return peerAddress(&storage)
    }

    /// The peer named by `address` (as accept(2) filled it, `length` bytes): its address bytes (taken from
    /// the sockaddr, not parsed back from the text) and numeric text, a local (Unix-domain) peer, or unknown.
    static func peerAddress(_ address: UnsafePointer<sockaddr>?, length: Int32) -> PeerAddress {
        guard let address, length > 0 else { return .unknown }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { to in
            to.copyMemory(from: UnsafeRawBufferPointer(start: address, count: min(Int(length), to.count)))
        }
        return peerAddress(&storage)
    }

    static func peerAddress(_ storage: inout sockaddr_storage) -> PeerAddress {
        switch Int32(storage.ss_family) {
        case AF_UNIX:
            return .local
        case AF_INET:
            let bytes = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    withUnsafeBytes(of: sin.pointee.sin_addr) { Array($0) }
                }
            }
            return PeerAddress(kind: .ip(bytes), text: dottedQuad(bytes))
        case AF_INET6:
            var bytes = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) }
                }
            }
            // An IPv4-mapped peer (::ffff:a.b.c.d) is the IPv4 address, as `describe` writes it.
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { bytes = Array(bytes[12...]) }
            return PeerAddress(kind: .ip(bytes), text: describe(&storage, withPort: false))
        default:
            return .unknown
        }
    }

    /// `a.b.c.d` for 4 address bytes, written directly (inet_ntop formats through sprintf).
    static func dottedQuad(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(15)
        for (i, b) in bytes.enumerated() {
            if i > 0 { text.append(UInt8(ascii: ".")) }
            if b >= 100 { text.append(UInt8(ascii: "0") + b / 100) }
            if b >= 10 { text.append(UInt8(ascii: "0") + b / 10 % 10) }
            text.append(UInt8(ascii: "0") + b % 10)
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func describe(_ storage: inout sockaddr_storage, withPort: Bool) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
                    let host = String(nulTerminated: buffer)
                    return withPort ? "\(host):\(UInt16(bigEndian: sin.pointee.sin_port))" : host
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var addr = sin6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
                    var host = String(nulTerminated: buffer)
                    if host.hasPrefix("::ffff:") && host.contains(".") { host.removeFirst(7) }
                    return withPort ? "[\(host)]:\(UInt16(bigEndian: sin6.pointee.sin6_port))" : host
                }
            }
        case AF_UNIX:
            return "unix"
        default:
            return "-"
        }
    }
}
