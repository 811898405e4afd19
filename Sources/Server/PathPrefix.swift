// The one covering rule `<Location>` and `Redirect` share: a path prefix covers itself and what lies below
// it, decided on bytes (never by Unicode equivalence).

/// A path prefix: `/p` covers `/p` and `/p/…` but not `/px`; `/` covers every path.
enum PathPrefix {
    /// `prefix` without its trailing slash (`/p/` → `/p`), so that it also covers `/p` itself; `/` stays `/`.
    static func trimmed(_ prefix: String) -> String {
        let bytes = prefix.utf8
        guard bytes.count > 1, bytes.last == 0x2F else { return prefix }
        return String(prefix.dropLast())
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
    /// in `/old` leaves ``; `/` leaves the whole path.
    static func rest(after prefix: String, in path: String) -> Substring {
        let p = prefix.utf8
        if p.count == 1 && p.first == 0x2F { return path[...] }
        return path[path.utf8.index(path.startIndex, offsetBy: p.count)...]
    }
}
