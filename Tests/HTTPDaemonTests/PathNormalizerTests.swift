// PathNormalizer: decoding, dot segments, refusals, hidden paths and re-encoding.

import Testing

@testable import Files
@testable import HTTPCore
@testable import Server
@testable import Support

private func normalized(_ raw: String) -> String? {
    if case .success(let n) = PathNormalizer.normalize(raw) { return n.path }
    return nil
}

private func refusal(_ raw: String) -> RequestError? {
    if case .failure(let e) = PathNormalizer.normalize(raw) { return e }
    return nil
}

@Suite struct PathNormalizerTests {
    @Test(arguments: [
        ("/", "/"),
        ("/index.html", "/index.html"),
        ("/a/b/c.txt", "/a/b/c.txt"),
        // Percent-decoding.
        ("/a%20b", "/a b"),
        ("/%41%42c", "/ABc"),
        ("/%c3%a9t%C3%A9", "/été"),
        ("/caf%C3%A9/", "/café/"),
        ("/a+b", "/a+b"),
        ("/%3F%23", "/?#"),
        // Decoded once only.
        ("/%2541", "/%41"),
        ("/%252e%252e/x", "/%2e%2e/x"),
        // Dot segments.
        ("/./a", "/a"),
        ("/a/./b", "/a/b"),
        ("/a/../b", "/b"),
        ("/a/b/../../c", "/c"),
        ("/a/b/..", "/a/"),
        ("/a/b/../", "/a/"),
        ("/a/..", "/"),
        ("/a/.", "/a/"),
        ("/.", "/"),
        ("/a/%2e/b", "/a/b"),
        ("/a/%2e%2e/b", "/b"),
        ("/a/%2E%2E", "/"),
        ("/a/.../b", "/a/.../b"),
        ("/a/..b/c", "/a/..b/c"),
        ("/a/b..", "/a/b.."),
        // Duplicate slashes.
        ("//a///b", "/a/b"),
        ("/a//", "/a/"),
        ("//", "/"),
        ("/a//../b", "/b"),
        // Trailing slash kept.
        ("/dir/", "/dir/"),
        ("/dir/sub/", "/dir/sub/"),
    ])
    func normalizes(raw: String, path: String) {
        #expect(normalized(raw) == path)
    }

    @Test func dotDotDoesNotRiseAboveAnEmptySegment() {
        // "//.." : the empty segment is not a directory, so ".." goes above the root.
        #expect(refusal("//..")?.status == .badRequest)
    }

    @Test func trailingSlashFlag() throws {
        #expect(try PathNormalizer.normalize("/dir/").get().hasTrailingSlash)
        #expect(try PathNormalizer.normalize("/dir/.").get().hasTrailingSlash)
        #expect(try !PathNormalizer.normalize("/dir").get().hasTrailingSlash)
        #expect(try PathNormalizer.normalize("/").get().hasTrailingSlash)
    }

    @Test(arguments: [
        ("/..", "path goes above the document root"),
        ("/../", "path goes above the document root"),
        ("/../etc/passwd", "path goes above the document root"),
        ("/a/../..", "path goes above the document root"),
        ("/a/../../b", "path goes above the document root"),
        ("///../a", "path goes above the document root"),
        ("/%2e%2e/etc/passwd", "path goes above the document root"),
        ("/%2E%2e", "path goes above the document root"),
        ("/.%2e/", "path goes above the document root"),
        ("/a%2fb", "encoded slash in path"),
        ("/a%2F..%2F..%2Fetc", "encoded slash in path"),
        ("/a\\b", "backslash in path"),
        ("/..\\..\\etc", "backslash in path"),
        ("/a%5cb", "backslash in path"),
        ("/a%5C..", "backslash in path"),
        ("/a%00b", "NUL in path"),
        ("/a%00", "NUL in path"),
        ("/%", "bad percent-escape in path"),
        ("/a%", "bad percent-escape in path"),
        ("/a%4", "bad percent-escape in path"),
        ("/a%zz", "bad percent-escape in path"),
        ("/a%g0", "bad percent-escape in path"),
        ("/a%0g", "bad percent-escape in path"),
        ("/a%%41", "bad percent-escape in path"),
        ("/a% 1", "bad percent-escape in path"),
        ("/%ff", "path is not UTF-8"),
        ("/%c3", "path is not UTF-8"),
        ("/%c3%28", "path is not UTF-8"),
        ("/%ed%a0%80", "path is not UTF-8"),
        ("/%c0%af", "path is not UTF-8"),
        ("", "path does not start with /"),
        ("a/b", "path does not start with /"),
        ("*", "path does not start with /"),
        ("%2fa", "path does not start with /"),
    ])
    func refused(raw: String, reason: String) {
        #expect(refusal(raw) == RequestError(.badRequest, reason))
    }

    // MARK: Hidden paths

    @Test(arguments: [
        ("/.git", true),
        ("/.git/config", true),
        ("/a/.env", true),
        ("/a/.hidden/b", true),
        ("/.well-known/.secret", true),
        ("/a/.well-known/x", true),
        ("/.well-known-not/x", true),
        ("/.well-known", false),
        ("/.well-known/", false),
        ("/.well-known/acme-challenge/token", false),
        ("/", false),
        ("/a.b/c", false),
        ("/a/b.", false),
        ("/index.html", false),
    ])
    func isHidden(path: String, hidden: Bool) {
        #expect(PathNormalizer.isHidden(path) == hidden)
    }

    // MARK: Encoding

    @Test(arguments: [
        ("/", "/"),
        ("/a/b.txt", "/a/b.txt"),
        ("/a b", "/a%20b"),
        ("/été", "/%C3%A9t%C3%A9"),
        ("/a?b#c%d", "/a%3Fb%23c%25d"),
        ("/<x>\"'", "/%3Cx%3E%22'"),
        ("/-._~!$&'()*+,;=:@", "/-._~!$&'()*+,;=:@"),
        ("/tab\there", "/tab%09here"),
        ("/back\\slash", "/back%5Cslash"),
    ])
    func encode(path: String, encoded: String) {
        #expect(PathNormalizer.encode(path) == encoded)
    }

    @Test(arguments: ["/a b/c", "/été/x y/", "/100%/", "/a?b#c"])
    func encodeThenNormalizeRoundTrips(path: String) {
        #expect(normalized(PathNormalizer.encode(path)) == path)
    }

    // MARK: Bytes, not Characters (a combining mark or a prepend character glued to `/` is still a slash)

    @Test(arguments: [
        // A combining mark after `/` (U+0301 is CC 81): the byte path has a `..` segment at the root.
        "/../%CC%81x",
        "/..%2F%CC%81x",
        "/../\u{301}x",
        "/a/../../%CC%81x",
        // A prepend character before `/` (U+0600 is D8 80).
        "/a%D8%80/../..",
        "/%D8%80/../../x",
    ])
    func slashGluedToAMarkStillSplits(raw: String) {
        let r = refusal(raw)
        #expect(
            r == RequestError(.badRequest, "path goes above the document root")
                || r == RequestError(.badRequest, "encoded slash in path"))
    }

    @Test(arguments: [
        ("/a/../%CC%81", [0x2F, 0xCC, 0x81]),
        ("/%CC%81/..", [0x2F]),
        ("/%CC%81/../b", [0x2F, 0x62]),
        ("/a/..%CC%81/b", Array("/a/..\u{301}/b".utf8)),
        ("/a/.%CC%81/b", Array("/a/.\u{301}/b".utf8)),
        ("/a%D8%80/../b", [0x2F, 0x62]),
        ("/x/%CC%81/", [0x2F, 0x78, 0x2F, 0xCC, 0x81, 0x2F]),
    ])
    func dotSegmentsAreExactBytes(raw: String, bytes: [UInt8]) throws {
        let path = try PathNormalizer.normalize(raw).get().path
        #expect(Array(path.utf8) == bytes)
    }

    @Test func canonicallyEquivalentPathsStayDifferent() throws {
        let nfc = try PathNormalizer.normalize("/caf%C3%A9").get()
        let nfd = try PathNormalizer.normalize("/cafe%CC%81").get()
        #expect(Array(nfc.path.utf8) == [0x2F, 0x63, 0x61, 0x66, 0xC3, 0xA9])
        #expect(Array(nfd.path.utf8) == [0x2F, 0x63, 0x61, 0x66, 0x65, 0xCC, 0x81])
        #expect(nfc != nfd)
        let kelvin = try PathNormalizer.normalize("/%E2%84%AA").get()
        #expect(Array(kelvin.path.utf8) == [0x2F, 0xE2, 0x84, 0xAA])
        #expect(kelvin != NormalizedPath(path: "/K"))
        #expect(NormalizedPath(path: "/K") == NormalizedPath(path: "/K"))
    }

    @Test(arguments: [
        ("/.\u{301}x", true),
        ("/a/.\u{301}/b", true),
        ("/.well-known\u{301}/x", true),
        ("/.well-known/.\u{301}x", true),
        ("/\u{301}.git", false),
        ("/a\u{301}/b", false),
    ])
    func hiddenByBytes(path: String, hidden: Bool) {
        #expect(PathNormalizer.isHidden(path) == hidden)
    }

    /// The three inputs fuzz-path found against the Character-based normalizer (issue 9): a combining mark
    /// glued to a slash dropped a segment, a prepend character hid `.git` from HideDotfiles, and a mark in
    /// a name under `.well-known` made it look hidden.
    @Test func inputsFoundByFuzzing() throws {
        let glued = try PathNormalizer.normalize("/%DB%990/28").get()
        #expect(Array(glued.path.utf8) == Array("/\u{6D9}0/28".utf8))
        let prepend = try PathNormalizer.normalize("/x%D8%80/.git/config").get()
        #expect(PathNormalizer.isHidden(prepend.path))
        let wellKnown = try PathNormalizer.normalize("/.well-known/%DB%99n").get()
        #expect(!PathNormalizer.isHidden(wellKnown.path))
    }

    @Test func encodeKeepsEveryByte() {
        #expect(PathNormalizer.encode("/cafe\u{301}") == "/cafe%CC%81")
        #expect(PathNormalizer.encode("/caf\u{E9}") == "/caf%C3%A9")
        #expect(PathNormalizer.encode("/\u{212A}") == "/%E2%84%AA")
    }

    @Test(arguments: ["/%CC", "/a/%CC/..", "/%81x", "/%E2%84", "/..%FF", "/%F0%9F%98"])
    func invalidUTF8IsRefused(raw: String) {
        #expect(refusal(raw) == RequestError(.badRequest, "path is not UTF-8"))
    }

    @Test func hexValue() {
        #expect(hexDigitValue(UInt8(ascii: "0")) == 0)
        #expect(hexDigitValue(UInt8(ascii: "9")) == 9)
        #expect(hexDigitValue(UInt8(ascii: "a")) == 10)
        #expect(hexDigitValue(UInt8(ascii: "F")) == 15)
        #expect(hexDigitValue(UInt8(ascii: "g")) == nil)
        #expect(hexDigitValue(UInt8(ascii: "G")) == nil)
        #expect(hexDigitValue(UInt8(ascii: "/")) == nil)
        #expect(hexDigitValue(UInt8(ascii: ":")) == nil)
    }
}
