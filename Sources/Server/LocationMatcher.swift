// Which `<Location /prefix>` block covers a request path: the longest covering prefix, on the decoded,
// normalized path's bytes. Built once per site; pure. (Config's BlockDirective.locationPrefix checks them.)

/// The `<Location>` blocks of a site as prefixes. `/p` and `/p/` both cover `/p` and `/p/…` (the safe
/// reading: a protected `/private/` also protects `/private`), never `/px`; `/` covers every path.
public struct LocationMatcher: Sendable {
    /// The prefixes (trimmed of a trailing slash) with their configuration index: longest first, and
    /// among equal prefixes the later block first (it overrides).
    private let order: [(prefix: String, index: Int)]

    /// `prefixes` in configuration order, as `BlockDirective.locationPrefix` (Config) leaves them.
    public init(prefixes: [String]) {
        order = prefixes.enumerated().map { (PathPrefix.trimmed($0.element), $0.offset) }.sorted { a, b in
            let (x, y) = (a.prefix.utf8.count, b.prefix.utf8.count)
            return x != y ? x > y : a.index > b.index
        }
    }

    /// The configuration index of the longest prefix covering `path` (decoded and normalized, as
    /// `PathNormalizer` gives it; compared byte for byte, letter case included), or nil when none does.
    public func match(path: String) -> Int? {
        for entry in order where PathPrefix.covers(entry.prefix, path) { return entry.index }
        return nil
    }
}
