// HeaderRules: set/append/add/unset on a response's fields by status and `always`, names compared as ASCII
// bytes, the fields httpd owns left alone. The check of a rule's name and value is Config's (SiteConfigTests).

import Config
import Testing

@testable import Server

private func rule(_ action: HeaderRule.Action, _ name: String, _ value: String = "", always: Bool = false) -> HeaderRule {
    HeaderRule(action: action, always: always, name: name, value: value)
}

/// The fields as `name: value` lines, compared as bytes by the callers.
private func lines(_ headers: [(String, String)]) -> [[UInt8]] {
    headers.map { Array("\($0.0): \($0.1)".utf8) }
}

private func applied(_ rules: [HeaderRule], to headers: [(String, String)], status: Int = 200) -> [[UInt8]] {
    var h = headers
    HeaderRules.apply(rules, to: &h, status: status)
    return lines(h)
}

private func expected(_ text: [String]) -> [[UInt8]] { text.map { Array($0.utf8) } }

private let base: [(String, String)] = [
    ("Content-Type", "text/html"), ("x-a", "1"), ("Cache-Control", "max-age=60"), ("X-A", "2"),
]

@Suite struct HeaderRulesTests {
    @Test func noRulesChangeNothing() {
        #expect(applied([], to: base) == lines(base))
        #expect(applied([], to: []) == [])
    }

    @Test func setReplacesEveryLineOfTheName() {
        #expect(
            applied([rule(.set, "X-A", "3")], to: base)
                == expected(["Content-Type: text/html", "Cache-Control: max-age=60", "X-A: 3"]))
        #expect(applied([rule(.set, "X-New", "v")], to: []) == expected(["X-New: v"]))
        #expect(
            applied([rule(.set, "content-type", "text/plain")], to: base)
                == expected(["x-a: 1", "Cache-Control: max-age=60", "X-A: 2", "content-type: text/plain"]))
    }

    @Test func appendJoinsTheFirstLine() {
        #expect(
            applied([rule(.append, "cache-control", "public")], to: base)
                == expected(["Content-Type: text/html", "x-a: 1", "Cache-Control: max-age=60, public", "X-A: 2"]))
        // Only the first line of the name takes the value.
        #expect(
            applied([rule(.append, "X-A", "3")], to: base)
                == expected(["Content-Type: text/html", "x-a: 1, 3", "Cache-Control: max-age=60", "X-A: 2"]))
        #expect(applied([rule(.append, "X-A", "3")], to: [("X-A", "")]) == expected(["X-A: 3"]))
        #expect(applied([rule(.append, "Vary", "Origin")], to: []) == expected(["Vary: Origin"]))
    }

    @Test func addAddsALine() {
        #expect(
            applied([rule(.add, "X-A", "3"), rule(.add, "Link", "</a>")], to: base)
                == expected([
                    "Content-Type: text/html", "x-a: 1", "Cache-Control: max-age=60", "X-A: 2", "X-A: 3", "Link: </a>",
                ]))
    }

    @Test func unsetRemovesEveryLine() {
        #expect(applied([rule(.unset, "X-a")], to: base) == expected(["Content-Type: text/html", "Cache-Control: max-age=60"]))
        #expect(applied([rule(.unset, "X-Absent")], to: base) == lines(base))
    }

    @Test func rulesApplyInOrder() {
        #expect(applied([rule(.set, "X-B", "1"), rule(.unset, "x-b")], to: []) == [])
        #expect(applied([rule(.unset, "X-B"), rule(.add, "X-B", "2")], to: [("X-B", "1")]) == expected(["X-B: 2"]))
        #expect(
            applied([rule(.set, "X-B", "1"), rule(.append, "X-B", "2"), rule(.add, "X-B", "3")], to: [])
                == expected(["X-B: 1, 2", "X-B: 3"]))
    }

    @Test(arguments: [100, 200, 204, 206, 301, 304, 308, 399])
    func rulesApplyBelow400(status: Int) {
        #expect(applied([rule(.set, "X-R", "1")], to: [], status: status) == expected(["X-R: 1"]))
        #expect(applied([rule(.set, "X-R", "1", always: true)], to: [], status: status) == expected(["X-R: 1"]))
    }

    @Test(arguments: [400, 401, 403, 404, 416, 421, 500, 503, 599])
    func onlyAlwaysAppliesToErrors(status: Int) {
        let rules = [rule(.set, "X-R", "1"), rule(.add, "X-S", "2", always: true), rule(.unset, "Content-Type")]
        #expect(applied(rules, to: base, status: status) == lines(base + [("X-S", "2")]))
    }

    @Test func fieldsHttpdOwnsAreLeftAlone() {
        let head: [(String, String)] = [("Content-Type", "text/html"), ("content-length", "5"), ("Date", "x")]
        let rules = [
            rule(.set, "Content-Length", "0", always: true), rule(.unset, "CONTENT-LENGTH"), rule(.unset, "date"),
            rule(.add, "Transfer-Encoding", "chunked"), rule(.set, "Connection", "close"), rule(.add, "Server", "x"),
            rule(.set, "Keep-Alive", "1"), rule(.set, "TE", "x"), rule(.set, "Trailer", "x"), rule(.set, "Upgrade", "h2c"),
            rule(.set, "Content-Range", "bytes 0-1/2"),
        ]
        #expect(applied(rules, to: head) == lines(head))
        for name in SiteSyntax.ownedFields { #expect(HeaderRules.isOwned(name.uppercased())) }
    }

    @Test func unicodeLookAlikesAreOtherNames() {
        // U+212A (Kelvin sign) is not `K`, in either direction.
        #expect(applied([rule(.unset, "K-Test")], to: [("\u{212A}-Test", "a")]) == expected(["\u{212A}-Test: a"]))
        #expect(applied([rule(.unset, "\u{212A}-Test")], to: [("k-test", "a")]) == expected(["k-test: a"]))
        #expect(applied([rule(.unset, "k-test")], to: [("K-Test", "a")]) == [])
        #expect(!HeaderRules.isOwned("\u{212A}eep-Alive"))
        #expect(!HeaderRules.isOwned("Content-Lengt\u{0127}"))
        #expect(!HeaderRules.isOwned("Content-Length "))
    }

    @Test func longValues() {
        let long = String(repeating: "v", count: 100_000)
        #expect(applied([rule(.append, "X-L", long)], to: [("x-l", long)]) == expected(["x-l: \(long), \(long)"]))
    }
}
