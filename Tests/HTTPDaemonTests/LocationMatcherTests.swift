// LocationMatcher: the longest covering <Location> prefix on the decoded path's bytes. The check of a prefix
// as the configuration reader gets it is Config's (SiteConfigTests).

import Testing

@testable import Config
@testable import Server

private let locations = LocationMatcher(prefixes: ["/", "/docs", "/docs/private/", "/private", "/docs"])

@Suite struct LocationMatcherTests {
    @Test(arguments: [
        ("/", 0),
        ("/x", 0),
        ("/index.html", 0),
        // Equal prefixes: the later block wins.
        ("/docs", 4),
        ("/docs/", 4),
        ("/docs/a/b.html", 4),
        // A prefix is whole segments.
        ("/docsx", 0),
        ("/docs.html", 0),
        ("/docs/privatex", 4),
        // Written with a trailing slash, a prefix also covers the path without it.
        ("/docs/private", 2),
        ("/docs/private/", 2),
        ("/docs/private/a", 2),
        ("/private", 3),
        ("/private/", 3),
        ("/private/a/b", 3),
        ("/privateer", 0),
        // Bytes, letter case included.
        ("/Docs", 0),
        ("/PRIVATE/a", 0),
        // A path not yet decoded is other bytes (the caller decodes first).
        ("/docs%2Fa", 0),
        ("/docs\0", 0),
    ])
    func longestPrefixWins(path: String, index: Int) {
        #expect(locations.match(path: path) == index)
    }

    @Test func noPrefixNoMatch() {
        #expect(LocationMatcher(prefixes: []).match(path: "/") == nil)
        let m = LocationMatcher(prefixes: ["/a", "/b/"])
        #expect(m.match(path: "/") == nil)
        #expect(m.match(path: "/c") == nil)
        #expect(m.match(path: "/ab") == nil)
        #expect(m.match(path: "/b") == 1)
        #expect(m.match(path: "") == nil)
        #expect(m.match(path: "a") == nil)
        #expect(LocationMatcher(prefixes: ["/"]).match(path: "") == nil)
    }

    @Test func unicodeLookAlikesNeverMatch() {
        let m = LocationMatcher(prefixes: ["/caf\u{E9}", "/k", "/\u{212A}elvin"])
        #expect(m.match(path: "/caf\u{E9}") == 0)
        #expect(m.match(path: "/caf\u{E9}/menu") == 0)
        #expect(m.match(path: "/cafe\u{301}") == nil)
        #expect(m.match(path: "/cafe\u{301}/menu") == nil)
        #expect(m.match(path: "/k/x") == 1)
        #expect(m.match(path: "/\u{212A}/x") == nil)
        #expect(m.match(path: "/K/x") == nil)
        #expect(m.match(path: "/\u{212A}elvin") == 2)
        #expect(m.match(path: "/Kelvin") == nil)
        #expect(m.match(path: "/kelvin") == nil)
    }

    @Test func veryLongPaths() {
        let long = String(repeating: "a", count: 100_000)
        #expect(locations.match(path: "/docs/" + long) == 4)
        #expect(locations.match(path: "/docs" + long) == 0)
        let deep = LocationMatcher(prefixes: ["/" + long])
        #expect(deep.match(path: "/" + long + "/x") == 0)
        #expect(deep.match(path: "/" + long + "b") == nil)
        #expect(deep.match(path: "/" + String(repeating: "a", count: 99_999)) == nil)
    }

    @Test func pathPrefixRule() {
        #expect(PathPrefix.trimmed("/") == "/")
        #expect(PathPrefix.trimmed("/p/") == "/p")
        #expect(PathPrefix.trimmed("/p") == "/p")
        // Trimmed on bytes: U+0600 and the `/` after it are one Character.
        #expect(PathPrefix.trimmed("/\u{600}/").utf8.elementsEqual("/\u{600}".utf8))
        #expect(LocationMatcher(prefixes: ["/\u{600}/"]).match(path: "/\u{600}") == 0)
        #expect(LocationMatcher(prefixes: ["/\u{600}/"]).match(path: "/\u{600}/a") == 0)
        #expect(PathPrefix.covers("/", "/"))
        #expect(PathPrefix.covers("/", "/x"))
        #expect(!PathPrefix.covers("/", ""))
        #expect(PathPrefix.covers("/p", "/p"))
        #expect(PathPrefix.covers("/p", "/p/"))
        #expect(PathPrefix.covers("/p", "/p/q"))
        #expect(!PathPrefix.covers("/p", "/px"))
        #expect(!PathPrefix.covers("/p", "/"))
        #expect(!PathPrefix.covers("/p/q", "/p"))
        #expect(PathPrefix.rest(after: "/", in: "/a/b") == "/a/b")
        #expect(PathPrefix.rest(after: "/p", in: "/p") == "")
        #expect(PathPrefix.rest(after: "/p", in: "/p/") == "/")
        #expect(PathPrefix.rest(after: "/p", in: "/p/a b") == "/a b")
    }

    @Test func theConfigurationCoversAsTheServerDoes() {
        // Config's Redirect loop check (SiteSyntax.covers) decides as PathPrefix.covers does per request.
        let prefixes = ["/", "/p", "/p/q", "/k", "/caf\u{E9}", "/\u{600}"]
        let paths = [
            "", "/", "/p", "/p/", "/px", "/p/q", "/k/x", "/\u{212A}/x", "/K", "/cafe\u{301}", "/caf\u{E9}/a", "/\u{600}/x",
        ]
        for prefix in prefixes {
            for path in paths {
                #expect(SiteSyntax.covers(prefix, path) == PathPrefix.covers(prefix, path), "\(prefix) \(path)")
            }
        }
    }
}
