// Server-name matching for SNI, on bytes: a certificate's DNS names against the name a client asked for,
// exact or through a `*.` wildcard that stands for exactly one whole leftmost label (RFC 6125, 6.4.3).

/// A DNS name as a certificate or a client gives it, lowercased ASCII without a trailing dot.
public struct ServerName: Sendable, Equatable {
    public let bytes: [UInt8]

    /// `text` lowercased, without one trailing dot; nil when empty or not printable ASCII.
    public init?(_ text: some Collection<UInt8>) {
        var b = [UInt8]()
        b.reserveCapacity(text.count)
        for c in text {
            guard c > 0x20 && c < 0x7F else { return nil }
            b.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
        }
        if b.last == 0x2E { b.removeLast() }
        guard !b.isEmpty else { return nil }
        bytes = b
    }

    /// True for a `*.rest` pattern.
    public var isWildcard: Bool { bytes.count > 2 && bytes[0] == 0x2A && bytes[1] == 0x2E }

    /// Whether this certificate name covers `host`: equal, or a wildcard whose `*` is one non-empty label
    /// of `host` (`*.example.com` covers `a.example.com`, not `example.com` nor `a.b.example.com`).
    public func covers(_ host: ServerName) -> Bool {
        if bytes == host.bytes { return true }
        guard isWildcard, let dot = host.bytes.firstIndex(of: 0x2E), dot > 0 else { return false }
        return host.bytes[dot...].elementsEqual(bytes[1...])
    }
}

/// Picks the certificate for a requested server name: the first whose names hold it exactly, else the first
/// whose wildcard covers it, else nil (the caller falls back to its first certificate).
public func pickCertificate(for host: ServerName, among names: [[ServerName]]) -> Int? {
    if let exact = names.firstIndex(where: { $0.contains { !$0.isWildcard && $0 == host } }) { return exact }
    return names.firstIndex(where: { $0.contains { $0.isWildcard && $0.covers(host) } })
}
