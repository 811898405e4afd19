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

    /// Open connections per source address (IP peers only; local peers are not limited).
    private(set) var perClient: [[UInt8]: Int] = [:]

    /// Takes a slot for `peer` unless it already holds `limit` (0 = no limit); nil when refused. The peer
    /// returned is the one to keep: its address bytes are the count's key, so the connections of one
    /// client share one copy of them instead of holding one each.
    mutating func admit(_ peer: PeerAddress, limit: Int) -> PeerAddress? {
        guard case .ip(let bytes) = peer.kind else { return peer }
        guard let i = perClient.index(forKey: bytes) else {
            perClient[bytes] = 1
            return peer
        }
        let open = perClient.values[i]
        if limit > 0 && open >= limit { return nil }
        perClient.values[i] = open + 1
        return PeerAddress(kind: .ip(perClient.keys[i]), text: peer.text)
    }

    /// Gives back the slot `peer` took.
    mutating func release(_ peer: PeerAddress) {
        guard case .ip(let bytes) = peer.kind, let open = perClient[bytes] else { return }
        perClient[bytes] = open > 1 ? open - 1 : nil
    }

    /// Whether `open` connections put a server with `maxConnections` under pressure.
    static func underPressure(open: Int, maxConnections: Int) -> Bool {
        Double(open) >= Double(maxConnections) * pressureShare
    }
}
