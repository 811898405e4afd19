// `Redirect [status] /old-prefix target` (mod_alias): which rule covers a request path, the Location it
// sends (the rest of the path, re-encoded, and the query appended), its 3xx response. (SiteSyntax checks rules.)

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
}
