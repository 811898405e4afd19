// A connection's peer as the kernel reports it, read once per connection: the numeric address
// (bytes, for access rules) and its text (for logs), or a local (Unix-domain) peer.

#if canImport(Glibc)
    import Glibc
#endif

/// Who is at the other end of a connection.
public struct PeerAddress: Sendable, Equatable, CustomStringConvertible {
    /// What kind of peer this is.
    public enum Kind: Sendable, Equatable {
        /// An IP peer: 4 bytes for IPv4 (IPv4-mapped IPv6 included), 16 for IPv6.
        case ip([UInt8])
        /// A Unix-domain socket: a process on this machine.
        case local
        /// The kernel could not say (the socket is gone).
        case unknown
    }

    public let kind: Kind
    /// Numeric text as logs show it (`127.0.0.1`, `::1`), `unix` for a local peer, `-` when unknown.
    public let text: String

    public init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }

    /// A numeric IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4); `.unknown` when `text` is neither.
    public init(numeric text: String) {
        if let bytes = NumericAddress.bytes(text) {
            self.init(kind: .ip(bytes), text: text)
        } else {
            self.init(kind: .unknown, text: text)
        }
    }

    /// A local (Unix-domain) peer.
    public static let local = PeerAddress(kind: .local, text: "unix")
    /// A peer the kernel could not name.
    public static let unknown = PeerAddress(kind: .unknown, text: "-")

    public var description: String { text }
}

/// Numeric IP address syntax, through `inet_pton`.
public enum NumericAddress {
    /// The bytes of a numeric address (4 for IPv4, 16 for IPv6; IPv4-mapped IPv6 `::ffff:a.b.c.d`
    /// becomes IPv4), or nil when `text` is not one.
    public static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let b = withUnsafeBytes(of: &v6) { Array($0) }
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return Array(b[12..<16]) }
            return b
        }
        return nil
    }
}
