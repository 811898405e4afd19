// Which `<Location /prefix>` block covers a request path: the longest covering prefix, on the decoded,
// normalized path's bytes. Built once per site; pure. Also the check of a prefix as the reader gets it.

import HTTPCore

/// The `<Location>` blocks of a site as prefixes. `/p` and `/p/` both cover `/p` and `/p/…` (the safe
/// reading: a protected `/private/` also protects `/private`), never `/px`; `/` covers every path.
public struct LocationMatcher: Sendable {
    /// The prefixes (trimmed of a trailing slash) with their configuration index: longest first, and
    /// among equal prefixes the later block first (it overrides).
    private let order: [(prefix: String, index: Int)]

    /// `prefixes` in configuration order, as `normalizePrefix` leaves them.
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

    /// The prefix as stored, or nil when `parsePrefix` refuses it.
    public static func normalizePrefix(_ prefix: String) -> String? {
        try? parsePrefix(prefix).get()
    }

    /// A `<Location>` (or `Redirect`) prefix as stored, or why it is refused. It is written as a URL path:
    /// it must start with `/`; percent-escapes are decoded once (`%20`; a literal `%` is `%25`), dot
    /// segments and repeated slashes resolved as `PathNormalizer` does for requests (`%2F`, `%00`, a
    /// backslash and `..` above `/` refused); control bytes are refused; the trailing slash is dropped.
    public static func parsePrefix(_ prefix: String) -> Result<String, ConfigValueError> {
        guard prefix.utf8.first == 0x2F else {
            return .failure(ConfigValueError("'\(prefix)' is not a path (it must start with /)"))
        }
        if prefix.utf8.contains(where: isControl) {
            return .failure(ConfigValueError("the path has a control character"))
        }
        switch PathNormalizer.normalize(prefix) {
        case .failure(let error):
            return .failure(ConfigValueError("'\(prefix)': \(error.reason)"))
        case .success(let normalized):
            if normalized.path.utf8.contains(where: isControl) {
                return .failure(ConfigValueError("the path has a control character"))
            }
            return .success(PathPrefix.trimmed(normalized.path))
        }
    }

    /// True for the C0 control bytes and DEL.
    static func isControl(_ c: UInt8) -> Bool { c < 0x20 || c == 0x7F }
}
