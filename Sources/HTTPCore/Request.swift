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

/// A request head checked for meaning, ready to be routed. Immutable, and a class: the connection,
/// the route and the response decision share one instead of copying (and retaining) its strings.
public final class Request: Sendable {
    public let head: RequestHead
    public let method: HTTPMethod
    /// The path part of the target, still percent-encoded (for absolute-form, without scheme and authority).
    public let path: String
    /// The query (without '?'), or nil.
    public let query: String?
    /// True for the asterisk-form target `*` (OPTIONS only).
    public let isAsterisk: Bool
    public let isHTTP11: Bool
    /// Host (from the target in absolute-form, else the Host field), lowercased, without port; may be empty for HTTP/1.0.
    public let host: String
    /// Whether the client wants the connection kept open after this response.
    public let wantsKeepAlive: Bool
    public let body: BodyFraming
    /// `Expect: 100-continue` was sent.
    public let expectsContinue: Bool

    init(
        head: RequestHead, method: HTTPMethod, path: String, query: String?, isAsterisk: Bool, isHTTP11: Bool,
        host: String, wantsKeepAlive: Bool, body: BodyFraming, expectsContinue: Bool
    ) {
        self.head = head
        self.method = method
        self.path = path
        self.query = query
        self.isAsterisk = isAsterisk
        self.isHTTP11 = isHTTP11
        self.host = host
        self.wantsKeepAlive = wantsKeepAlive
        self.body = body
        self.expectsContinue = expectsContinue
    }

    /// Interprets a head; returns the error status to answer when it is not acceptable.
    /// Every failure here leaves the body's framing unknown, so the connection closes after the answer.
    /// The steps run in this order, and the first failure is the answer: version, target, host,
    /// body framing, expectations.
    public static func interpret(_ head: RequestHead) -> Result<Request, RequestError> {
        do throws(RequestError) {
            let isHTTP11 = try httpVersion(head)
            let method = HTTPMethod(head.method)
            let fields = SemanticFields(head)
            let target = try Self.target(head.target, method: method, methodName: head.method)
            let host = try Self.host(fields.host, count: fields.hostCount, targetHost: target.host, isHTTP11: isHTTP11)
            let body = try framing(fields, isHTTP11: isHTTP11)
            let expectsContinue = try Self.expectsContinue(fields.expect, isHTTP11: isHTTP11, body: body)
            let wantsKeepAlive = isHTTP11 ? !fields.close : (fields.keepAlive && !fields.close)
            return .success(
                Request(
                    head: head, method: method, path: target.path, query: target.query, isAsterisk: target.isAsterisk,
                    isHTTP11: isHTTP11, host: host, wantsKeepAlive: wantsKeepAlive, body: body, expectsContinue: expectsContinue))
        } catch {
            return .failure(error)
        }
    }

    /// The header fields `interpret` reads, gathered in one pass over the head.
    struct SemanticFields {
        /// Connection options (RFC 9110 §7.6.1): a comma-separated list of tokens.
        var close = false
        var keepAlive = false
        /// The first Host value, and how many Host fields there are.
        var host: String?
        var hostCount = 0
        var contentLengths: [String] = []
        var transferEncodings: [String] = []
        /// Every Expect line, joined into one list.
        var expect: String?

        init(_ head: RequestHead) {
            var expectLines: [String] = []
            for f in head.fields {
                // By length first: one comparison per field at most (this runs for every request).
                switch f.name.utf8.count {
                case 10 where f.name == "connection":
                    let options = Request.connectionOptions(f.value)
                    close = close || options.close
                    keepAlive = keepAlive || options.keepAlive
                case 4 where f.name == "host":
                    if hostCount == 0 { host = f.value }
                    hostCount += 1
                case 14 where f.name == "content-length": contentLengths.append(f.value)
                case 17 where f.name == "transfer-encoding": transferEncodings.append(f.value)
                case 6 where f.name == "expect": expectLines.append(f.value)
                default: break
                }
            }
            expect = joinFieldLines(expectLines)
        }
    }

    /// Whether a Connection value lists `close` and `keep-alive` (tokens compared as ASCII bytes, any case).
    static func connectionOptions(_ value: String) -> (close: Bool, keepAlive: Bool) {
        var value = value
        var result = (close: false, keepAlive: false)
        value.withUTF8 { bytes in
            forEachListItem(bytes) { item in
                if asciiCaseInsensitiveEqual(item, "close") {
                    result.close = true
                } else if asciiCaseInsensitiveEqual(item, "keep-alive") {
                    result.keepAlive = true
                }
            }
        }
        return result
    }

    /// The request target split into its parts (RFC 9112 §3.2).
    struct Target {
        var path: String
        var query: String?
        /// The authority of an absolute-form target.
        var host: String?
        var isAsterisk = false
    }

    /// True for HTTP/1.1 (or a later 1.x); any major version but 1 is 505.
    static func httpVersion(_ head: RequestHead) throws(RequestError) -> Bool {
        guard head.version.major == 1 else {
            throw RequestError(.httpVersionNotSupported, "HTTP/\(head.version.major).\(head.version.minor) is not supported")
        }
        return head.version.minor >= 1
    }

    /// The target's path, query and authority by its form (RFC 9112 §3.2); 400 for a form the method may not use.
    static func target(_ target: String, method: HTTPMethod, methodName: String) throws(RequestError) -> Target {
        // One pass over the bytes (this runs for every request): '#' anywhere, where '?' is, the first byte.
        var copy = target
        let (hasFragment, question, first) = copy.withUTF8 { b -> (Bool, Int?, UInt8?) in
            var question: Int?
            for (i, c) in b.enumerated() {
                if c == 0x23 { return (true, nil, b.first) }
                if c == 0x3F && question == nil { question = i }
            }
            return (false, question, b.first)
        }
        // No form of request-target has a fragment (RFC 9112 §3.2): a '#' is never sent, only typed.
        if hasFragment { throw RequestError(.badRequest, "fragment in request target") }
        if first == 0x2F {
            guard let q = question else { return Target(path: target) }
            let utf8 = target.utf8
            let at = utf8.index(utf8.startIndex, offsetBy: q)
            return Target(path: String(target[..<at]), query: String(target[utf8.index(after: at)...]))
        }
        var t: Target
        if target.hasPrefix("/") {
            t = Target(path: target)
        } else if target == "*" {
            guard method == .options else { throw RequestError(.badRequest, "asterisk-form target with \(methodName)") }
            t = Target(path: "*", isAsterisk: true)
        } else if method == .connect {
            // authority-form (RFC 9112 §3.2.3): only CONNECT uses it, and it gets 405 here.
            t = Target(path: "*")
        } else if let (authority, rest) = splitAbsoluteForm(target) {
            t = Target(path: rest.isEmpty ? "/" : rest, host: authority)
        } else {
            throw RequestError(.badRequest, "invalid request target")
        }
        // A byte-level split (this runs for every request): '?' starts the query.
        if let q = t.path.utf8.firstIndex(of: UInt8(ascii: "?")) {
            t.query = String(t.path[t.path.utf8.index(after: q)...])
            t.path = String(t.path[..<q])
        }
        return t
    }

    /// The host the request names (RFC 9112 §3.2): exactly one Host field in HTTP/1.1, valid syntax in
    /// any version; an absolute-form target's authority wins over the field.
    static func host(_ field: String?, count: Int, targetHost: String?, isHTTP11: Bool) throws(RequestError) -> String {
        if count > 1 { throw RequestError(.badRequest, "more than one Host field") }
        if isHTTP11 && count == 0 { throw RequestError(.badRequest, "HTTP/1.1 request without Host") }
        var host = ""
        if let h = field {
            // An empty Host is valid (RFC 9110 §7.2); an invalid one is not.
            guard let parsed = parseHost(h) else { throw RequestError(.badRequest, "invalid Host '\(h)'") }
            host = parsed
        }
        if let t = targetHost {
            guard let parsed = parseHost(t), !parsed.isEmpty else {
                throw RequestError(.badRequest, "invalid authority in request target")
            }
            host = parsed
        }
        return host
    }

    /// How the body is delimited (RFC 9112 §6.1-§6.3); any doubt is an error, which closes the connection.
    static func framing(_ fields: SemanticFields, isHTTP11: Bool) throws(RequestError) -> BodyFraming {
        if !fields.transferEncodings.isEmpty {
            if !fields.contentLengths.isEmpty { throw RequestError(.badRequest, "both Content-Length and Transfer-Encoding") }
            if !isHTTP11 { throw RequestError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request") }
            let codings = (joinFieldLines(fields.transferEncodings) ?? "").split(separator: ",").map {
                $0.trimmingWhitespace().lowercased()
            }
            guard codings.last == "chunked" else { throw RequestError(.badRequest, "Transfer-Encoding does not end in chunked") }
            guard codings.count == 1 else { throw RequestError(.notImplemented, "unsupported transfer coding '\(codings[0])'") }
            return .chunked
        }
        if !fields.contentLengths.isEmpty {
            guard fields.contentLengths.count == 1, let n = parseContentLength(fields.contentLengths[0]) else {
                throw RequestError(.badRequest, "invalid or repeated Content-Length")
            }
            if n > 0 { return .length(n) }
        }
        return .none
    }

    /// Whether to send 100 Continue: every expectation listed, on any number of lines, must be
    /// `100-continue` (else 417); it is met only for an HTTP/1.1 request with a body.
    static func expectsContinue(_ expect: String?, isHTTP11: Bool, body: BodyFraming) throws(RequestError) -> Bool {
        guard let e = expect else { return false }
        let items = e.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
        guard !items.isEmpty, items.allSatisfy({ $0 == "100-continue" }) else {
            throw RequestError(.expectationFailed, "unsupported expectation '\(e)'")
        }
        return isHTTP11 && body != .none
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
        var value = value
        return value.withUTF8 { parseHost(bytes: $0) }
    }

    /// `parseHost` on the value's bytes (every decision is on bytes; a valid host is ASCII).
    static func parseHost(bytes b: UnsafeBufferPointer<UInt8>) -> String? {
        var hostEnd = b.count
        var portStart = b.count
        let isLiteral = b.first == 0x5B
        if isLiteral {
            guard let close = b.firstIndex(of: 0x5D) else { return nil }
            if close + 1 < b.count {
                guard b[close + 1] == 0x3A else { return nil }
                portStart = close + 2
            }
            let literal = b[1..<close]
            guard !literal.isEmpty, literal.allSatisfy({ hexDigitValue($0) != nil || $0 == 0x3A || $0 == 0x2E }) else {
                return nil
            }
            hostEnd = close + 1
        } else if let colon = b.firstIndex(of: 0x3A) {
            hostEnd = colon
            portStart = colon + 1
        }
        // port = *DIGIT (RFC 3986 §3.2.3): empty, or at most 5 digits.
        let port = b[portStart..<b.count]
        guard port.isEmpty || parseDecimal(port, maxDigits: 5) != nil else { return nil }
        // reg-name: unreserved / pct-encoded / sub-delims; '[' only in IP literals.
        let host = UnsafeBufferPointer(rebasing: b[0..<hostEnd])
        var hasUpper = false
        for c in host {
            guard isHostChar(c) || (isLiteral && (c == 0x5B || c == 0x5D || c == 0x3A)) else { return nil }
            if c >= 0x41 && c <= 0x5A { hasUpper = true }
        }
        guard hasUpper else { return String(decoding: host, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: host.count) { out in
            for (k, c) in host.enumerated() { out[k] = c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
            return host.count
        }
    }

    @inline(__always) static func isHostChar(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        // - . _ ~ % ! $ & ' ( ) * + , ; =
        case 0x2D, 0x2E, 0x5F, 0x7E, 0x25, 0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x3B, 0x3D: true
        default: false
        }
    }

    /// 1*DIGIT, at most 18 digits so it fits an Int (RFC 9110 §8.6).
    static func parseContentLength(_ value: String) -> Int? {
        parseDecimal(value.utf8, maxDigits: 18)
    }
}
