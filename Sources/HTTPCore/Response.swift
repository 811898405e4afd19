// A response decided but not yet sent: status, header fields and a body description.
// The connection turns it into bytes (head) and buffer/file segments (body).

import Support

/// One piece of a response body.
public enum BodyPart: Sendable {
    case bytes([UInt8])
    /// A region of the response's file (sent with sendfile, or from memory for small files).
    case file(FileRegion)

    public var count: Int {
        switch self {
        case .bytes(let b): b.count
        case .file(let region): region.length
        }
    }
}

/// A complete response decision.
public struct Response: Sendable {
    public var status: HTTPStatus
    /// Header fields other than Date, Server, Content-Length and Connection, which the writer adds.
    public var headers: [(String, String)]
    public var body: [BodyPart]
    /// Content-Length to announce (for HEAD, what GET would send); nil for statuses without a body.
    public var contentLength: Int?
    /// Whether the body is actually sent (false for HEAD and for 304).
    public var sendsBody: Bool
    /// Close the connection after this response, whatever the client asked.
    public var forceClose: Bool = false
    /// The Server line, `headers` and Content-Length as `renderFields` wrote them earlier (a file's plain
    /// 200, rendered once per open file and settings); when set, `head` copies it instead.
    public var renderedFields: [UInt8]?

    public init(status: HTTPStatus, headers: [(String, String)] = [], body: [BodyPart] = [], sendsBody: Bool = true) {
        self.status = status
        self.headers = headers
        self.body = body
        self.sendsBody = sendsBody && !status.forbidsBody
        self.contentLength = status.forbidsBody ? nil : body.reduce(0) { $0 + $1.count }
    }

    /// Errors after which the request was understood and its framing is known, so the connection stays usable.
    public static let keepsConnection: Set<Int> = [401, 403, 404, 405, 412, 416, 421, 501]

    /// A response with a short HTML body explaining `status` (used when no ErrorDocument applies).
    public static func error(_ status: HTTPStatus, sendsBody: Bool = true, extraHeaders: [(String, String)] = []) -> Response {
        let html = "<!DOCTYPE html>\n<html><head><title>\(status)</title></head>\n<body><h1>\(status)</h1></body></html>\n"
        var r = Response(
            status: status, headers: [("Content-Type", "text/html; charset=utf-8")] + extraHeaders,
            body: [.bytes(Array(html.utf8))], sendsBody: sendsBody)
        if status.code >= 400 && !keepsConnection.contains(status.code) {
            r.forceClose = true
        }
        return r
    }

    /// The built-in answer for `error`: its page and header fields, closing the connection when
    /// `forceClose` is set or the status leaves the connection unusable.
    public static func rendering(_ error: RequestError, isHead: Bool, forceClose: Bool = false) -> Response {
        var response = Response.error(error.status, sendsBody: !isHead, extraHeaders: error.headers)
        response.forceClose = response.forceClose || forceClose
        return response
    }

    /// Serializes the head: status line, Date, Server, the fields, Content-Length and Connection.
    public func head(date: String, server: String, keepAlive: Bool, http11: Bool, keepAliveTimeout: Int) -> [UInt8] {
        withHead(date: date, server: server, keepAlive: keepAlive, http11: http11, keepAliveTimeout: keepAliveTimeout) {
            Array($0)
        }
    }

    /// Calls `body` with the serialized head in a buffer on the stack (no allocation: this runs once per
    /// response), and returns what `body` returns.
    /// `extraLines` are whole field lines (each ending in CRLF) added after the fields, such as HSTS on TLS.
    public func withHead<T>(
        date: String, server: String, keepAlive: Bool, http11: Bool, keepAliveTimeout: Int, extraLines: String = "",
        _ body: (UnsafeRawBufferPointer) -> T
    ) -> T {
        var bound = 96 + status.line.utf8.count + date.utf8.count + extraLines.utf8.count
        if let renderedFields {
            bound += renderedFields.count
        } else {
            bound += Self.fieldsBound(server: server, headers: headers)
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buffer in
            var out = ByteWriter(buffer)
            out.put(status.line)
            out.put("Date: ")
            out.put(date)
            out.put("\r\n")
            if let renderedFields {
                renderedFields.withUnsafeBufferPointer { out.put(bytes: $0) }
            } else {
                Self.writeFields(&out, server: server, headers: headers, contentLength: contentLength)
            }
            if !extraLines.isEmpty { out.put(extraLines) }
            if !keepAlive {
                out.put("Connection: close\r\n")
            } else if !http11 {
                out.put("Connection: keep-alive\r\nKeep-Alive: timeout=")
                out.putDecimal(keepAliveTimeout)
                out.put("\r\n")
            }
            out.put("\r\n")
            return body(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<out.count])))
        }
    }

    /// The Server line, `headers` and Content-Length as `head` writes them, for `renderedFields`.
    public static func renderFields(server: String, headers: [(String, String)], contentLength: Int?) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: fieldsBound(server: server, headers: headers)) { buffer, count in
            var out = ByteWriter(buffer)
            writeFields(&out, server: server, headers: headers, contentLength: contentLength)
            count = out.count
        }
    }

    static func fieldsBound(server: String, headers: [(String, String)]) -> Int {
        var bound = 64 + server.utf8.count
        for (name, value) in headers { bound += name.utf8.count + value.utf8.count + 4 }
        return bound
    }

    static func writeFields(_ out: inout ByteWriter, server: String, headers: [(String, String)], contentLength: Int?) {
        out.put("Server: ")
        out.put(server)
        out.put("\r\n")
        for (name, value) in headers {
            out.put(name)
            out.put(": ")
            out.put(value)
            out.put("\r\n")
        }
        if let length = contentLength {
            out.put("Content-Length: ")
            out.putDecimal(length)
            out.put("\r\n")
        }
    }
}
