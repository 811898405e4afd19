// The one covering rule `<Location>` and `Redirect` share: a path prefix covers itself and what lies below
// it, decided on bytes (never by Unicode equivalence).

/// A path prefix: `/p` covers `/p` and `/p/…` but not `/px`; `/` covers every path.
enum PathPrefix {
    /// `prefix` without its trailing slash (`/p/` → `/p`), so that it also covers `/p` itself; `/` stays `/`.
    static func trimmed(_ prefix: String) -> String {
        let bytes = prefix.utf8
        guard bytes.count > 1, bytes.last == 0x2F else { return prefix }
        return String(decoding: bytes.dropLast(), as: UTF8.self)
    }

    /// True when `prefix` (trimmed) covers `path`: equal bytes, or the bytes of `prefix` then a `/`.
    static func covers(_ prefix: String, _ path: String) -> Bool {
        let p = prefix.utf8
        let q = path.utf8
        if p.count == 1 && p.first == 0x2F { return q.first == 0x2F }
        guard q.count >= p.count, q.starts(with: p) else { return false }
        return q.count == p.count || q[q.index(q.startIndex, offsetBy: p.count)] == 0x2F
    }

    /// What follows the covered `prefix` in `path`, from its `/` on: `/old` in `/old/a/b` leaves `/a/b`,
    /// in `/old` leaves ``; `/` leaves the whole path. Cut on bytes (a String subscript would round to a
    /// Character boundary, and `/` can belong to the Character before it: U+0600 then `/` is one).
    static func rest(after prefix: String, in path: String) -> String {
        let p = prefix.utf8
        if p.count == 1 && p.first == 0x2F { return path }
        return String(decoding: path.utf8.dropFirst(p.count), as: UTF8.self)
    }
}
