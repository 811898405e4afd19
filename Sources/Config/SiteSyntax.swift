// The syntax of what site owners write: host names (`ServerName`, `ServerAlias`), `Header`, `Redirect`,
// `TryFiles` and `Require` arguments, checked on bytes when the configuration is read.

import HTTPCore
import Support

/// Parsers for the site directives' arguments; each throws a `DirectiveError` naming what is wrong.
enum SiteSyntax {
    /// A host name as sites are matched on: ASCII letters, digits, `-` and `.` (or a numeric IPv4 address,
    /// or an IPv6 address in brackets), lowercased, a trailing dot dropped; `*.name` when `wildcard` allows.
    /// Labels are 1 to 63 bytes, the name at most 253.
    static func hostName(_ word: String, wildcard: Bool) throws -> String {
        var bytes = Array(word.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        if bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]"),
            IPAddress.isIPv6(String(decoding: bytes.dropFirst().dropLast(), as: UTF8.self))
        {
            return String(decoding: bytes, as: UTF8.self)
        }
        if bytes.count > 1 && bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        var body = bytes[...]
        let isWildcard = bytes.starts(with: [UInt8(ascii: "*"), UInt8(ascii: ".")])
        if isWildcard {
            guard wildcard else { throw DirectiveError.value("a wildcard belongs in ServerAlias, got '\(word)'") }
            body = bytes.dropFirst(2)
        }
        let labels = body.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let valid =
            !body.isEmpty && bytes.count <= 253
            && labels.allSatisfy { label in
                !label.isEmpty && label.count <= 63
                    && label.allSatisfy { isASCIIDigit($0) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: "-") }
            }
        guard valid else {
            throw DirectiveError.value(
                "wants a host name (letters, digits, '-' and '.'\(wildcard ? ", or *.name" : "")), got '\(word)'")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Fields httpd writes itself (framing, connection management, the date): `Header` may not touch them.
    static let ownedFields = [
        "content-length", "transfer-encoding", "connection", "keep-alive", "date", "content-range", "upgrade", "trailer",
        "te",
    ]

    /// `Header [always] set|append|add|unset NAME [value]`.
    static func header(_ args: [String]) throws -> HeaderRule {
        var words = args[...]
        let always = words.first?.asciiLowercased == "always"
        if always || words.first?.asciiLowercased == "onsuccess" { words = words.dropFirst() }
        guard let actionWord = words.first, let action = HeaderRule.Action(rawValue: actionWord.asciiLowercased) else {
            throw DirectiveError.value("wants [always] set|append|add|unset NAME [value], got '\(args.joined(separator: " "))'")
        }
        words = words.dropFirst()
        guard let name = words.first else { throw DirectiveError.value("\(actionWord) wants a field name") }
        words = words.dropFirst()
        guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
            throw DirectiveError.value("'\(name)' is not a field name (a token: letters, digits, !#$%&'*+-.^_`|~)")
        }
        guard !ownedFields.contains(name.asciiLowercased) else {
            throw DirectiveError.value("\(name) is written by httpd itself and cannot be changed")
        }
        let value: String
        if action == .unset {
            guard words.isEmpty else { throw DirectiveError.value("unset takes a field name only") }
            value = ""
        } else {
            guard words.count == 1, let v = words.first else {
                throw DirectiveError.value("\(actionWord) \(name) wants one value (quote it when it has spaces)")
            }
            guard v.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else {
                throw DirectiveError.value("the value of \(name) may not hold control characters (CR, LF, NUL, …)")
            }
            value = v
        }
        return HeaderRule(action: action, always: always, name: name, value: value)
    }

    /// `Redirect [status] /old-prefix target` (Apache's mod_alias; the status also as permanent, temp, seeother).
    static func redirect(_ args: [String]) throws -> RedirectRule {
        var status = 302
        var rest = args[...]
        if args.count == 3 {
            switch args[0].asciiLowercased {
            case "permanent": status = 301
            case "temp": status = 302
            case "seeother": status = 303
            default:
                guard let code = Int(args[0]), [301, 302, 303, 307, 308].contains(code) else {
                    throw DirectiveError.value(
                        "wants a status of 301, 302, 303, 307 or 308 (or permanent, temp, seeother), got '\(args[0])'")
                }
                status = code
            }
            rest = rest.dropFirst()
        }
        let prefix = try BlockDirective.locationPrefix(rest[rest.startIndex])
        let target = rest[rest.startIndex + 1]
        let lower = target.asciiLowercased
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") || target.utf8.first == UInt8(ascii: "/") else {
            throw DirectiveError.value("wants an http:// or https:// URL or a path starting with / as the target, got '\(target)'")
        }
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw DirectiveError.value("the target may hold printable ASCII only (percent-encode the rest), got '\(target)'")
        }
        return RedirectRule(status: status, prefix: prefix, target: target)
    }

    /// `TryFiles entry... [=code]`: paths starting with `/` or `$uri` (the only variable), `=code` last.
    static func tryFiles(_ args: [String]) throws -> [TryFilesEntry] {
        var entries: [TryFilesEntry] = []
        for (i, word) in args.enumerated() {
            if word.utf8.first == UInt8(ascii: "=") {
                guard i == args.count - 1 else { throw DirectiveError.value("=\(word.dropFirst()) may only come last") }
                guard let code = Int(word.dropFirst()), (400...599).contains(code) else {
                    throw DirectiveError.value("wants =CODE with a status from 400 to 599 last, got '\(word)'")
                }
                entries.append(.status(code))
                continue
            }
            guard word.utf8.first == UInt8(ascii: "/") || word.hasPrefix("$uri") else {
                throw DirectiveError.value("wants paths starting with / or $uri, got '\(word)'")
            }
            // $uri is the only variable: any other $ is refused by name.
            let withoutURI = word.replacingAll("$uri", with: "")
            guard !withoutURI.utf8.contains(UInt8(ascii: "$")) else {
                throw DirectiveError.value("knows only the variable $uri, got '\(word)'")
            }
            guard word.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
                throw DirectiveError.value("'\(word)' holds a space or a control character")
            }
            entries.append(.file(word))
        }
        guard entries.contains(where: { if case .file = $0 { true } else { false } }) else {
            throw DirectiveError.value("wants at least one path to try")
        }
        return entries
    }

    /// `Require valid-user` or `Require user name...`.
    static func requirement(_ args: [String]) throws -> Requirement {
        switch args[0].asciiLowercased {
        case "valid-user" where args.count == 1:
            return .validUser
        case "user" where args.count > 1:
            return .users(Array(args.dropFirst()))
        default:
            throw DirectiveError.value("wants valid-user or user NAME..., got '\(args.joined(separator: " "))'")
        }
    }

    /// An RFC 9110 token byte.
    static func isTokenByte(_ b: UInt8) -> Bool {
        isASCIIDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
            || "!#$%&'*+-.^_`|~".utf8.contains(b)
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
