// SiteSelector: host → site (exact names, wildcards, ports, case, trailing dots, IPv6), on bytes. The check
// of ServerName/ServerAlias values is Config's (SiteConfigTests).

import Testing

@testable import Server

private let sites = SiteSelector(sites: [
    ["example.org", "www.example.org"],
    ["*.example.org"],
    ["other.test", "*.a.example.org"],
    ["[::1]"],
    ["127.0.0.1"],
])

@Suite struct SiteSelectorTests {
    @Test(arguments: [
        ("example.org", 0),
        ("www.example.org", 0),
        ("other.test", 2),
        // Case, port and one trailing dot do not matter.
        ("WWW.Example.ORG", 0),
        ("example.org.", 0),
        ("example.org:8080", 0),
        ("Example.Org.:443", 0),
        // Wildcards: at least one more label; the longest suffix wins.
        ("x.example.org", 1),
        ("a.example.org", 1),
        ("a.b.example.org", 1),
        ("X.Example.Org.", 1),
        ("x.a.example.org", 2),
        ("y.x.a.example.org", 2),
        // IP literals, as Request.host gives them or raw.
        ("[::1]", 3),
        ("[::1]:8080", 3),
        ("::1", 3),
        ("127.0.0.1", 4),
        ("127.0.0.1:80", 4),
    ])
    func picksTheSite(host: String, site: Int) {
        #expect(sites.pick(host: host) == site)
    }

    @Test(arguments: [
        // Empty (HTTP/1.0 without Host), or nothing left once port and dot are gone.
        "", ".", ":8080", ".:80",
        // Names of no site; look-alikes of names.
        "example.net", "example.org.net", "xexample.org", "example.orgx", "other.test.example",
        // A wildcard needs a whole label before its suffix.
        ".example.org", "a..example.org", "..example.org", ".a.example.org.",
        // Two trailing dots: only one is ignored.
        "example.org..",
        // Bytes that are not the name.
        "example.org\0", "\0example.org", "example org", "[::2]", "[::1", "127.0.0.2",
    ])
    func picksNoSite(host: String) {
        #expect(sites.pick(host: host) == nil)
    }

    @Test func anExactNameBeatsAnEarlierWildcard() {
        let s = SiteSelector(sites: [["*.example.org"], ["www.example.org"]])
        #expect(s.pick(host: "www.example.org") == 1)
        #expect(s.pick(host: "w.example.org") == 0)
        #expect(s.pick(host: "example.org") == nil)
    }

    @Test func theFirstSiteWinsATie() {
        let s = SiteSelector(sites: [["a.test", "*.x.test"], ["a.test", "*.x.test"], ["*.y.x.test"]])
        #expect(s.pick(host: "a.test") == 0)
        #expect(s.pick(host: "b.x.test") == 0)
        #expect(s.pick(host: "b.y.x.test") == 2)
    }

    @Test func namesAreMadeCanonicalWhenBuilt() {
        let s = SiteSelector(sites: [["Example.ORG.", "*.Wild.Test.", "", "*", "*.", "::1"]])
        #expect(s.pick(host: "example.org") == 0)
        #expect(s.pick(host: "a.wild.test") == 0)
        #expect(s.pick(host: "[::1]") == 0)
        #expect(s.pick(host: "anything") == nil)
        #expect(SiteSelector(sites: []).pick(host: "example.org") == nil)
    }

    @Test func unicodeLookAlikesNeverMatch() {
        // Swift's String equality is canonical equivalence: the Kelvin sign equals K, NFD equals NFC.
        #expect("\u{212A}" == "K")
        #expect("caf\u{E9}" == "cafe\u{301}")
        let s = SiteSelector(sites: [["k.example"], ["K.test"], ["*.k.example"], ["caf\u{E9}.test"]])
        #expect(s.pick(host: "k.example") == 0)
        #expect(s.pick(host: "K.EXAMPLE") == 0)
        #expect(s.pick(host: "\u{212A}.example") == nil)
        #expect(s.pick(host: "\u{212A}.test") == nil)
        #expect(s.pick(host: "k.test") == 1)
        #expect(s.pick(host: "a.\u{212A}.example") == nil)
        #expect(s.pick(host: "a.k.example") == 2)
        #expect(s.pick(host: "caf\u{E9}.test") == 3)
        #expect(s.pick(host: "cafe\u{301}.test") == nil)
        // ASCII folding only: the Kelvin sign is not lowered to k, nor U+0130 to i.
        #expect(SiteSelector.canonicalHost("\u{212A}.example") == "\u{212A}.example")
        #expect(SiteSelector(sites: [["i.test"]]).pick(host: "\u{130}.test") == nil)
    }

    @Test func veryLongHosts() {
        let label = String(repeating: "a", count: 100_000)
        #expect(sites.pick(host: label + ".example.org") == 1)
        #expect(sites.pick(host: label) == nil)
        #expect(sites.pick(host: String(repeating: "b.", count: 50_000) + "example.org") == 1)
        #expect(sites.pick(host: String(repeating: "a.", count: 50_000) + "example.org") == 2)
        #expect(sites.pick(host: String(repeating: ".", count: 100_000)) == nil)
    }

    @Test(arguments: [
        ("example.org", "example.org"),
        ("Example.ORG", "example.org"),
        ("example.org.", "example.org"),
        ("example.org:8080", "example.org"),
        ("example.org.:8080", "example.org"),
        ("[::1]", "[::1]"),
        ("[::1]:8080", "[::1]"),
        ("[2001:DB8::1]:443", "[2001:db8::1]"),
        ("2001:DB8::1", "[2001:db8::1]"),
    ])
    func canonicalHost(host: String, canonical: String) {
        #expect(SiteSelector.canonicalHost(host) == canonical)
    }

    @Test func canonicalHostOfNothing() {
        #expect(SiteSelector.canonicalHost("") == nil)
        #expect(SiteSelector.canonicalHost(".") == nil)
        #expect(SiteSelector.canonicalHost(":80") == nil)
    }
}
