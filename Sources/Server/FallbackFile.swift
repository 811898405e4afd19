// `FallbackFile /index.html` for single-page apps: whether a request that matched no file gets that file
// (200) instead of 404. Pure: method, path and the Accept field decide.

public import HTTPCore
import Support

extension TryFiles {
    /// True when the fallback file answers: a GET or HEAD whose last path segment has no extension (no `.`
    /// after its first byte: `/app/users` and `/.env` yes, `/app.js` and `/file.` no) and that accepts HTML
    /// (`acceptsHTML`).
    public static func fallbackApplies(method: HTTPMethod, path: String, accept: String?) -> Bool {
        guard method == .get || method == .head else { return false }
        let bytes = path.utf8
        let name = bytes.lastIndex(of: 0x2F).map { bytes[bytes.index(after: $0)...] } ?? bytes[...]
        if name.dropFirst().contains(0x2E) { return false }
        guard let accept else { return true }
        return acceptsHTML(accept)
    }

    /// Whether an Accept value (RFC 9110 §12.5.1) gives `text/html` a quality above 0: the most specific
    /// range naming it (`text/html`, else `text/*`, else `*/*`; types in any ASCII case, parameters other
    /// than `q` ignored) decides; of equally specific ones the first. An empty value counts as absent (yes).
    static func acceptsHTML(_ accept: String) -> Bool {
        var accept = accept
        // 3: text/html, 2: text/*, 1: */*, 0: none yet.
        var specificity = 0
        var accepted = false
        var items = 0
        accept.withUTF8 { bytes in
            forEachListItem(bytes) { item in
                items += 1
                let semicolon = item.firstIndex(of: 0x3B) ?? item.count
                let range = trimmed(UnsafeBufferPointer(rebasing: item[0..<semicolon]))
                let level: Int
                if asciiCaseInsensitiveEqual(range, "text/html") {
                    level = 3
                } else if asciiCaseInsensitiveEqual(range, "text/*") {
                    level = 2
                } else if asciiCaseInsensitiveEqual(range, "*/*") {
                    level = 1
                } else {
                    return
                }
                guard level > specificity else { return }
                specificity = level
                accepted = !hasZeroQuality(UnsafeBufferPointer(rebasing: item[semicolon..<item.count]))
            }
        }
        return items == 0 || accepted
    }

    /// True when the parameters (`;q=0;level=1`, starting at the first `;`) hold `q=0`, `q=0.`, `q=0.0`…
    /// `q=0.000` (the name in any case, spaces around `;` and `=` allowed).
    static func hasZeroQuality(_ parameters: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        while start < parameters.count {
            var end = start + 1
            while end < parameters.count && parameters[end] != 0x3B { end += 1 }
            let parameter = parameters[(start + 1)..<end]
            if let equals = parameter.firstIndex(of: 0x3D) {
                let name = trimmed(UnsafeBufferPointer(rebasing: parameters[parameter.startIndex..<equals]))
                let value = trimmed(UnsafeBufferPointer(rebasing: parameters[(equals + 1)..<parameter.endIndex]))
                if asciiCaseInsensitiveEqual(name, "q") {
                    return isZeroQValue(value)
                }
            }
            start = end
        }
        return false
    }

    /// True for the qvalues equal to 0 (RFC 9110 §12.4.2): `0`, `0.`, and `0.` with up to three zeros.
    static func isZeroQValue(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.first == 0x30, value.count <= 5 else { return false }
        if value.count == 1 { return true }
        return value[1] == 0x2E && value.dropFirst(2).allSatisfy { $0 == 0x30 }
    }

    /// `bytes` without leading and trailing spaces and tabs.
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var a = 0
        var b = bytes.count
        while a < b && (bytes[a] == 0x20 || bytes[a] == 0x09) { a += 1 }
        while b > a && (bytes[b - 1] == 0x20 || bytes[b - 1] == 0x09) { b -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[a..<b])
    }
}
