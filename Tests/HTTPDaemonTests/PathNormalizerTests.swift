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
