// A resumable byte-level parser for HTTP/1.1 request heads (RFC 9112 §2-§5), in nginx's manner:
// it scans each byte once, remembers its state between reads, and checks limits as bytes arrive.

import Support

/// Limits checked while a head arrives.
public struct HeadLimits: Sendable {
    /// Longest request line (without CRLF); longer is 414.
    public var requestLine: Int
    /// Longest header field line (without CRLF); longer is 431.
    public var fieldLine: Int
    /// Most header fields; more is 431.
    public var fieldCount: Int
    /// Most bytes in a whole head, from its first byte to the blank line that ends it (inclusive); more is 431.
    public var headSize: Int

    public init(requestLine: Int = 8190, fieldLine: Int = 8190, fieldCount: Int = 100, headSize: Int = 32768) {
        self.requestLine = requestLine
        self.fieldLine = fieldLine
        self.fieldCount = fieldCount
        self.headSize = headSize
    }
}

/// Why a request was refused: the status to answer, a short reason for the log, and any header
/// fields the error response must carry (`Allow` on 405, `Content-Range` on 416).
public struct RequestError: Error, Sendable, Equatable {
    public var status: HTTPStatus
    public var reason: String
    public var headers: [(String, String)]

    public init(_ status: HTTPStatus, _ reason: String, headers: [(String, String)] = []) {
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    public static func == (a: RequestError, b: RequestError) -> Bool {
        a.status == b.status && a.reason == b.reason && a.headers.elementsEqual(b.headers, by: { $0 == $1 })
    }
}

/// The result of feeding bytes to the parser.
public enum ParseResult: Equatable {
    /// A whole head was read; `consumed` bytes of the buffer belong to it.
    case complete(RequestHead, consumed: Int)
    /// The head is not complete yet; call again with the same bytes plus more.
    case needMore
    /// The bytes can never form a valid head.
    case invalid(RequestError)
}

/// One header field line: lowercase name, value without surrounding whitespace.
public struct HeaderField: Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A syntactically valid request head, as it arrived (names lowercased, values trimmed).
/// Target and values are decoded byte for byte (ISO-8859-1): `latin1Bytes` gives the bytes back.
public struct RequestHead: Sendable, Equatable {
    public var method: String
    public var target: String
    /// HTTP version digits, e.g. (1, 1).
    public var version: (major: Int, minor: Int)
    /// Header fields in arrival order; names in lowercase, values without surrounding whitespace.
    public var fields: [HeaderField] {
        didSet { names = Self.summary(fields) }
    }
    /// One bit per field name present (by `summaryBit`): most lookups of an absent field end here.
    var names: UInt64

    public init(method: String, target: String, version: (Int, Int), fields: [HeaderField]) {
        self.method = method
        self.target = target
        self.version = version
        self.fields = fields
        self.names = Self.summary(fields)
    }

    public init(method: String, target: String, version: (Int, Int), fields: [(name: String, value: String)]) {
        self.init(
            method: method, target: target, version: version, fields: fields.map { HeaderField(name: $0.name, value: $0.value) })
    }

    /// The first value of field `name` (lowercase).
    public func field(_ name: String) -> String? {
        guard names & Self.summaryBit(name) != 0 else { return nil }
        for f in fields where sameBytes(f.name, name) { return f.value }
        return nil
    }

    /// Every value of field `name` (lowercase), in order.
    public func fieldValues(_ name: String) -> [String] {
        guard names & Self.summaryBit(name) != 0 else { return [] }
        return fields.filter { sameBytes($0.name, name) }.map(\.value)
    }

    /// False when no field named `name` (lowercase) can be in the head (a one-word test; true may still
    /// find none).
    @inline(__always) public func mayHave(_ name: String) -> Bool { names & Self.summaryBit(name) != 0 }

    /// A bit chosen by a name's length (names that share a bit are told apart by comparing).
    @inline(__always) static func summaryBit(_ name: String) -> UInt64 {
        1 &<< UInt64(name.utf8.count & 63)
    }

    static func summary(_ fields: [HeaderField]) -> UInt64 {
        fields.reduce(0) { $0 | summaryBit($1.name) }
    }

    public static func == (a: RequestHead, b: RequestHead) -> Bool {
        a.method == b.method && a.target == b.target && a.version == b.version
            && a.fields.elementsEqual(b.fields, by: { $0.name == $1.name && $0.value == $1.value })
    }
}

/// Parses one request head at a time; keep feeding it the same growing buffer until it answers.
///
/// The buffer passed to `parse` must start at the first byte of this request and only grow between
/// calls (bytes already seen must not change); offsets into it are kept between calls.
public struct RequestParser {
    enum State {
        case start, method, target, version, requestLineCR
        case fieldStart, fieldName, fieldValueStart, fieldValue, fieldCR, headCR
    }

    public let limits: HeadLimits
    var state: State = .start
    var position = 0
    var lineStart = 0
    var methodStart = 0
    var methodEnd = 0
    var targetStart = 0
    var targetEnd = 0
    var versionStart = 0
    var versionEnd = 0
    var nameStart = 0
    var nameEnd = 0
    var valueStart = 0
    var valueEnd = 0
    var fieldRanges: [(Range<Int>, Range<Int>)] = []

    public init(limits: HeadLimits = HeadLimits()) {
        self.limits = limits
    }

    /// Forgets the current request; the next `parse` starts a new head at offset 0.
    public mutating func reset() {
        state = .start
        position = 0
        lineStart = 0
        // The field offsets' storage is kept for the next head on this connection.
        fieldRanges.removeAll(keepingCapacity: true)
    }

    /// True when no byte of a request (other than leading empty lines) has been seen yet.
    public var isIdle: Bool { state == .start }

    /// True when the parser has seen no byte at all (not even an empty line): `parse` starts at offset 0.
    public var isPristine: Bool { state == .start && position == 0 }

    /// Scans the bytes not seen yet and reports whether the head is complete; never looks past
    /// `limits.headSize` bytes, so a caller that stops reading there holds at most that much per head.
    public mutating func parse(_ buffer: UnsafeRawBufferPointer) -> ParseResult {
        let bytes = buffer.bindMemory(to: UInt8.self)
        var i = position
        // The head-size limit bounds the scan itself: no per-byte check on the hot path.
        let end = min(bytes.count, limits.headSize)
        defer { position = i }
        while i < end {
            let c = bytes[i]
            switch state {
            case .start:
                // RFC 9112 §2.2: ignore empty lines before the request line.
                if c == 0x0D || c == 0x0A {
                    // A CR that ends this read is looked at again with the next byte, which decides.
                    if c == 0x0D && i + 1 == end { return .needMore }
                    if c == 0x0D && bytes[i + 1] != 0x0A { return .invalid(RequestError(.badRequest, "bare CR")) }
                    i += 1
                    lineStart = i
                    if i > 8 { return .invalid(RequestError(.badRequest, "too many empty lines before the request")) }
                    continue
                }
                guard Self.isTokenChar(c) else { return .invalid(RequestError(.badRequest, "invalid method")) }
                lineStart = i
                methodStart = i
                state = .method
            case .method:
                if c == 0x20 {
                    methodEnd = i
                    targetStart = i + 1
                    state = .target
                } else if !Self.isTokenChar(c) {
                    return .invalid(RequestError(.badRequest, "invalid method"))
                }
            case .target:
                if c > 0x20 && c != 0x7F {
                    // The target's bytes are taken as one run (its limit checked once for the run).
                    i += 1
                    while i < end && bytes[i] > 0x20 && bytes[i] != 0x7F { i += 1 }
                    if i - lineStart > limits.requestLine {
                        return .invalid(RequestError(.uriTooLong, "request line longer than \(limits.requestLine) bytes"))
                    }
                    continue
                }
                if c == 0x20 {
                    if i == targetStart { return .invalid(RequestError(.badRequest, "empty request target")) }
                    targetEnd = i
                    versionStart = i + 1
                    state = .version
                } else if c <= 0x20 || c == 0x7F {
                    return .invalid(
                        RequestError(
                            .badRequest,
                            c == 0x0D || c == 0x0A ? "request line without HTTP version" : "invalid character in request target"))
                }
            case .version:
                if c == 0x0D {
                    versionEnd = i
                    state = .requestLineCR
                } else if c == 0x0A {
                    versionEnd = i
                    if let error = endOfRequestLine(bytes) { return .invalid(error) }
                } else if c <= 0x20 || c >= 0x7F {
                    return .invalid(RequestError(.badRequest, "malformed request line"))
                }
            case .requestLineCR:
                guard c == 0x0A else { return .invalid(RequestError(.badRequest, "bare CR")) }
                if let error = endOfRequestLine(bytes) { return .invalid(error) }
            case .fieldStart:
                if c == 0x0D {
                    state = .headCR
                } else if c == 0x0A {
                    i += 1
                    return complete(bytes, consumed: i)
                } else if c == 0x20 || c == 0x09 {
                    return .invalid(
                        RequestError(
                            .badRequest,
                            fieldRanges.isEmpty ? "whitespace before the first header field" : "obsolete line folding"))
                } else if Self.isTokenChar(c) {
                    if fieldRanges.count >= limits.fieldCount {
                        return .invalid(
                            RequestError(.requestHeaderFieldsTooLarge, "more than \(limits.fieldCount) header fields"))
                    }
                    lineStart = i
                    nameStart = i
                    state = .fieldName
                } else {
                    return .invalid(
                        RequestError(
                            .badRequest, c == 0x3A ? "empty header field name" : "invalid character in header field name"))
                }
            case .fieldName:
                if Self.isTokenChar(c) {
                    i += 1
                    while i < end && Self.isTokenChar(bytes[i]) { i += 1 }
                    if i - lineStart > limits.fieldLine { return .invalid(Self.fieldTooLong(limits)) }
                    continue
                }
                if c == 0x3A {
                    nameEnd = i
                    state = .fieldValueStart
                } else if c == 0x20 || c == 0x09 {
                    return .invalid(RequestError(.badRequest, "whitespace before colon in header field"))
                } else if !Self.isTokenChar(c) {
                    return .invalid(RequestError(.badRequest, "invalid character in header field name"))
                }
            case .fieldValueStart:
                if c == 0x20 || c == 0x09 {
                    break
                } else if c == 0x0D || c == 0x0A {
                    valueStart = i
                    valueEnd = i
                    if c == 0x0D { state = .fieldCR } else { endOfField() }
                } else if Self.isFieldValueChar(c) {
                    valueStart = i
                    valueEnd = i + 1
                    state = .fieldValue
                } else {
                    return .invalid(RequestError(.badRequest, "invalid character in header field value"))
                }
            case .fieldValue:
                if Self.isFieldValueChar(c) || c == 0x20 || c == 0x09 {
                    // A run of value bytes; the value ends after its last byte that is not whitespace.
                    while i < end {
                        let b = bytes[i]
                        if Self.isFieldValueChar(b) {
                            valueEnd = i + 1
                        } else if b != 0x20 && b != 0x09 {
                            break
                        }
                        i += 1
                    }
                    if i - lineStart > limits.fieldLine { return .invalid(Self.fieldTooLong(limits)) }
                    continue
                }
                if c == 0x0D {
                    state = .fieldCR
                } else if c == 0x0A {
                    endOfField()
                } else if c == 0x20 || c == 0x09 {
                    break
                } else if Self.isFieldValueChar(c) {
                    valueEnd = i + 1
                } else {
                    return .invalid(RequestError(.badRequest, "invalid character in header field value"))
                }
            case .fieldCR:
                guard c == 0x0A else { return .invalid(RequestError(.badRequest, "bare CR")) }
                endOfField()
            case .headCR:
                guard c == 0x0A else { return .invalid(RequestError(.badRequest, "bare CR")) }
                i += 1
                return complete(bytes, consumed: i)
            }
            i += 1
            // Limits are checked as bytes arrive, so a client cannot make us buffer without bound.
            switch state {
            case .method, .target, .version, .requestLineCR:
                if i - lineStart > limits.requestLine + (state == .requestLineCR ? 1 : 0) {
                    return .invalid(RequestError(.uriTooLong, "request line longer than \(limits.requestLine) bytes"))
                }
            case .fieldName, .fieldValueStart, .fieldValue, .fieldCR:
                if i - lineStart > limits.fieldLine + (state == .fieldCR ? 1 : 0) {
                    return .invalid(Self.fieldTooLong(limits))
                }
            default:
                break
            }
        }
        if bytes.count > limits.headSize {
            return .invalid(RequestError(.requestHeaderFieldsTooLarge, "request head longer than \(limits.headSize) bytes"))
        }
        return .needMore
    }

    /// Checks the version once the request line has ended; moves on to the header fields.
    mutating func endOfRequestLine(_ bytes: UnsafeBufferPointer<UInt8>) -> RequestError? {
        let n = versionEnd - versionStart
        guard n == 8, bytes[versionStart] == 0x48, bytes[versionStart + 1] == 0x54, bytes[versionStart + 2] == 0x54,
            bytes[versionStart + 3] == 0x50, bytes[versionStart + 4] == 0x2F, bytes[versionStart + 6] == 0x2E,
            isASCIIDigit(bytes[versionStart + 5]), isASCIIDigit(bytes[versionStart + 7])
        else {
            return RequestError(.badRequest, "malformed HTTP version")
        }
        state = .fieldStart
        return nil
    }

    mutating func endOfField() {
        fieldRanges.append((nameStart..<nameEnd, valueStart..<valueEnd))
        state = .fieldStart
    }

    /// Builds the head from the recorded offsets.
    mutating func complete(_ bytes: UnsafeBufferPointer<UInt8>, consumed: Int) -> ParseResult {
        // Bytes map one-to-one to characters (ISO-8859-1), so nothing the client sent is altered:
        // obs-text survives for the logs and the target's raw bytes for path decoding.
        func string(_ r: Range<Int>) -> String {
            let slice = UnsafeBufferPointer(rebasing: bytes[r])
            if !slice.contains(where: { $0 >= 0x80 }) { return String(decoding: slice, as: UTF8.self) }
            var s = ""
            s.unicodeScalars.append(contentsOf: slice.map { Unicode.Scalar($0) })
            return s
        }
        func lowercased(_ r: Range<Int>) -> String {
            var needs = false
            for k in r where bytes[k] >= 0x41 && bytes[k] <= 0x5A {
                needs = true
                break
            }
            if !needs { return string(r) }
            return String(unsafeUninitializedCapacity: r.count) { out in
                var j = 0
                for k in r {
                    let b = bytes[k]
                    out[j] = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
                    j += 1
                }
                return j
            }
        }
        var fields: [HeaderField] = []
        fields.reserveCapacity(fieldRanges.count)
        for (name, value) in fieldRanges {
            let known = Self.knownFieldName(UnsafeBufferPointer(rebasing: bytes[name]))
            fields.append(HeaderField(name: known ?? lowercased(name), value: string(value)))
        }
        let method =
            methodEnd - methodStart == 3 && bytes[methodStart] == 0x47 && bytes[methodStart + 1] == 0x45
            && bytes[methodStart + 2] == 0x54
        let head = RequestHead(
            method: method ? "GET" : string(methodStart..<methodEnd),
            target: string(targetStart..<targetEnd),
            version: (Int(bytes[versionStart + 5] - 0x30), Int(bytes[versionStart + 7] - 0x30)),
            fields: fields)
        state = .start
        return .complete(head, consumed: consumed)
    }

    /// The lowercase name of a common header field as a literal (no string is built for it), or nil.
    static func knownFieldName(_ name: UnsafeBufferPointer<UInt8>) -> String? {
        func known(_ literal: StaticString, _ text: String) -> String? {
            asciiCaseInsensitiveEqual(name, literal) ? text : nil
        }
        switch name.count {
        case 4: return known("host", "host")
        case 5: return known("range", "range")
        case 6: return known("accept", "accept") ?? known("cookie", "cookie") ?? known("expect", "expect")
        case 7: return known("referer", "referer")
        case 8: return known("if-range", "if-range") ?? known("if-match", "if-match") ?? known("priority", "priority")
        case 10: return known("user-agent", "user-agent") ?? known("connection", "connection")
        case 13: return known("cache-control", "cache-control") ?? known("if-none-match", "if-none-match")
        case 14:
            return known("content-length", "content-length") ?? known("sec-fetch-dest", "sec-fetch-dest")
                ?? known("sec-fetch-mode", "sec-fetch-mode") ?? known("sec-fetch-site", "sec-fetch-site")
                ?? known("sec-fetch-user", "sec-fetch-user")
        case 15: return known("accept-encoding", "accept-encoding") ?? known("accept-language", "accept-language")
        case 17: return known("if-modified-since", "if-modified-since") ?? known("transfer-encoding", "transfer-encoding")
        case 19: return known("if-unmodified-since", "if-unmodified-since")
        case 25: return known("upgrade-insecure-requests", "upgrade-insecure-requests")
        default: return nil
        }
    }

    static func fieldTooLong(_ limits: HeadLimits) -> RequestError {
        RequestError(.requestHeaderFieldsTooLarge, "header field longer than \(limits.fieldLine) bytes")
    }

    /// tchar (RFC 9110 §5.6.2): a bit in a 128-bit set (two words, no table to load).
    @inline(__always) static func isTokenChar(_ c: UInt8) -> Bool {
        // Bits of 0x00-0x3F: ! # $ % & ' * + - . and the digits; of 0x40-0x7F: letters ^ _ ` | ~.
        let low: UInt64 = 0x03FF_6CFA_0000_0000
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        return c < 0x40 ? (low >> UInt64(c)) & 1 != 0 : c < 0x80 && (high >> UInt64(c - 0x40)) & 1 != 0
    }

    /// field-vchar or obs-text (RFC 9110 §5.5), whitespace handled by the caller.
    @inline(__always) static func isFieldValueChar(_ c: UInt8) -> Bool { c > 0x20 && c != 0x7F }
}
