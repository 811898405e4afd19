// What a parsed head means: method, target, keep-alive, body framing, expectations.
// Semantic checks (RFC 9110/9112) that the byte parser leaves out happen here, as a pure function.
import Support

/// Request methods httpd knows; anything else is `.other` and gets 501.
public enum HTTPMethod: Sendable, Equatable {
    case get, head, options, post, put, delete, patch, connect, trace
    case other(String)

    public init(_ name: String) {
        switch name {
        case "GET": self = .get
        case "HEAD": self = .head
        case "OPTIONS": self = .options
        case "POST": self = .post
        case "PUT": self = .put
        case "DELETE": self = .delete
        case "PATCH": self = .patch
        case "CONNECT": self = .connect
        case "TRACE": self = .trace
        default: self = .other(name)
        }
    }

    /// Methods this server implements for static resources.
    public var isServed: Bool { self == .get || self == .head || self == .options }
}

/// How the request body is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    case none
    case length(Int)
    case chunked
}

/// A request head checked for meaning, ready to be routed.
public struct Request: Sendable {
    public var head: RequestHead
    public var method: HTTPMethod
    /// The path part of the target, still percent-encoded (for absolute-form, without scheme and authority).
    public var path: String
    /// The query (without '?'), or nil.
    public var query: String?
    /// True for the asterisk-form target `*` (OPTIONS only).
    public var isAsterisk: Bool
    public var isHTTP11: Bool
    /// Host (from the target in absolute-form, else the Host field), lowercased, without port; may be empty for HTTP/1.0.
    public var host: String
    /// Whether the client wants the connection kept open after this response.
    public var wantsKeepAlive: Bool
    public var body: BodyFraming
    /// `Expect: 100-continue` was sent.
    public var expectsContinue: Bool

    /// Interprets a head; returns the error status to answer when it is not acceptable.
    /// Every failure here leaves the body's framing unknown, so the connection closes after the answer.
    public static func interpret(_ head: RequestHead) -> Result<Request, RequestError> {
        if head.version.major != 1 {
            return .failure(
                RequestError(.httpVersionNotSupported, "HTTP/\(head.version.major).\(head.version.minor) is not supported"))
        }
        let isHTTP11 = head.version.minor >= 1
        let method = HTTPMethod(head.method)

        // Connection options (RFC 9110 §7.6.1): a comma-separated list of tokens.
        var close = false
        var keepAlive = false
        var hostValues: [String] = []
        var contentLengths: [String] = []
        var transferEncodings: [String] = []
        var expect: String?
        for f in head.fields {
            switch f.name {
            case "connection":
                for token in f.value.split(separator: ",") {
                    let t = token.trimmingWhitespace().lowercased()
                    if t == "close" { close = true } else if t == "keep-alive" { keepAlive = true }
                }
            case "host": hostValues.append(f.value)
            case "content-length": contentLengths.append(f.value)
            case "transfer-encoding": transferEncodings.append(f.value)
            case "expect": expect = expect.map { $0 + ", " + f.value } ?? f.value
            default: break
            }
        }

        // Target forms (RFC 9112 §3.2).
        var path: String
        var query: String?
        var targetHost: String?
        var isAsterisk = false
        let target = head.target
        if target.hasPrefix("/") {
            path = target
        } else if target == "*" {
            guard method == .options else {
                return .failure(RequestError(.badRequest, "asterisk-form target with \(head.method)"))
            }
            isAsterisk = true
            path = "*"
        } else if method == .connect {
            // authority-form (RFC 9112 §3.2.3): only CONNECT uses it, and it gets 405 here.
            path = "*"
        } else if let (authority, rest) = Self.splitAbsoluteForm(target) {
            targetHost = authority
            path = rest.isEmpty ? "/" : rest
        } else {
            return .failure(RequestError(.badRequest, "invalid request target"))
        }
        // Byte-level splits (this runs for every request): '?' starts the query, '#' a fragment.
        if let q = path.utf8.firstIndex(of: UInt8(ascii: "?")) {
            query = String(path[path.utf8.index(after: q)...])
            path = String(path[..<q])
        }
        if let hash = path.utf8.firstIndex(of: UInt8(ascii: "#")) {
            path = String(path[..<hash])
        }

        // Host (RFC 9112 §3.2): exactly one in HTTP/1.1, valid syntax in any version.
        if hostValues.count > 1 { return .failure(RequestError(.badRequest, "more than one Host field")) }
        if isHTTP11 && hostValues.isEmpty { return .failure(RequestError(.badRequest, "HTTP/1.1 request without Host")) }
        var host = ""
        if let h = hostValues.first {
            // An empty Host is valid (RFC 9110 §7.2); an invalid one is not.
            guard let parsed = Self.parseHost(h) else {
                return .failure(RequestError(.badRequest, "invalid Host '\(h)'"))
            }
            host = parsed
        }
        if let t = targetHost {
            guard let parsed = Self.parseHost(t), !parsed.isEmpty else {
                return .failure(RequestError(.badRequest, "invalid authority in request target"))
            }
            host = parsed
        }

        // Body framing (RFC 9112 §6.1-§6.3); any doubt closes the connection.
        var body = BodyFraming.none
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty { return .failure(RequestError(.badRequest, "both Content-Length and Transfer-Encoding")) }
            if !isHTTP11 { return .failure(RequestError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request")) }
            let codings = transferEncodings.joined(separator: ",").split(separator: ",").map {
                $0.trimmingWhitespace().lowercased()
            }
            guard codings.last == "chunked" else {
                return .failure(RequestError(.badRequest, "Transfer-Encoding does not end in chunked"))
            }
            guard codings.count == 1 else {
                return .failure(RequestError(.notImplemented, "unsupported transfer coding '\(codings[0])'"))
            }
            body = .chunked
        } else if !contentLengths.isEmpty {
            guard contentLengths.count == 1, let n = Self.parseContentLength(contentLengths[0]) else {
                return .failure(RequestError(.badRequest, "invalid or repeated Content-Length"))
            }
            if n > 0 { body = .length(n) }
        }

        var expectsContinue = false
        if let e = expect {
            // Every expectation listed, on any number of lines, must be one we meet.
            let items = e.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
            guard !items.isEmpty, items.allSatisfy({ $0 == "100-continue" }) else {
                return .failure(RequestError(.expectationFailed, "unsupported expectation '\(e)'"))
            }
            expectsContinue = isHTTP11 && body != .none
        }

        let wantsKeepAlive = isHTTP11 ? !close : (keepAlive && !close)
        return .success(
            Request(
                head: head, method: method, path: path, query: query, isAsterisk: isAsterisk, isHTTP11: isHTTP11,
                host: host, wantsKeepAlive: wantsKeepAlive, body: body, expectsContinue: expectsContinue))
    }

    /// `http://authority/path` → (authority, path); nil when not absolute-form with http(s).
    static func splitAbsoluteForm(_ target: String) -> (String, String)? {
        let lower = target.prefix(8).lowercased()
        let schemeLength: Int
        if lower.hasPrefix("http://") {
            schemeLength = 7
        } else if lower.hasPrefix("https://") {
            schemeLength = 8
        } else {
            return nil
        }
        let rest = target.dropFirst(schemeLength)
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<slash])
        if authority.isEmpty || authority.contains("@") { return nil }
        var path = String(rest[slash...])
        if path.hasPrefix("?") { path = "/" + path }
        return (authority, path)
    }

    /// A Host value → lowercased host without port; nil when it is not `host[:port]` (RFC 3986 §3.2.2).
    static func parseHost(_ value: String) -> String? {
        var host = Substring(value)
        var port: Substring = ""
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                port = after.dropFirst()
            }
            let literal = host[host.index(after: host.startIndex)..<close]
            guard !literal.isEmpty, literal.utf8.allSatisfy({ isHexDigit($0) || $0 == 0x3A || $0 == 0x2E }) else { return nil }
            host = host[...close]
        } else if let colon = host.firstIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), port.utf8.count <= 5 else { return nil }
        // reg-name: unreserved / pct-encoded / sub-delims; '[' only in IP literals.
        for c in host.utf8 where !(isHostChar(c) || (host.hasPrefix("[") && (c == 0x5B || c == 0x5D || c == 0x3A))) {
            return nil
        }
        return host.lowercased()
    }

    static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }

    static func isHostChar(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            || "-._~%!$&'()*+,;=".utf8.contains(c)
    }

    /// 1*DIGIT, at most 18 digits so it fits an Int (RFC 9110 §8.6).
    static func parseContentLength(_ value: String) -> Int? {
        guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(value)
    }
}

