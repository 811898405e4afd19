// `Redirect [status] /old-prefix target` (mod_alias): which rule covers a request path, the Location it
// sends (the rest of the path, re-encoded, and the query appended), its 3xx response, and the rule's check.

public import Config
public import HTTPCore
import Support

/// Redirect rules, evaluated before the file system.
public enum Redirects {
    /// The first rule (in order) whose prefix covers `path` (decoded and normalized; covering as for
    /// `<Location>`: `/old` and `/old/` cover `/old` and `/old/x`, not `/older`), with its status and
    /// Location; nil when none does. `query` is the request's, as received (without `?`).
    public static func match(_ rules: [RedirectRule], path: String, query: String?) -> (status: Int, location: String)? {
        for rule in rules {
            let prefix = PathPrefix.trimmed(rule.prefix)
            guard PathPrefix.covers(prefix, path) else { continue }
            let rest = PathPrefix.rest(after: prefix, in: path)
            return (rule.status, location(target: rule.target, rest: rest, query: query))
        }
        return nil
    }

    /// `target`, then `rest` (from its `/` on, percent-encoded except for pchar and `/`, so that a decoded
    /// space, `?`, `#` or `%` stays in the path), then `?query` when the query is not empty. A target
    /// ending in `/` and a rest starting with `/` share one slash (`https://new.example/` and `/x` give
    /// `https://new.example/x`, not `//x`).
    static func location(target: String, rest: String, query: String?) -> String {
        var out = target
        if !rest.isEmpty {
            var encoded = PathNormalizer.encode(rest)
            if target.utf8.last == 0x2F && encoded.utf8.first == 0x2F {
                encoded = String(decoding: encoded.utf8.dropFirst(), as: UTF8.self)
            }
            out += encoded
        }
        if let query, !query.isEmpty {
            out += "?"
            out += encodeQuery(query)
        }
        return out
    }

    /// The query as received, except that what cannot stand in a header as sent is `%XX`-encoded: a
    /// character U+0080-U+00FF (the parser's ISO-8859-1 reading of one byte) as that byte, any other
    /// non-ASCII character as its UTF-8 bytes, and controls, space and `#`.
    static func encodeQuery(_ query: String) -> String {
        if query.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x23 }) { return query }
        var bytes: [UInt8] = []
        for scalar in query.unicodeScalars {
            if scalar.value <= 0xFF {
                bytes.append(UInt8(scalar.value))
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        return percentEncode(bytes) { $0 > 0x20 && $0 < 0x7F && $0 != 0x23 }
    }

    /// The redirect: `status` with `Location`, and a short HTML page linking to it (its body not sent
    /// for HEAD). The connection stays usable.
    public static func response(status: Int, location: String, isHead: Bool) -> Response {
        let title = "\(status) \(reason(status))"
        let link = HTMLEscape.escape(location)
        let html =
            "<!DOCTYPE html>\n<html><head><title>\(title)</title></head>\n"
            + "<body><h1>\(reason(status))</h1><p><a href=\"\(link)\">\(link)</a></p></body></html>\n"
        return Response(
            status: HTTPStatus(status), headers: [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
            body: [.bytes(Array(html.utf8))], sendsBody: !isHead)
    }

    /// The reason phrase of a redirect status (RFC 9110 §15.4).
    static func reason(_ status: Int) -> String {
        switch status {
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        default: HTTPStatus(status).reason
        }
    }

    /// The status a `Redirect` argument names: 301, 302, 303, 307 or 308, or (any ASCII case) `permanent`
    /// (301), `temp` (302), `seeother` (303); nil for anything else.
    static func status(named word: String) -> Int? {
        switch lowercasedASCII(word) {
        case "301", "permanent": 301
        case "302", "temp": 302
        case "303", "seeother": 303
        case "307": 307
        case "308": 308
        default: nil
        }
    }

    /// A `Redirect` line's arguments as a rule, or why they are refused: `[status] /prefix target`, the
    /// status 302 when not written; the prefix checked as a `<Location>` prefix; the target an absolute
    /// `http://` or `https://` URL with a host, or a path starting with one `/`, in URI characters only
    /// (printable ASCII, `%XX` escapes well formed), without query or fragment; a path target under the
    /// prefix is refused (it would redirect forever).
    public static func parse(args: [String]) -> Result<RedirectRule, ConfigValueError> {
        var args = args[...]
        var code = 302
        if args.count == 3 || (args.count == 2 && status(named: args[args.startIndex]) != nil) {
            let word = args.removeFirst()
            guard let named = status(named: word) else {
                return .failure(
                    ConfigValueError(
                        "'\(word)' is not a redirect status (301, 302, 303, 307, 308, permanent, temp or seeother)"))
            }
            code = named
        }
        guard args.count == 2 else {
            return .failure(ConfigValueError("wants [status] /prefix target"))
        }
        let prefix: String
        switch LocationMatcher.parsePrefix(args[args.startIndex]) {
        case .failure(let error): return .failure(error)
        case .success(let p): prefix = p
        }
        let target = args[args.index(after: args.startIndex)]
        if let problem = targetProblem(target) { return .failure(ConfigValueError(problem)) }
        if target.utf8.first == 0x2F, case .success(let path) = PathNormalizer.normalize(target),
            PathPrefix.covers(prefix, path.path)
        {
            return .failure(ConfigValueError("the target \(target) is under \(prefix): it would redirect forever"))
        }
        return .success(RedirectRule(status: code, prefix: prefix, target: target))
    }

    /// Why `target` cannot be a Redirect target, or nil.
    static func targetProblem(_ target: String) -> String? {
        let bytes = Array(target.utf8)
        guard !bytes.isEmpty else { return "the target is empty" }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return "the target has a space, a control character or a non-ASCII byte (write them %XX-encoded)"
        }
        if let bad = bytes.first(where: { !isURIByte($0) }) {
            return "the target has '\(Character(Unicode.Scalar(bad)))', which a URL cannot hold (write it %XX-encoded)"
        }
        if bytes.contains(0x3F) || bytes.contains(0x23) {
            return "the target has a query or fragment ('?' or '#'); the request's query is passed on"
        }
        for (k, c) in bytes.enumerated() where c == 0x25 {
            guard k + 2 < bytes.count, hexDigitValue(bytes[k + 1]) != nil, hexDigitValue(bytes[k + 2]) != nil else {
                return "the target has a '%' that is not followed by two hex digits"
            }
        }
        if bytes.first == 0x2F {
            if bytes.count > 1 && bytes[1] == 0x2F {
                return "the target \(target) starts with //, which a browser reads as another host"
            }
            return nil
        }
        let lower = lowercasedASCII(target).utf8
        let schemeLength: Int
        if lower.starts(with: "https://".utf8) {
            schemeLength = 8
        } else if lower.starts(with: "http://".utf8) {
            schemeLength = 7
        } else {
            return "the target \(target) is neither a path starting with / nor an http:// or https:// URL"
        }
        let authority = bytes[schemeLength...].prefix { $0 != 0x2F }
        if authority.isEmpty || authority.contains(0x40) {
            return "the target \(target) has no host (or has user information)"
        }
        return nil
    }

    /// A byte a URI may hold as such (RFC 3986 §2): unreserved, reserved, and `%`.
    static func isURIByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        // - . _ ~ : / ? # [ ] @ ! $ & ' ( ) * + , ; = %
        case 0x2D, 0x2E, 0x5F, 0x7E, 0x3A, 0x2F, 0x3F, 0x23, 0x5B, 0x5D, 0x40, 0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2A,
            0x2B, 0x2C, 0x3B, 0x3D, 0x25:
            true
        default: false
        }
    }
}
