// Redirects: which rule covers a path, the Location (rest of the path re-encoded, the query appended), the
// 3xx response. The check of a Redirect line's arguments is Config's (SiteConfigTests).

import Config
import Testing

@testable import HTTPCore
@testable import Server

private let rules = [
    RedirectRule(status: 301, prefix: "/old", target: "https://new.example/"),
    RedirectRule(status: 302, prefix: "/docs", target: "/manual"),
    RedirectRule(status: 307, prefix: "/a/", target: "https://x.test/b"),
    RedirectRule(status: 308, prefix: "/old", target: "/never"),
    RedirectRule(status: 303, prefix: "/", target: "https://fallback.test"),
]

/// The Location for `path` and `query`, as bytes (exact: no Unicode equivalence in the comparison).
private func location(_ path: String, _ query: String? = nil, in rules: [RedirectRule] = rules) -> [UInt8]? {
    Redirects.match(rules, path: path, query: query).map { Array($0.location.utf8) }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct RedirectsTests {
    @Test func theFirstCoveringRuleWins() {
        #expect(Redirects.match(rules, path: "/old", query: nil)?.status == 301)
        #expect(Redirects.match(rules, path: "/old/x", query: nil)?.status == 301)
        #expect(Redirects.match(rules, path: "/docs", query: nil)?.status == 302)
        #expect(Redirects.match(rules, path: "/a/c", query: nil)?.status == 307)
        #expect(Redirects.match(rules, path: "/older", query: nil)?.status == 303)
        #expect(Redirects.match(rules, path: "/", query: nil)?.status == 303)
        #expect(Redirects.match([], path: "/old", query: nil) == nil)
        #expect(Redirects.match(Array(rules.prefix(4)), path: "/x", query: nil) == nil)
    }

    @Test func theRestOfThePathFollowsTheTarget() {
        #expect(location("/old") == bytes("https://new.example/"))
        // One slash between target and rest, whether the target ends with one or not.
        #expect(location("/old/") == bytes("https://new.example/"))
        #expect(location("/old/x") == bytes("https://new.example/x"))
        #expect(location("/old/x/y.html") == bytes("https://new.example/x/y.html"))
        #expect(location("/docs") == bytes("/manual"))
        #expect(location("/docs/") == bytes("/manual/"))
        #expect(location("/docs/guide/") == bytes("/manual/guide/"))
        #expect(location("/older") == bytes("https://fallback.test/older"))
        #expect(location("/") == bytes("https://fallback.test/"))
        #expect(
            location("/x", in: [RedirectRule(status: 301, prefix: "/", target: "https://n.test/")]) == bytes("https://n.test/x"))
        #expect(
            location("/", in: [RedirectRule(status: 301, prefix: "/", target: "https://n.test/")]) == bytes("https://n.test/"))
        #expect(location("/p/x", in: [RedirectRule(status: 301, prefix: "/p", target: "/new/")]) == bytes("/new/x"))
    }

    @Test func aPrefixWithATrailingSlashCoversThePathWithout() {
        #expect(location("/a") == bytes("https://x.test/b"))
        #expect(location("/a/") == bytes("https://x.test/b/"))
        #expect(location("/a/c") == bytes("https://x.test/b/c"))
        #expect(location("/ab") == bytes("https://fallback.test/ab"))
    }

    @Test func theRestIsPercentEncoded() {
        #expect(location("/docs/a b") == bytes("/manual/a%20b"))
        #expect(location("/docs/a?b#c%d") == bytes("/manual/a%3Fb%23c%25d"))
        #expect(location("/docs/caf\u{E9}") == bytes("/manual/caf%C3%A9"))
        #expect(location("/docs/cafe\u{301}") == bytes("/manual/cafe%CC%81"))
        #expect(location("/docs/\u{212A}") == bytes("/manual/%E2%84%AA"))
        #expect(location("/docs/\0\r\n") == bytes("/manual/%00%0D%0A"))
        #expect(location("/docs/<\"'>") == bytes("/manual/%3C%22'%3E"))
        #expect(location("/docs/!$&'()*+,;=:@-._~") == bytes("/manual/!$&'()*+,;=:@-._~"))
        #expect(location("/docs/a\\b") == bytes("/manual/a%5Cb"))
    }

    @Test func theQueryIsAppendedAsReceived() {
        #expect(location("/old/x", "a=1&b=2") == bytes("https://new.example/x?a=1&b=2"))
        #expect(location("/docs", "x=%20y/z?w") == bytes("/manual?x=%20y/z?w"))
        #expect(location("/docs", "a=<b>&c='d'") == bytes("/manual?a=<b>&c='d'"))
        // An empty query is no query.
        #expect(location("/docs", "") == bytes("/manual"))
        // Bytes above 0x7F, as the parser reads them (ISO-8859-1), go out %XX-encoded as those bytes.
        #expect(location("/docs", "q=\u{E9}") == bytes("/manual?q=%E9"))
        #expect(location("/docs", "q=\u{FF}\u{80}") == bytes("/manual?q=%FF%80"))
        // What the parser never gives (a wider character, space, controls, '#') is encoded too.
        #expect(location("/docs", "q=\u{212A}") == bytes("/manual?q=%E2%84%AA"))
        #expect(location("/docs", "a b\r\n#") == bytes("/manual?a%20b%0D%0A%23"))
    }

    @Test func coveringIsOnBytes() {
        let k = [
            RedirectRule(status: 301, prefix: "/k", target: "/new"),
            RedirectRule(status: 301, prefix: "/caf\u{E9}", target: "/c"),
        ]
        #expect(location("/k/x", in: k) == bytes("/new/x"))
        #expect(location("/\u{212A}", in: k) == nil)
        #expect(location("/\u{212A}/x", in: k) == nil)
        #expect(location("/K", in: k) == nil)
        #expect(location("/caf\u{E9}", in: k) == bytes("/c"))
        #expect(location("/cafe\u{301}", in: k) == nil)
        // A decoded path holding "%2F" (sent as %252F) is not under /k.
        #expect(location("/k%2Fx", in: k) == nil)
        #expect(location("/k\0", in: k) == nil)
    }

    @Test func theRestIsCutOnBytes() {
        // U+0600 (a Prepend scalar) and the `/` after it are one Character, and U+0301 joins the `/` before
        // it: a cut on Characters would move the boundary.
        let rules = [
            RedirectRule(status: 301, prefix: "/\u{600}", target: "/n"), RedirectRule(status: 301, prefix: "/old", target: "/n"),
        ]
        #expect(location("/\u{600}/x", in: rules) == bytes("/n/x"))
        #expect(location("/\u{600}", in: rules) == bytes("/n"))
        #expect(location("/old/\u{301}x", in: rules) == bytes("/n/%CC%81x"))
        #expect(location("/old\u{301}", in: rules) == nil)
        #expect(PathPrefix.rest(after: "/\u{600}", in: "/\u{600}/x").utf8.elementsEqual("/x".utf8))
    }

    @Test func veryLongPaths() {
        let long = String(repeating: "a", count: 100_000)
        #expect(location("/old/" + long) == bytes("https://new.example/" + long))
        #expect(
            location("/docs/" + String(repeating: " ", count: 10_000))
                == bytes("/manual/" + String(repeating: "%20", count: 10_000)))
    }

    @Test func theResponse() {
        let r = Redirects.response(status: 301, location: "https://new.example/a?b=<c>&d='e'", isHead: false)
        #expect(r.status == .movedPermanently)
        #expect(r.status.line == "HTTP/1.1 301 Moved Permanently\r\n")
        #expect(
            r.headers.map { bytes("\($0.0): \($0.1)") } == [
                bytes("Location: https://new.example/a?b=<c>&d='e'"), bytes("Content-Type: text/html; charset=utf-8"),
            ])
        let html =
            "<!DOCTYPE html>\n<html><head><title>301 Moved Permanently</title></head>\n"
            + "<body><h1>Moved Permanently</h1><p><a href=\"https://new.example/a?b=&lt;c&gt;&amp;d=&#39;e&#39;\">"
            + "https://new.example/a?b=&lt;c&gt;&amp;d=&#39;e&#39;</a></p></body></html>\n"
        guard case .bytes(let body) = r.body.first, r.body.count == 1 else {
            Issue.record("one body part of bytes expected")
            return
        }
        #expect(body == bytes(html))
        #expect(r.contentLength == html.utf8.count)
        #expect(r.sendsBody)
        #expect(!r.forceClose)
        let head = Redirects.response(status: 301, location: "https://new.example/a?b=<c>&d='e'", isHead: true)
        #expect(!head.sendsBody)
        #expect(head.contentLength == html.utf8.count)
    }

    @Test(arguments: [
        (301, "Moved Permanently"), (302, "Found"), (303, "See Other"), (307, "Temporary Redirect"),
        (308, "Permanent Redirect"),
    ])
    func theResponsePageNamesTheStatus(status: Int, reason: String) {
        let r = Redirects.response(status: status, location: "/x", isHead: false)
        #expect(r.status.code == status)
        guard case .bytes(let body) = r.body.first else {
            Issue.record("a body of bytes expected")
            return
        }
        let expected =
            "<!DOCTYPE html>\n<html><head><title>\(status) \(reason)</title></head>\n"
            + "<body><h1>\(reason)</h1><p><a href=\"/x\">/x</a></p></body></html>\n"
        #expect(body == bytes(expected))
    }
}
