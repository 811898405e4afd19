// Who gets a connection slot when clients crowd in, as pure bookkeeping the Server acts on: at most
// MaxConnectionsPerClient per source address, "pressure" above 80 % of MaxConnections (heads must then
// arrive within 2 s), and at MaxConnections the connection longest on an incomplete head makes room.

import Support

/// Per-client connection counts and the pressure rule.
struct Admission {
    /// Above this share of MaxConnections the server is under pressure.
    static let pressureShare = 0.8
    /// Under pressure, a request head must be complete within this many seconds of its start.
    static let pressureHeadSeconds = 2.0
    /// At MaxConnections, a connection may be evicted only after this long on its head: a client that has
    /// just connected gets the chance to send it (its bytes may not even have been read yet).
    static let evictionGraceSeconds = 0.5

    /// Open connections per source address (IP peers only; local peers are not limited), and the peer the
    /// client's connections keep.
    private(set) var perClient: [ClientKey: (open: Int, peer: PeerAddress)] = [:]

    /// A client's address as a key: its bytes in two words (hashed as two words, not byte by byte), an
    /// IPv4 address as its IPv4-mapped IPv6 form (which no IPv6 peer has: the kernel's mapped peers are
    /// taken as IPv4 already).
    struct ClientKey: Hashable {
        var high: UInt64 = 0
        var low: UInt64 = 0

        init(_ bytes: [UInt8]) {
            if bytes.count == 4 {
                low = 0xFFFF << 32 | bytes.reduce(0) { $0 << 8 | UInt64($1) }
                return
            }
            for (i, b) in bytes.prefix(16).enumerated() {
                if i < 8 { high = high << 8 | UInt64(b) } else { low = low << 8 | UInt64(b) }
            }
        }
    }

    /// Takes a slot for `peer` unless it already holds `limit` (0 = no limit); nil when refused. The peer
    /// returned is the one to keep: the client's first connection's, so the connections of one client
    /// share one copy of its address bytes and text instead of holding one each.
    mutating func admit(_ peer: PeerAddress, limit: Int) -> PeerAddress? {
        guard case .ip(let bytes) = peer.kind else { return peer }
        let key = ClientKey(bytes)
        guard let i = perClient.index(forKey: key) else {
            perClient[key] = (1, peer)
            return peer
        }
        let (open, kept) = perClient.values[i]
        if limit > 0 && open >= limit { return nil }
        perClient.values[i].open = open + 1
        return kept
    }

    /// Gives back the slot `peer` took.
    mutating func release(_ peer: PeerAddress) {
        guard case .ip(let bytes) = peer.kind else { return }
        let key = ClientKey(bytes)
        guard let i = perClient.index(forKey: key) else { return }
        if perClient.values[i].open > 1 {
            perClient.values[i].open -= 1
        } else {
            perClient.remove(at: i)
        }
    }

    /// Whether `open` connections put a server with `maxConnections` under pressure.
    static func underPressure(open: Int, maxConnections: Int) -> Bool {
        Double(open) >= Double(maxConnections) * pressureShare
    }
}
