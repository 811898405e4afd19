// Response: head serialization, Content-Length, keep-alive fields and error pages.

import Testing

@testable import Config
@testable import Files
@testable import HTTPCore
@testable import Server

private let date = "Sun, 06 Nov 1994 08:49:37 GMT"

private func headText(
    _ r: Response, keepAlive: Bool = true, http11: Bool = true, keepAliveTimeout: Int = 5
) -> String {
    String(
        decoding: r.head(
            date: date, server: "httpd/test", keepAlive: keepAlive, http11: http11, keepAliveTimeout: keepAliveTimeout),
        as: UTF8.self)
}

/// The body bytes of `bytes` parts (file parts are not expected here).
private func bodyText(_ r: Response) -> String {
    var out: [UInt8] = []
    for part in r.body {
        if case .bytes(let b) = part { out += b } else { Issue.record("unexpected file part") }
    }
    return String(decoding: out, as: UTF8.self)
}

@Suite struct ResponseTests {
    @Test func headForAKeptAliveHTTP11Response() {
        let r = Response(status: .ok, headers: [("Content-Type", "text/plain"), ("ETag", "\"x\"")], body: [.bytes([1, 2, 3])])
        #expect(
            headText(r)
                == "HTTP/1.1 200 OK\r\nDate: \(date)\r\nServer: httpd/test\r\nContent-Type: text/plain\r\nETag: \"x\"\r\nContent-Length: 3\r\n\r\n"
        )
    }

    @Test func headWithConnectionClose() {
        let r = Response(status: .ok, body: [.bytes([0x41])])
        #expect(
            headText(r, keepAlive: false)
                == "HTTP/1.1 200 OK\r\nDate: \(date)\r\nServer: httpd/test\r\nContent-Length: 1\r\nConnection: close\r\n\r\n")
        #expect(
            headText(r, keepAlive: false, http11: false)
                == "HTTP/1.1 200 OK\r\nDate: \(date)\r\nServer: httpd/test\r\nContent-Length: 1\r\nConnection: close\r\n\r\n")
    }

    @Test func headForAKeptAliveHTTP10Response() {
        let r = Response(status: .ok, body: [])
        #expect(
            headText(r, http11: false, keepAliveTimeout: 7)
                == "HTTP/1.1 200 OK\r\nDate: \(date)\r\nServer: httpd/test\r\nContent-Length: 0\r\nConnection: keep-alive\r\nKeep-Alive: timeout=7\r\n\r\n"
        )
    }

    @Test func notModifiedHasNoContentLength() {
        let r = Response(status: .notModified, headers: [("ETag", "\"x\"")], body: [.bytes([1, 2, 3])])
        #expect(r.contentLength == nil)
        #expect(r.sendsBody == false)
        #expect(headText(r) == "HTTP/1.1 304 Not Modified\r\nDate: \(date)\r\nServer: httpd/test\r\nETag: \"x\"\r\n\r\n")
    }

    @Test func statusesWithoutBody() {
        for status in [HTTPStatus.continue, .noContent, .notModified] {
            let r = Response(status: status, body: [.bytes([1])])
            #expect(r.contentLength == nil)
            #expect(!r.sendsBody)
        }
    }

    @Test func contentLengthSumsTheParts() {
        let r = Response(status: .ok, body: [.bytes([1, 2]), .bytes([]), .bytes([3, 4, 5])])
        #expect(r.contentLength == 5)
        #expect(r.sendsBody)
        #expect(r.forceClose == false)
    }

    @Test func headResponseKeepsContentLength() {
        let r = Response(status: .ok, body: [.bytes([1, 2, 3, 4])], sendsBody: false)
        #expect(r.contentLength == 4)
        #expect(!r.sendsBody)
        #expect(headText(r).contains("\r\nContent-Length: 4\r\n"))
    }

    @Test func fileBodyPartCount() {
        let part = BodyPart.file(FileRegion(.original, offset: 10, length: 25))
        #expect(part.count == 25)
        #expect(BodyPart.bytes([1, 2]).count == 2)
        #expect(Response(status: .ok, body: [.bytes([1]), part]).contentLength == 26)
    }

    @Test func errorBody() {
        let r = Response.error(.notFound)
        let html =
            "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>404 Not Found</h1></body></html>\n"
        #expect(bodyText(r) == html)
        #expect(r.status == .notFound)
        #expect(r.contentLength == html.utf8.count)
        #expect(r.sendsBody)
        #expect(r.headers.count == 1)
        #expect(r.headers.first?.0 == "Content-Type")
        #expect(r.headers.first?.1 == "text/html; charset=utf-8")
        #expect(
            headText(r)
                == "HTTP/1.1 404 Not Found\r\nDate: \(date)\r\nServer: httpd/test\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(html.utf8.count)\r\n\r\n"
        )
    }

    @Test func errorWithExtraHeadersAndWithoutBody() {
        let r = Response.error(.rangeNotSatisfiable, sendsBody: false, extraHeaders: [("Content-Range", "bytes */42")])
        #expect(r.headers.map(\.0) == ["Content-Type", "Content-Range"])
        #expect(r.headers.map(\.1) == ["text/html; charset=utf-8", "bytes */42"])
        #expect(!r.sendsBody)
        #expect(r.contentLength == bodyText(r).utf8.count)
    }

    @Test(arguments: [403, 404, 405, 412, 416, 501])
    func errorsThatKeepTheConnection(code: Int) {
        #expect(Response.error(HTTPStatus(code)).forceClose == false)
    }

    @Test(arguments: [400, 408, 413, 414, 417, 431, 500, 503, 505])
    func errorsThatCloseTheConnection(code: Int) {
        #expect(Response.error(HTTPStatus(code)).forceClose == true)
    }
}
