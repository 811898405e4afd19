// TryFiles: the candidate paths (never decoded twice, never above /), the final status; and when
// FallbackFile answers (method, extension, Accept). The check of its arguments is Config's (SiteConfigTests).

import Config
import Testing

@testable import HTTPCore
@testable import Server

private let pretty: [TryFilesEntry] = [.file("$uri"), .file("$uri.html"), .file("$uri/"), .file("/index.html"), .status(404)]

/// The candidates as bytes (exact: no Unicode equivalence in the comparison).
private func candidates(_ path: String, _ entries: [TryFilesEntry] = pretty) -> [[UInt8]] {
    TryFiles.candidates(entries, path: path).map { Array($0.utf8) }
}

private func bytes(_ paths: [String]) -> [[UInt8]] { paths.map { Array($0.utf8) } }

@Suite struct TryFilesTests {
    @Test func prettyURLs() {
        #expect(candidates("/about") == bytes(["/about", "/about.html", "/about/", "/index.html"]))
        #expect(candidates("/blog/post-1") == bytes(["/blog/post-1", "/blog/post-1.html", "/blog/post-1/", "/index.html"]))
        #expect(candidates("/docs/") == bytes(["/docs/", "/docs/.html", "/docs/", "/index.html"]))
        #expect(candidates("/") == bytes(["/", "/.html", "/", "/index.html"]))
        #expect(candidates("/a b") == bytes(["/a b", "/a b.html", "/a b/", "/index.html"]))
        #expect(candidates("/x", [.file("$uri$uri")]) == bytes(["/x/x"]))
        #expect(candidates("/x", [.file("//a///b")]) == bytes(["/a/b"]))
    }

    @Test func thePathIsNeverDecodedAgain() {
        // A decoded path holding `%2e%2e` (sent as %252e%252e) keeps it: no second decoding, no `..`.
        #expect(
            candidates("/%2e%2e/%2e%2e/etc/passwd")
                == bytes([
                    "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e/%2e%2e/etc/passwd.html", "/%2e%2e/%2e%2e/etc/passwd/", "/index.html",
                ]))
        #expect(candidates("/%2egit/config", [.file("$uri")]) == bytes(["/%2egit/config"]))
        #expect(candidates("/a%2Fb", [.file("$uri")]) == bytes(["/a%2Fb"]))
        #expect(candidates("/a%00", [.file("$uri.html")]) == bytes(["/a%00.html"]))
        #expect(candidates("/x", [.file("/100%.html")]) == bytes(["/100%.html"]))
        #expect(candidates("/$uri", [.file("$uri.html")]) == bytes(["/$uri.html"]))
    }

    @Test func nothingAboveTheRoot() {
        // Templates that the check refuses, given directly: what reaches above / is left out.
        #expect(candidates("/a", [.file("$uri/../../../etc/passwd"), .file("/../x"), .file("$uri")]) == bytes(["/a"]))
        #expect(candidates("/a/b", [.file("$uri/../x")]) == bytes(["/a/x"]))
        // Paths that are no request path are left out.
        #expect(candidates("", [.file("$uri"), .file("/index.html")]) == bytes(["/index.html"]))
        #expect(candidates("x", [.file("$uri")]) == [])
        #expect(candidates("/a\\b", [.file("$uri")]) == [])
    }

    @Test func bytesAreKept() {
        #expect(candidates("/\u{212A}", [.file("$uri.html")]) == bytes(["/\u{212A}.html"]))
        #expect(candidates("/cafe\u{301}", [.file("$uri")]) == bytes(["/cafe\u{301}"]))
        #expect(candidates("/cafe\u{301}", [.file("$uri")]) != bytes(["/caf\u{E9}"]))
        #expect(candidates("/.git", [.file("$uri")]) == bytes(["/.git"]))
        let long = "/" + String(repeating: "a", count: 100_000)
        #expect(candidates(long, [.file("$uri.html")]) == bytes([long + ".html"]))
    }

    @Test func finalStatus() {
        #expect(TryFiles.finalStatus(pretty) == 404)
        #expect(TryFiles.finalStatus([.file("$uri"), .status(503)]) == 503)
        #expect(TryFiles.finalStatus([.file("$uri")]) == nil)
        #expect(TryFiles.finalStatus([]) == nil)
        #expect(TryFiles.candidates([.status(404)], path: "/x") == [])
    }

    @Test(arguments: [
        ("/", true), ("/app", true), ("/app/", true), ("/app/users/42", true), ("/v1.2/users", true), ("/a.b/", true),
        ("/.env", true), ("/a/.well-known", true), ("/app.js", false), ("/users/1.json", false), ("/file.", false),
        ("/...", false), ("/a/b.c/d.e", false), ("/caf\u{E9}", true), ("/x\u{2024}y", true),
    ])
    func fallbackByExtension(path: String, applies: Bool) {
        #expect(TryFiles.fallbackApplies(method: .get, path: path, accept: nil) == applies)
        #expect(TryFiles.fallbackApplies(method: .head, path: path, accept: "text/html") == applies)
    }

    @Test func fallbackOnlyForGetAndHead() {
        for method: HTTPMethod in [.post, .put, .delete, .patch, .options, .connect, .trace, .other("get"), .other("GETX")] {
            #expect(!TryFiles.fallbackApplies(method: method, path: "/app", accept: nil))
        }
        #expect(TryFiles.fallbackApplies(method: HTTPMethod("GET"), path: "/app", accept: nil))
        #expect(!TryFiles.fallbackApplies(method: HTTPMethod("get"), path: "/app", accept: nil))
    }

    @Test(arguments: [
        // Absent or empty: anything is accepted.
        ("", true), (" , ", true),
        ("text/html", true), ("TEXT/HTML", true), ("text/html;q=1", true), ("text/html;q=0.001", true),
        ("text/html;level=1", true), ("*/*", true), ("text/*", true), ("image/webp,*/*;q=0.8", true),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true),
        ("application/json, text/html;q=0.1", true), ("*/*;q=0, text/html", true),
        // q=0 refuses, in every spelling of zero.
        ("text/html;q=0", false), ("text/html; q=0.000", false), ("text/html;Q=0", false), ("text/html ; q = 0.", false),
        ("text/html;level=1;q=0", false), ("*/*;q=0", false), ("text/*;q=0.0", false),
        // The most specific range decides; of equal ones the first.
        ("text/*;q=0, */*", false), ("text/html;q=0, */*", false), ("text/html;q=0, text/*", false),
        ("text/html;q=0, text/html", false), ("text/html, text/html;q=0", true),
        // Not HTML.
        ("application/json", false), ("text/plain", false), ("text/htmlx", false), ("text/html5", false),
        ("application/json, text/plain;q=0.9", false), ("image/*", false), ("te\u{212A}t/html", false),
        ("text/ht\u{212A}ml", false),
        // Not zero (not a valid qvalue either): counted as accepting.
        ("text/html;q=0.0000", true), ("text/html;q=", true), ("text/html;q", true), ("text/html;q=00", true),
    ])
    func fallbackByAccept(accept: String, applies: Bool) {
        #expect(TryFiles.fallbackApplies(method: .get, path: "/app", accept: accept) == applies)
    }

    @Test func longAccept() {
        let many = String(repeating: "a/b;q=0.5, ", count: 20_000)
        #expect(TryFiles.fallbackApplies(method: .get, path: "/app", accept: many + "text/html"))
        #expect(!TryFiles.fallbackApplies(method: .get, path: "/app", accept: many))
        #expect(
            TryFiles.fallbackApplies(method: .get, path: "/app", accept: "text/html;" + String(repeating: ";", count: 100_000)))
    }
}
