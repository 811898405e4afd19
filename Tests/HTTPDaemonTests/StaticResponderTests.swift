// StaticResponder: 200/206/304/412/416, headers in order, multipart bodies, precompressed variants.

import Testing

@testable import HTTPCore

/// StaticResponder's decision as the client sees it: an error is rendered as the connection renders
/// it when no ErrorDocument applies (the built-in page plus the error's own header fields).
private func respond(_ request: Request, _ resource: TestFile, _ settings: StaticSettings) -> Response {
    switch StaticResponder.respond(request, resource.metadata, settings) {
    case .success(let response): return response
    case .failure(let error):
        return Response.rendering(error, isHead: request.method == .head)
    }
}

private let modified = 784_111_777
private let modifiedText = "Sun, 06 Nov 1994 08:49:37 GMT"
private let textType = "text/plain; charset=utf-8"

/// 100 bytes: "abcdefghij" ten times, upper-cased in every other run so slices are recognisable.
private let content: [UInt8] = (0..<100).map { i in
    let letter = UInt8(ascii: "a") + UInt8(i % 10)
    return (i / 10) % 2 == 0 ? letter : letter - 32
}

/// A representation's metadata and bytes.
private struct TestRepresentation {
    var info: FileInfo
    var content: [UInt8]
}

/// A file and its variants, with their bytes, so body regions can be read back.
private struct TestFile {
    var file: TestRepresentation
    var variants: [TestRepresentation]
    var metadata: StaticFile { StaticFile(info: file.info, variants: variants.map(\.info), servedPath: "/f.txt") }

    func content(_ representation: Representation) -> [UInt8] {
        switch representation {
        case .original: file.content
        case .variant(let i): variants[i].content
        }
    }
}

private func file(
    size: Int = 100, etag: String = "\"f\"", modified: Int = modified, content: [UInt8] = content, encoding: String? = nil
) -> TestRepresentation {
    TestRepresentation(
        info: FileInfo(size: size, modified: modified, etag: etag, contentType: textType, encoding: encoding), content: content)
}

private func resource(_ f: TestRepresentation = file(), variants: [TestRepresentation] = []) -> TestFile {
    TestFile(file: f, variants: variants)
}

/// The file every response below is about, unless a test passes another to `body`.
private let defaultFile = resource()

private func request(_ method: String = "GET", _ target: String = "/f.txt", _ fields: [(String, String)] = []) throws -> Request {
    let head = RequestHead(
        method: method, target: target, version: (1, 1),
        fields: [(name: "host", value: "h")] + fields.map { (name: $0.0, value: $0.1) })
    return try Request.interpret(head).get()
}

private let plain = StaticSettings(cacheControl: nil, precompressed: false)

private func names(_ r: Response) -> [String] { r.headers.map(\.0) }

private func header(_ r: Response, _ name: String) -> String? {
    r.headers.first(where: { $0.0 == name })?.1
}

/// The bytes the body parts stand for.
private func body(_ r: Response, of file: TestFile = defaultFile, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
    var out: [UInt8] = []
    for part in r.body {
        switch part {
        case .bytes(let b):
            out += b
        case .file(let region):
            let c = file.content(region.representation)
            let offset = region.offset
            let length = region.length
            guard offset >= 0, offset + length <= c.count else {
                Issue.record("file part out of bounds", sourceLocation: sourceLocation)
                continue
            }
            out += c[offset..<(offset + length)]
        }
    }
    return out
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite struct StaticResponderTests {
    // MARK: 200

    @Test func okHeadersInOrder() throws {
        let r = respond(try request(), resource(), plain)
        #expect(r.status == .ok)
        #expect(names(r) == ["Content-Type", "Last-Modified", "ETag", "Accept-Ranges"])
        #expect(r.headers.map(\.1) == [textType, modifiedText, "\"f\"", "bytes"])
        #expect(r.contentLength == 100)
        #expect(r.sendsBody)
        #expect(r.forceClose == false)
        #expect(body(r) == content)
    }

    @Test func okBodyIsTheWholeFile() throws {
        let r = respond(try request(), resource(), plain)
        #expect(r.body.count == 1)
        guard case .file(let region) = r.body.first else {
            Issue.record("expected a file part")
            return
        }
        #expect(region.representation == .original)
        #expect(region.offset == 0)
        #expect(region.length == 100)
    }

    @Test func cacheControl() throws {
        let r = respond(
            try request(), resource(), StaticSettings(cacheControl: "max-age=60", precompressed: false))
        #expect(names(r) == ["Content-Type", "Last-Modified", "ETag", "Cache-Control", "Accept-Ranges"])
        #expect(header(r, "Cache-Control") == "max-age=60")
    }

    @Test func emptyFile() throws {
        let r = respond(try request(), resource(file(size: 0, content: [])), plain)
        #expect(r.status == .ok)
        #expect(r.contentLength == 0)
    }

    @Test func headHasTheSameHeadersAndLengthButNoBody() throws {
        let get = respond(try request("GET"), resource(), plain)
        let head = respond(try request("HEAD"), resource(), plain)
        #expect(head.status == .ok)
        #expect(names(head) == names(get))
        #expect(head.headers.map(\.1) == get.headers.map(\.1))
        #expect(head.contentLength == 100)
        #expect(head.sendsBody == false)
        #expect(get.sendsBody)
    }

    // MARK: Conditionals

    @Test func notModified() throws {
        let r = respond(
            try request("GET", "/f.txt", [("if-none-match", "\"f\"")]), resource(),
            StaticSettings(cacheControl: "no-cache", precompressed: false))
        #expect(r.status == .notModified)
        #expect(names(r) == ["Last-Modified", "ETag", "Cache-Control"])
        #expect(r.headers.map(\.1) == [modifiedText, "\"f\"", "no-cache"])
        #expect(r.contentLength == nil)
        #expect(r.sendsBody == false)
    }

    @Test func notModifiedByDate() throws {
        let r = respond(try request("HEAD", "/f.txt", [("if-modified-since", modifiedText)]), resource(), plain)
        #expect(r.status == .notModified)
        #expect(r.contentLength == nil)
    }

    @Test func preconditionFailed() throws {
        let r = respond(try request("GET", "/f.txt", [("if-match", "\"other\"")]), resource(), plain)
        #expect(r.status == .preconditionFailed)
        #expect(names(r) == ["Content-Type"])
        #expect(header(r, "Content-Type") == "text/html; charset=utf-8")
        #expect(r.sendsBody)
        #expect(r.forceClose == false)
        #expect(text(body(r)).contains("<h1>412 Precondition Failed</h1>"))

        let head = respond(
            try request("HEAD", "/f.txt", [("if-unmodified-since", "Sun, 06 Nov 1994 08:49:36 GMT")]),
            resource(), plain)
        #expect(head.status == .preconditionFailed)
        #expect(head.sendsBody == false)
        #expect(head.contentLength == r.contentLength)
    }

    @Test func conditionalsComeBeforeRanges() throws {
        let r = respond(
            try request("GET", "/f.txt", [("range", "bytes=0-9"), ("if-none-match", "\"f\"")]), resource(), plain)
        #expect(r.status == .notModified)
    }

    // MARK: Ranges

    @Test func singleRange() throws {
        let r = respond(try request("GET", "/f.txt", [("range", "bytes=10-19")]), resource(), plain)
        #expect(r.status == .partialContent)
        #expect(names(r) == ["Content-Type", "Last-Modified", "ETag", "Accept-Ranges", "Content-Range"])
        #expect(header(r, "Content-Range") == "bytes 10-19/100")
        #expect(header(r, "Content-Type") == textType)
        #expect(r.contentLength == 10)
        #expect(text(body(r)) == "ABCDEFGHIJ")
        #expect(r.sendsBody)
    }

    @Test func suffixRange() throws {
        let r = respond(try request("GET", "/f.txt", [("range", "bytes=-5")]), resource(), plain)
        #expect(r.status == .partialContent)
        #expect(header(r, "Content-Range") == "bytes 95-99/100")
        #expect(text(body(r)) == "FGHIJ")
    }

    @Test func multipleRanges() throws {
        let r = respond(try request("GET", "/f.txt", [("range", "bytes=90-94,0-4")]), resource(), plain)
        #expect(r.status == .partialContent)
        #expect(names(r) == ["Content-Type", "Last-Modified", "ETag", "Accept-Ranges"])
        let contentType = try #require(header(r, "Content-Type"))
        let prefix = "multipart/byteranges; boundary="
        #expect(contentType.hasPrefix(prefix + "httpd-"))
        let boundary = String(contentType.dropFirst(prefix.count))
        #expect(boundary.count > "httpd-".count)
        // Parts in the order requested (RFC 9110 §14.6).
        let expected =
            "\r\n--\(boundary)\r\nContent-Type: \(textType)\r\nContent-Range: bytes 90-94/100\r\n\r\nABCDE"
            + "\r\n--\(boundary)\r\nContent-Type: \(textType)\r\nContent-Range: bytes 0-4/100\r\n\r\nabcde"
            + "\r\n--\(boundary)--\r\n"
        #expect(text(body(r)) == expected)
        #expect(r.contentLength == expected.utf8.count)
        #expect(r.sendsBody)
    }

    @Test func multipartPartsFollowTheRequestedOrderAfterMerging() throws {
        // 92-99 merges into 90-94, which was asked first; 0-1 and 2-4 merge where 2-4 was asked.
        let r = respond(try request("GET", "/f.txt", [("range", "bytes=90-94,2-4,92-99,0-1")]), resource(), plain)
        #expect(r.status == .partialContent)
        let contentType = try #require(header(r, "Content-Type"))
        let boundary = String(contentType.dropFirst("multipart/byteranges; boundary=".count))
        let expected =
            "\r\n--\(boundary)\r\nContent-Type: \(textType)\r\nContent-Range: bytes 90-99/100\r\n\r\nABCDEFGHIJ"
            + "\r\n--\(boundary)\r\nContent-Type: \(textType)\r\nContent-Range: bytes 0-4/100\r\n\r\nabcde"
            + "\r\n--\(boundary)--\r\n"
        #expect(text(body(r)) == expected)
        #expect(r.contentLength == expected.utf8.count)
    }

    @Test func multipartBoundaryIsStableForAFile() throws {
        let a = respond(try request("GET", "/f.txt", [("range", "bytes=0-0,50-50")]), resource(), plain)
        let b = respond(try request("GET", "/f.txt", [("range", "bytes=10-10,90-90")]), resource(), plain)
        #expect(header(a, "Content-Type") == header(b, "Content-Type"))
    }

    @Test func coalescedRangesAreASinglePart() throws {
        let r = respond(try request("GET", "/f.txt", [("range", "bytes=0-4,3-9")]), resource(), plain)
        #expect(r.status == .partialContent)
        #expect(header(r, "Content-Range") == "bytes 0-9/100")
        #expect(text(body(r)) == "abcdefghij")
    }

    @Test func unsatisfiableRange() throws {
        let r = respond(try request("GET", "/f.txt", [("range", "bytes=100-")]), resource(), plain)
        #expect(r.status == .rangeNotSatisfiable)
        #expect(names(r) == ["Content-Type", "Content-Range"])
        #expect(header(r, "Content-Range") == "bytes */100")
        #expect(r.forceClose == false)

        let empty = respond(
            try request("GET", "/f.txt", [("range", "bytes=0-")]), resource(file(size: 0, content: [])), plain)
        #expect(empty.status == .rangeNotSatisfiable)
        #expect(header(empty, "Content-Range") == "bytes */0")
    }

    @Test func malformedRangeIsIgnored() throws {
        let r = respond(try request("GET", "/f.txt", [("range", "bytes=x-y")]), resource(), plain)
        #expect(r.status == .ok)
        #expect(r.contentLength == 100)
        #expect(header(r, "Content-Range") == nil)
    }

    @Test func rangeOnHeadIsIgnored() throws {
        let r = respond(try request("HEAD", "/f.txt", [("range", "bytes=0-9")]), resource(), plain)
        #expect(r.status == .ok)
        #expect(r.contentLength == 100)
        #expect(header(r, "Content-Range") == nil)
        let unsatisfiable = respond(try request("HEAD", "/f.txt", [("range", "bytes=500-")]), resource(), plain)
        #expect(unsatisfiable.status == .ok)
    }

    @Test func ifRange() throws {
        let matching = respond(
            try request("GET", "/f.txt", [("range", "bytes=0-9"), ("if-range", "\"f\"")]), resource(), plain)
        #expect(matching.status == .partialContent)
        let byDate = respond(
            try request("GET", "/f.txt", [("range", "bytes=0-9"), ("if-range", modifiedText)]), resource(), plain)
        #expect(byDate.status == .partialContent)
        let stale = respond(
            try request("GET", "/f.txt", [("range", "bytes=0-9"), ("if-range", "\"old\"")]), resource(), plain)
        #expect(stale.status == .ok)
        #expect(stale.contentLength == 100)
        let weak = respond(
            try request("GET", "/f.txt", [("range", "bytes=0-9"), ("if-range", "W/\"f\"")]), resource(), plain)
        #expect(weak.status == .ok)
        // A failed If-Range also skips the 416.
        let staleUnsatisfiable = respond(
            try request("GET", "/f.txt", [("range", "bytes=500-"), ("if-range", "\"old\"")]),
            resource(), plain)
        #expect(staleUnsatisfiable.status == .ok)
    }

    // MARK: Precompressed variants

    private static func variants() -> [TestRepresentation] {
        [
            file(size: 30, etag: "\"br\"", modified: modified + 10, content: Array(content[0..<30]), encoding: "br"),
            file(size: 40, etag: "\"gz\"", modified: modified + 20, content: Array(content[0..<40]), encoding: "gzip"),
        ]
    }

    private let on = StaticSettings(cacheControl: nil, precompressed: true)

    @Test func brotliIsPreferred() throws {
        let r = respond(
            try request("GET", "/f.txt", [("accept-encoding", "gzip, deflate, br")]),
            resource(variants: Self.variants()), on)
        #expect(r.status == .ok)
        #expect(names(r) == ["Content-Type", "Last-Modified", "ETag", "Vary", "Accept-Ranges", "Content-Encoding"])
        #expect(r.headers.map(\.1) == [textType, HTTPDate.format(modified + 10), "\"br\"", "Accept-Encoding", "bytes", "br"])
        #expect(r.contentLength == 30)
    }

    @Test func gzipWhenBrotliIsNotAccepted() throws {
        let r = respond(
            try request("GET", "/f.txt", [("accept-encoding", "gzip, br;q=0")]),
            resource(variants: Self.variants()), on)
        #expect(header(r, "Content-Encoding") == "gzip")
        #expect(header(r, "ETag") == "\"gz\"")
        #expect(header(r, "Vary") == "Accept-Encoding")
        #expect(r.contentLength == 40)
    }

    @Test func identityWhenNothingIsAccepted() throws {
        for fields in [[], [("accept-encoding", "identity")], [("accept-encoding", "gzip;q=0, br;q=0")]] {
            let r = respond(try request("GET", "/f.txt", fields), resource(variants: Self.variants()), on)
            #expect(header(r, "Content-Encoding") == nil)
            #expect(header(r, "ETag") == "\"f\"")
            #expect(header(r, "Vary") == "Accept-Encoding")
            #expect(r.contentLength == 100)
        }
    }

    @Test func onlyAvailableVariantsAreChosen() throws {
        let gzOnly = [Self.variants()[1]]
        let r = respond(try request("GET", "/f.txt", [("accept-encoding", "br")]), resource(variants: gzOnly), on)
        #expect(header(r, "Content-Encoding") == nil)
        #expect(header(r, "Vary") == "Accept-Encoding")
    }

    @Test func noVaryWithoutVariantsOrWhenOff() throws {
        let none = respond(try request("GET", "/f.txt", [("accept-encoding", "br")]), resource(), on)
        #expect(header(none, "Vary") == nil)
        let off = respond(
            try request("GET", "/f.txt", [("accept-encoding", "br")]), resource(variants: Self.variants()), plain)
        #expect(header(off, "Vary") == nil)
        #expect(header(off, "Content-Encoding") == nil)
        #expect(off.contentLength == 100)
    }

    @Test func notModifiedForAVariantKeepsVary() throws {
        let r = respond(
            try request("GET", "/f.txt", [("accept-encoding", "br"), ("if-none-match", "\"br\"")]),
            resource(variants: Self.variants()), on)
        #expect(r.status == .notModified)
        #expect(names(r) == ["Last-Modified", "ETag", "Vary"])
        #expect(header(r, "ETag") == "\"br\"")
        // The variant's tag does not validate the identity representation.
        let identity = respond(
            try request("GET", "/f.txt", [("if-none-match", "\"br\"")]),
            resource(variants: Self.variants()), on)
        #expect(identity.status == .ok)
    }

    @Test func rangeOfAVariant() throws {
        let r = respond(
            try request("GET", "/f.txt", [("accept-encoding", "gzip"), ("range", "bytes=-5")]),
            resource(variants: Self.variants()), on)
        #expect(r.status == .partialContent)
        #expect(header(r, "Content-Range") == "bytes 35-39/40")
        #expect(header(r, "Content-Encoding") == "gzip")
        #expect(text(body(r, of: resource(variants: Self.variants()))) == "FGHIJ")
    }

    // MARK: Accept-Encoding

    @Test(arguments: [
        ("gzip", ["gzip"]),
        ("br", ["br"]),
        ("gzip, br", ["br", "gzip"]),
        ("GZIP, Br", ["br", "gzip"]),
        ("x-gzip", ["gzip"]),
        ("br;q=0, gzip", ["gzip"]),
        ("br; q=0.5, gzip;q=1.0", ["br", "gzip"]),
        ("gzip;q=0.000", []),
        ("gzip;Q=0", []),
        ("gzip;q=abc", []),
        ("*", ["br", "gzip"]),
        ("*;q=0", []),
        ("*, br;q=0", ["gzip"]),
        ("gzip;q=0, *", ["br"]),
        ("identity", []),
        ("deflate, compress", []),
        ("", []),
        (" , ,", []),
    ])
    func acceptedEncodings(field: String, encodings: [String]) {
        #expect(StaticResponder.acceptedEncodings(field) == Set(encodings))
    }

    @Test func noAcceptEncodingField() {
        #expect(StaticResponder.acceptedEncodings(nil) == [])
    }

    // MARK: Directory redirect and listing

    @Test func directoryRedirectKeepsTheQuery() throws {
        let r = StaticResponder.directoryRedirect(try request("GET", "/docs?x=1&y"), decodedPath: "/docs")
        #expect(r.status == .movedPermanently)
        #expect(names(r) == ["Location", "Content-Type"])
        #expect(header(r, "Location") == "/docs/?x=1&y")
        #expect(header(r, "Content-Type") == "text/html; charset=utf-8")
        let html =
            "<!DOCTYPE html>\n<html><head><title>301 Moved Permanently</title></head>\n<body><h1>301 Moved Permanently</h1>"
            + "<p><a href=\"/docs/?x=1&amp;y\">/docs/?x=1&amp;y</a></p></body></html>\n"
        #expect(text(body(r)) == html)
        #expect(r.contentLength == html.utf8.count)
        #expect(r.sendsBody)
    }

    @Test func directoryRedirectPercentEncodes() throws {
        let r = StaticResponder.directoryRedirect(try request("GET", "/my%20docs/%C3%A9t%C3%A9"), decodedPath: "/my docs/été")
        #expect(header(r, "Location") == "/my%20docs/%C3%A9t%C3%A9/")
        let q = StaticResponder.directoryRedirect(try request("GET", "/a%3Fb?"), decodedPath: "/a?b")
        #expect(header(q, "Location") == "/a%3Fb/?")
    }

    @Test func directoryRedirectForHead() throws {
        let r = StaticResponder.directoryRedirect(try request("HEAD", "/docs"), decodedPath: "/docs")
        #expect(r.status == .movedPermanently)
        #expect(header(r, "Location") == "/docs/")
        #expect(r.sendsBody == false)
        #expect(r.contentLength == body(r).count)
    }

    @Test func listing() throws {
        let html = Array("<html>listing</html>".utf8)
        let r = StaticResponder.listing(try request("GET", "/dir/"), html)
        #expect(r.status == .ok)
        #expect(names(r) == ["Content-Type", "Cache-Control"])
        #expect(r.headers.map(\.1) == ["text/html; charset=utf-8", "no-cache"])
        #expect(body(r) == html)
        #expect(r.contentLength == html.count)
        #expect(r.sendsBody)
        let head = StaticResponder.listing(try request("HEAD", "/dir/"), html)
        #expect(head.sendsBody == false)
        #expect(head.contentLength == html.count)
    }

    // MARK: The plain 200 rendered once

    /// Every request for which `isPlain` holds gets from `plain` exactly the bytes `respond` gives (head
    /// and body), and every request with a precondition, a range or a variant to choose is not plain.
    @Test func plainResponseIsWhatRespondGives() throws {
        let variant = file(size: 40, etag: "\"g\"", content: Array(content[0..<40]), encoding: "gzip")
        let fieldSets: [[(String, String)]] = [
            [], [("accept-encoding", "gzip")], [("if-none-match", "\"f\"")], [("if-none-match", "\"x\"")],
            [("if-match", "\"f\"")], [("if-modified-since", modifiedText)], [("if-unmodified-since", modifiedText)],
            [("range", "bytes=0-9")], [("range", "bytes=0-9"), ("if-range", "\"f\"")], [("user-agent", "x"), ("accept", "*/*")],
        ]
        var plainCount = 0
        for method in ["GET", "HEAD"] {
            for fields in fieldSets {
                for settings in [plain, StaticSettings(cacheControl: "max-age=60", precompressed: true)] {
                    for r in [resource(), resource(variants: [variant])] {
                        let req = try request(method, "/f.txt", fields)
                        let isPlain = StaticResponder.isPlain(req, r.metadata, settings)
                        let conditional = fields.contains {
                            ($0.0.hasPrefix("if-") && $0.0 != "if-range") || ($0.0 == "range" && method == "GET")
                        }
                        let negotiated = settings.precompressed && !r.variants.isEmpty
                        #expect(isPlain == !(conditional || negotiated), "\(method) \(fields)")
                        guard isPlain else { continue }
                        plainCount += 1
                        let general = respond(req, r, settings)
                        let rendered = Response.renderFields(
                            server: "s", headers: StaticResponder.fields(r.metadata.info, settings, vary: false),
                            contentLength: r.metadata.info.size)
                        let fast = StaticResponder.plain(req, r.metadata, renderedFields: rendered)
                        for (keepAlive, http11) in [(true, true), (false, true), (true, false)] {
                            let a = general.head(
                                date: "D", server: "s", keepAlive: keepAlive, http11: http11, keepAliveTimeout: 5)
                            let b = fast.head(date: "D", server: "s", keepAlive: keepAlive, http11: http11, keepAliveTimeout: 5)
                            #expect(text(a) == text(b))
                        }
                        #expect(fast.sendsBody == general.sendsBody && fast.contentLength == general.contentLength)
                        #expect(body(fast, of: r) == body(general, of: r))
                    }
                }
            }
        }
        #expect(plainCount == 24)
    }
}
