// Decides the response for a static file once it is found: content negotiation for precompressed
// variants, preconditions (RFC 9110 §13.2.2), ranges (§14), and the exact header set. Pure.

import Support

/// Response settings that come from the configuration.
public struct StaticSettings: Sendable {
    public var cacheControl: String?
    public var precompressed: Bool

    public init(cacheControl: String?, precompressed: Bool) {
        self.cacheControl = cacheControl
        self.precompressed = precompressed
    }
}

/// Pure static-file response decisions.
public enum StaticResponder {
    /// The response for GET/HEAD of `resource`, or the error to answer (412, 416), which the
    /// connection renders like every other error (log line, ErrorDocument).
    public static func respond(_ request: Request, _ resource: StaticFile, _ settings: StaticSettings)
        -> Result<Response, RequestError>
    {
        let isHead = request.method == .head
        var chosen = Representation.original
        var vary = false
        if settings.precompressed && !resource.variants.isEmpty {
            vary = true
            let accepted = acceptedEncodings(request.head.field("accept-encoding"))
            if let v = resource.variants.firstIndex(where: { accepted.contains($0.encoding ?? "") }) { chosen = .variant(v) }
        }
        let file = resource[chosen]
        switch Conditionals.evaluate(request.head, isGetOrHead: true, validators: file.validators) {
        case .notModified:
            var headers: [(String, String)] = []
            addValidators(file, settings, vary: vary, to: &headers)
            return .success(Response(status: .notModified, headers: headers, sendsBody: false))
        case .preconditionFailed:
            return .failure(RequestError(.preconditionFailed, "precondition failed for \(resource.servedPath)"))
        case .proceed:
            break
        }
        var headers = fields(file, settings, vary: vary)

        // RFC 9110 §14.2: Range is defined for GET only; HEAD ignores it.
        if !isHead, let range = request.head.field("range"), Conditionals.rangeAllowed(request.head, validators: file.validators)
        {
            switch ByteRanges.decide(range, length: file.size) {
            case .full:
                break
            case .unsatisfiable:
                return .failure(
                    RequestError(
                        .rangeNotSatisfiable, "range not satisfiable for \(resource.servedPath)",
                        headers: [("Content-Range", "bytes */\(file.size)")]))
            case .partial(let ranges) where ranges.count == 1:
                let r = ranges[0]
                headers.append(("Content-Range", "bytes \(r.first)-\(r.last)/\(file.size)"))
                return .success(
                    Response(
                        status: .partialContent, headers: headers,
                        body: [.file(FileRegion(chosen, offset: r.first, length: r.count))]))
            case .partial(let ranges):
                return .success(multipart(file, chosen, ranges, headers))
            }
        }
        return .success(
            Response(
                status: .ok, headers: headers, body: [.file(FileRegion(chosen, offset: 0, length: file.size))], sendsBody: !isHead
            ))
    }

    /// The header fields of a full 200 for `file`: Content-Type, the validators, Cache-Control, Vary,
    /// Accept-Ranges, Content-Encoding.
    public static func fields(_ file: FileInfo, _ settings: StaticSettings, vary: Bool) -> [(String, String)] {
        var headers: [(String, String)] = []
        headers.reserveCapacity(7)
        headers.append(("Content-Type", file.contentType))
        addValidators(file, settings, vary: vary, to: &headers)
        headers.append(("Accept-Ranges", "bytes"))
        if let encoding = file.encoding { headers.append(("Content-Encoding", encoding)) }
        return headers
    }

    static func addValidators(_ file: FileInfo, _ settings: StaticSettings, vary: Bool, to headers: inout [(String, String)]) {
        headers.append(("Last-Modified", file.lastModifiedText))
        headers.append(("ETag", file.validators.etag))
        if let cc = settings.cacheControl { headers.append(("Cache-Control", cc)) }
        if vary { headers.append(("Vary", "Accept-Encoding")) }
    }

    /// True when `respond` can only give the file itself with `fields(resource.info, settings, vary: false)`,
    /// whole, as 200: no variant to choose, no precondition and no range field in the request. A server
    /// may then send that response's head as rendered for an earlier request.
    public static func isPlain(_ request: Request, _ resource: StaticFile, _ settings: StaticSettings) -> Bool {
        if settings.precompressed && !resource.variants.isEmpty { return false }
        let head = request.head
        // Most requests have none of these names' lengths among their fields: one test of a word.
        if head.names & preconditionNames.mask != 0 {
            for name in preconditionNames.names where head.field(name) != nil { return false }
        }
        return request.method == .head || !head.mayHave("range") || head.field("range") == nil
    }

    /// The precondition fields (RFC 9110 §13.1) and the summary bits of their names.
    static let preconditionNames: (names: [String], mask: UInt64) = {
        let names = ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]
        return (names, names.reduce(0) { $0 | RequestHead.summaryBit($1) })
    }()

    /// The response `respond` gives when `isPlain`, with its Server line, fields and Content-Length
    /// already rendered (`Response.renderFields`).
    public static func plain(_ request: Request, _ resource: StaticFile, renderedFields: [UInt8]) -> Response {
        var response = Response(
            status: .ok, body: [.file(FileRegion(.original, offset: 0, length: resource.info.size))],
            sendsBody: request.method != .head)
        response.renderedFields = renderedFields
        return response
    }

    /// A multipart/byteranges response (RFC 9110 §14.6) for several ranges.
    static func multipart(
        _ file: FileInfo, _ representation: Representation, _ ranges: [ByteRange], _ baseHeaders: [(String, String)]
    ) -> Response {
        let boundary =
            "httpd-" + String(UInt64(bitPattern: Int64(file.modified)) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(file.size), radix: 36)
        var body: [BodyPart] = []
        for r in ranges {
            let partHead =
                "\r\n--\(boundary)\r\nContent-Type: \(file.contentType)\r\nContent-Range: bytes \(r.first)-\(r.last)/\(file.size)\r\n\r\n"
            body.append(.bytes(Array(partHead.utf8)))
            body.append(.file(FileRegion(representation, offset: r.first, length: r.count)))
        }
        body.append(.bytes(Array("\r\n--\(boundary)--\r\n".utf8)))
        var headers = baseHeaders.filter { $0.0 != "Content-Type" }
        headers.insert(("Content-Type", "multipart/byteranges; boundary=\(boundary)"), at: 0)
        return Response(status: .partialContent, headers: headers, body: body)
    }

    /// The encodings (`br`, `gzip`) the client accepts with a non-zero q (RFC 9110 §12.5.3).
    public static func acceptedEncodings(_ field: String?) -> Set<String> {
        guard let field else { return [] }
        var explicit: [String: Bool] = [:]
        var star: Bool?
        for item in field.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let name = parts.first?.trimmingWhitespace().lowercased(), !name.isEmpty else { continue }
            var q = 1.0
            for p in parts.dropFirst() {
                let kv = p.trimmingWhitespace()
                if kv.lowercased().hasPrefix("q=") { q = Double(kv.dropFirst(2)) ?? 0 }
            }
            if name == "*" { star = q > 0 } else { explicit[name == "x-gzip" ? "gzip" : name] = q > 0 }
        }
        var result = Set<String>()
        for encoding in ["br", "gzip"] where explicit[encoding] ?? star ?? false {
            result.insert(encoding)
        }
        return result
    }

    /// 301 to the directory with a trailing slash, keeping the query.
    public static func directoryRedirect(_ request: Request, decodedPath: String) -> Response {
        var location = PathNormalizer.encode(decodedPath + "/")
        if let q = request.query {
            // The query goes back as sent; bytes that may not stand in a header are percent-encoded.
            location += "?"
            location += percentEncode(q.latin1Bytes) { b in b > 0x20 && b < 0x7F && b != 0x22 && b != 0x3C && b != 0x3E }
        }
        let html =
            "<!DOCTYPE html>\n<html><head><title>301 Moved Permanently</title></head>\n<body><h1>301 Moved Permanently</h1>"
            + "<p><a href=\"\(HTMLEscape.escape(location))\">\(HTMLEscape.escape(location))</a></p></body></html>\n"
        return Response(
            status: .movedPermanently, headers: [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
            body: [.bytes(Array(html.utf8))], sendsBody: request.method != .head)
    }

    /// 200 with an autoindex page.
    public static func listing(_ request: Request, _ html: [UInt8]) -> Response {
        Response(
            status: .ok, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-cache")],
            body: [.bytes(html)], sendsBody: request.method != .head)
    }
}
