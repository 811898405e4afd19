// The only checks of what site owners write (ServerName, ServerAlias, Header, Redirect, TryFiles, Require), on bytes.

import HTTPCore
import Support

/// Parsers for the site directives' arguments; each throws a `DirectiveError` naming what is wrong. The
/// server takes what they return as it is: no other layer checks these values again.
public enum SiteSyntax {
    /// A `ServerName` or `ServerAlias` as stored: letters, digits, `-` and `.` (ASCII only: an international
    /// name is written in its `xn--` form), lowered; one trailing dot dropped; no empty label; at most 253
    /// bytes and 63 per label; `*.` first only for an alias (`wildcard`); an IPv6 literal with or without
    /// brackets (stored in brackets, lowered); no port.
    static func hostName(_ word: String, wildcard: Bool) throws -> String {
        let bytes = Array(word.utf8)
        if bytes.isEmpty { throw DirectiveError.value("a host name is empty") }
        if bytes.first == UInt8(ascii: "[") || bytes.filter({ $0 == UInt8(ascii: ":") }).count > 1 {
            let bracketed = bytes.first == UInt8(ascii: "[") && bytes.last == UInt8(ascii: "]")
            let inner = bracketed ? Array(bytes.dropFirst().dropLast()) : bytes
            // Only hex digits, `:` and `.` reach inet_pton (a NUL would end its C string early).
            guard inner.allSatisfy({ hexDigitValue($0) != nil || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }),
                IPAddress.isIPv6(String(decoding: inner, as: UTF8.self))
            else {
                throw DirectiveError.value("'\(word)' is not an IPv6 address")
            }
            return "[" + String(decoding: inner, as: UTF8.self).asciiLowercased + "]"
        }
        if bytes.contains(UInt8(ascii: ":")) {
            throw DirectiveError.value("'\(word)' has a port; a host name has none")
        }
        var body = bytes[...]
        var prefix = ""
        if bytes.first == UInt8(ascii: "*") {
            guard wildcard else { throw DirectiveError.value("'\(word)': a wildcard is only allowed in ServerAlias") }
            guard bytes.count > 2, bytes[1] == UInt8(ascii: ".") else {
                throw DirectiveError.value("'\(word)': a wildcard is a whole first label (*.example.org)")
            }
            body = bytes[2...]
            prefix = "*."
        }
        if body.contains(UInt8(ascii: "*")) {
            throw DirectiveError.value("'\(word)': a wildcard is a whole first label (*.example.org)")
        }
        guard body.allSatisfy({ isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) else {
            throw DirectiveError.value(
                "'\(word)' is not a host name: only letters, digits, '-' and '.' (write an international name as xn--…)")
        }
        if body.last == UInt8(ascii: ".") { body = body.dropLast() }
        if body.count + prefix.utf8.count > 253 { throw DirectiveError.value("a host name is longer than 253 bytes") }
        var labelLength = 0
        for c in body {
            if c == UInt8(ascii: ".") {
                if labelLength == 0 { throw DirectiveError.value("'\(word)' has an empty label") }
                labelLength = 0
            } else {
                labelLength += 1
                if labelLength > 63 { throw DirectiveError.value("'\(word)' has a label longer than 63 bytes") }
            }
        }
        if labelLength == 0 { throw DirectiveError.value("'\(word)' has an empty label") }
        return prefix + String(decoding: body, as: UTF8.self).asciiLowercased
    }

    /// The fields httpd writes itself or that frame the message (lowercase): `Header` may not name them, and
    /// the server ignores a rule that does. `Server` is among them: the writer adds it after the fields
    /// (`ServerTokens` sets it), so a rule could only make a second line.
    public static let ownedFields = [
        "content-length", "transfer-encoding", "connection", "keep-alive", "date", "content-range", "upgrade", "trailer",
        "te", "server",
    ]

    /// `Header [always|onsuccess] set|append|add|unset NAME [value]`: the name a token (RFC 9110 §5.6.2)
    /// that httpd does not own (`ownedFields`, any ASCII case); the value without CR, LF, NUL or other
    /// control byte (HTAB allowed; bytes above 0x7F allowed, as obs-text).
    static func header(_ args: [String]) throws -> HeaderRule {
        var words = args[...]
        let always = words.first.map { isKeyword($0, "always") } ?? false
        if always || words.first.map({ isKeyword($0, "onsuccess") }) ?? false { words = words.dropFirst() }
        let actions: [HeaderRule.Action] = [.set, .append, .add, .unset]
        guard let actionWord = words.first, let action = actions.first(where: { isKeyword(actionWord, $0.rawValue) }) else {
            throw DirectiveError.value("wants [always] set|append|add|unset NAME [value], got '\(args.joined(separator: " "))'")
        }
        words = words.dropFirst()
        guard let name = words.first else { throw DirectiveError.value("\(actionWord) wants a field name") }
        words = words.dropFirst()
        if name.isEmpty { throw DirectiveError.value("the field name is empty") }
        guard name.utf8.allSatisfy(isTokenByte) else {
            throw DirectiveError.value("'\(name)' is not a field name (letters, digits and !#$%&'*+-.^_`|~ only)")
        }
        guard !ownedFields.contains(where: { isKeyword(name, $0) }) else {
            throw DirectiveError.value("\(name) is set by httpd itself; Header cannot change it")
        }
        let value: String
        if action == .unset {
            guard words.isEmpty else { throw DirectiveError.value("unset takes a field name only") }
            value = ""
        } else {
            guard words.count == 1, let v = words.first else {
                throw DirectiveError.value("\(actionWord) \(name) wants one value (quote it when it has spaces)")
            }
            if v.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
                throw DirectiveError.value("the value of \(name) has a CR, LF or NUL")
            }
            if v.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
                throw DirectiveError.value("the value of \(name) has a control character")
            }
            value = v
        }
        return HeaderRule(action: action, always: always, name: name, value: value)
    }

    /// `Redirect [status] /prefix target` (Apache's mod_alias): the status 302 when not written; the prefix
    /// checked as a `<Location>` prefix; the target an absolute `http://` or `https://` URL with a host, or a
    /// path starting with one `/`, in URI characters only (printable ASCII, `%XX` escapes well formed),
    /// without query or fragment; a path target under the prefix is refused (it would redirect forever).
    static func redirect(_ args: [String]) throws -> RedirectRule {
        var args = args[...]
        var status = 302
        if args.count == 3 || (args.count == 2 && redirectStatus(args[args.startIndex]) != nil) {
            let word = args.removeFirst()
            guard let named = redirectStatus(word) else {
                throw DirectiveError.value(
                    "'\(word)' is not a redirect status (301, 302, 303, 307, 308, permanent, temp or seeother)")
            }
            status = named
        }
        guard args.count == 2 else { throw DirectiveError.value("wants [status] /prefix target") }
        let prefix = try BlockDirective.locationPrefix(args[args.startIndex])
        let target = args[args.index(after: args.startIndex)]
        try checkRedirectTarget(target)
        if target.utf8.first == UInt8(ascii: "/"), case .success(let path) = PathNormalizer.normalize(target),
            covers(prefix, path.path)
        {
            throw DirectiveError.value("the target \(target) is under \(prefix): it would redirect forever")
        }
        return RedirectRule(status: status, prefix: prefix, target: target)
    }

    /// The status a `Redirect` argument names: 301, 302, 303, 307 or 308, or (any ASCII case) `permanent`
    /// (301), `temp` (302), `seeother` (303); nil for anything else (`+301`, `0301`, ` 301` included).
    static func redirectStatus(_ word: String) -> Int? {
        let names = [
            ("301", 301), ("302", 302), ("303", 303), ("307", 307), ("308", 308), ("permanent", 301), ("temp", 302),
            ("seeother", 303),
        ]
        return names.first { isKeyword(word, $0.0) }?.1
    }

    /// Throws why `target` cannot be a Redirect target.
    static func checkRedirectTarget(_ target: String) throws {
        let bytes = Array(target.utf8)
        guard !bytes.isEmpty else { throw DirectiveError.value("the target is empty") }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw DirectiveError.value(
                "the target has a space, a control character or a non-ASCII byte (write them %XX-encoded)")
        }
        if let bad = bytes.first(where: { !isURIByte($0) }) {
            throw DirectiveError.value(
                "the target has '\(Character(Unicode.Scalar(bad)))', which a URL cannot hold (write it %XX-encoded)")
        }
        if bytes.contains(UInt8(ascii: "?")) || bytes.contains(UInt8(ascii: "#")) {
            throw DirectiveError.value("the target has a query or fragment ('?' or '#'); the request's query is passed on")
        }
        for (k, c) in bytes.enumerated() where c == UInt8(ascii: "%") {
            guard k + 2 < bytes.count, hexDigitValue(bytes[k + 1]) != nil, hexDigitValue(bytes[k + 2]) != nil else {
                throw DirectiveError.value("the target has a '%' that is not followed by two hex digits")
            }
        }
        if bytes.first == UInt8(ascii: "/") {
            if bytes.count > 1 && bytes[1] == UInt8(ascii: "/") {
                throw DirectiveError.value("the target \(target) starts with //, which a browser reads as another host")
            }
            return
        }
        let schemeLength: Int
        if startsWithKeyword(bytes, "https://") {
            schemeLength = 8
        } else if startsWithKeyword(bytes, "http://") {
            schemeLength = 7
        } else {
            throw DirectiveError.value(
                "the target \(target) is neither a path starting with / nor an http:// or https:// URL")
        }
        let authority = bytes[schemeLength...].prefix { $0 != UInt8(ascii: "/") }
        if authority.isEmpty || authority.contains(UInt8(ascii: "@")) {
            throw DirectiveError.value("the target \(target) has no host (or has user information)")
        }
    }

    /// A byte a URI may hold as such (RFC 3986 §2): unreserved, reserved, and `%`.
    static func isURIByte(_ c: UInt8) -> Bool {
        isASCIIAlphanumeric(c) || "-._~:/?#[]@!$&'()*+,;=%".utf8.contains(c)
    }

    /// True when `prefix` (as `BlockDirective.locationPrefix` leaves it) covers `path`, as the server decides
    /// per request (`PathPrefix.covers`): equal bytes, or the bytes of `prefix` then a `/`; `/` covers every
    /// path.
    static func covers(_ prefix: String, _ path: String) -> Bool {
        let p = prefix.utf8
        let q = path.utf8
        if p.count == 1 && p.first == UInt8(ascii: "/") { return q.first == UInt8(ascii: "/") }
        guard q.count >= p.count, q.starts(with: p) else { return false }
        return q.count == p.count || q[q.index(q.startIndex, offsetBy: p.count)] == UInt8(ascii: "/")
    }

    /// `TryFiles` arguments (nginx's try_files): at least one path template, each starting with `/` or
    /// `$uri`, with `$uri` as its only variable (any other `$name` is refused by name), no control byte,
    /// backslash, `.` or `..` segment; then optionally `=CODE` (400-599), last.
    static func tryFiles(_ args: [String]) throws -> [TryFilesEntry] {
        var entries: [TryFilesEntry] = []
        for (k, word) in args.enumerated() {
            if word.utf8.first == UInt8(ascii: "=") {
                guard k == args.count - 1 else { throw DirectiveError.value("\(word) must be the last argument") }
                guard let code = parseDecimal(word.utf8.dropFirst(), maxDigits: 3), (400...599).contains(code) else {
                    throw DirectiveError.value("'\(word)' is not an error status (=400 to =599)")
                }
                entries.append(.status(code))
            } else {
                try checkTryFilesTemplate(word)
                entries.append(.file(word))
            }
        }
        guard entries.contains(where: { if case .file = $0 { true } else { false } }) else {
            throw DirectiveError.value("wants at least one path ($uri, $uri.html, $uri/, /index.html …)")
        }
        return entries
    }

    /// Throws why `template` cannot be a TryFiles path.
    static func checkTryFilesTemplate(_ template: String) throws {
        let bytes = Array(template.utf8)
        // Every `$` starts `$uri`, not followed by a name byte (`$uri_x` is a variable of its own).
        var k = 0
        while let dollar = bytes[k...].firstIndex(of: UInt8(ascii: "$")) {
            let name = bytes[(dollar + 1)...].prefix { isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "_") }
            if name.isEmpty {
                throw DirectiveError.value("'\(template)': '$' without a variable name (only $uri exists)")
            }
            guard name.elementsEqual("uri".utf8) else {
                throw DirectiveError.value(
                    "'\(template)': unknown variable $\(String(decoding: name, as: UTF8.self)) (only $uri exists)")
            }
            k = dollar + 1 + name.count
        }
        guard bytes.first == UInt8(ascii: "/") || bytes.starts(with: "$uri".utf8) else {
            throw DirectiveError.value("'\(template)' must start with / or $uri")
        }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw DirectiveError.value("a path has a control character") }
        if bytes.contains(UInt8(ascii: "\\")) { throw DirectiveError.value("'\(template)' has a backslash") }
        let expanded = template.replacingAll("$uri", with: "/x")
        for segment in expanded.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) {
                throw DirectiveError.value("'\(template)' has a '.' or '..' segment")
            }
        }
    }

    /// `Require valid-user` or `Require user name...`.
    static func requirement(_ args: [String]) throws -> Requirement {
        if args.count == 1 && isKeyword(args[0], "valid-user") { return .validUser }
        if args.count > 1 && isKeyword(args[0], "user") { return .users(Array(args.dropFirst())) }
        throw DirectiveError.value("wants valid-user or user NAME..., got '\(args.joined(separator: " "))'")
    }

    /// An RFC 9110 token byte (tchar): ASCII letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isTokenByte(_ b: UInt8) -> Bool {
        isASCIIAlphanumeric(b) || "!#$%&'*+-.^_`|~".utf8.contains(b)
    }

    /// True for ASCII letters and digits.
    static func isASCIIAlphanumeric(_ c: UInt8) -> Bool {
        isASCIIDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A)
    }

    /// True when `word`'s bytes, with ASCII `A`-`Z` lowered, are `keyword`'s (lowercase ASCII): no Unicode
    /// case mapping or equivalence (the Kelvin sign is not `k`).
    static func isKeyword(_ word: String, _ keyword: String) -> Bool {
        word.utf8.count == keyword.utf8.count && startsWithKeyword(Array(word.utf8), keyword)
    }

    /// True when `bytes` start with `keyword` (lowercase ASCII), ASCII letter case ignored.
    static func startsWithKeyword(_ bytes: [UInt8], _ keyword: String) -> Bool {
        bytes.count >= keyword.utf8.count
            && zip(bytes, keyword.utf8).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
    }
}

extension String {
    /// The string with every `target` replaced, matched as bytes.
    func replacingAll(_ target: String, with replacement: String) -> String {
        let t = Array(target.utf8)
        var out: [UInt8] = []
        let bytes = Array(utf8)
        var i = 0
        while i < bytes.count {
            if i + t.count <= bytes.count && bytes[i..<i + t.count].elementsEqual(t) {
                out += replacement.utf8
                i += t.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
