// FileCache: keys compare as bytes, so canonically equivalent names (NFC/NFD, KELVIN SIGN/K) never share an entry.

import Testing

@testable import Files
@testable import HTTPCore

private func resource(_ text: String, _ path: String) -> FileResource {
    let bytes = Array(text.utf8)
    let entry = FileEntry(
        fd: -1, info: FileInfo(size: bytes.count, modified: 0, etag: "\"\(text)\"", contentType: "text/plain", encoding: nil),
        content: bytes)
    return FileResource(file: entry, variants: [], servedPath: path)
}

@Suite struct FileCacheTests {
    @Test(arguments: [
        ("/caf\u{E9}", "/cafe\u{301}"), ("/\u{212A}", "/K"), ("/\u{212B}", "/\u{C5}"), ("/a\u{301}\u{323}", "/a\u{323}\u{301}"),
    ])
    func equivalentNamesHaveTheirOwnEntries(first: String, second: String) {
        #expect(Array(first.utf8) != Array(second.utf8))
        var cache = FileCache(validity: 10, capacity: 8)
        cache.put(first, .file(resource("one", first)), now: 0)
        #expect(cache.get(second, now: 1) == nil)
        cache.put(second, .file(resource("two", second)), now: 0)
        #expect(cache.file(first, now: 1)?.file.content == Array("one".utf8))
        #expect(cache.file(second, now: 1)?.file.content == Array("two".utf8))
        #expect(cache.entries.count == 2)
    }

    @Test func sameBytesShareAnEntry() {
        var cache = FileCache(validity: 10, capacity: 8)
        cache.put("/a/b.txt", .file(resource("one", "/a/b.txt")), now: 0)
        #expect(cache.file(String(decoding: Array("/a/b.txt".utf8), as: UTF8.self), now: 1)?.file.content == Array("one".utf8))
        #expect(cache.get("/a/b.txt", now: 11) == nil)
    }

    @Test func listingsAreKeptAndFailuresAreNot() {
        var cache = FileCache(validity: 1, capacity: 8)
        cache.put("/dir/", .listing(Array("<html>".utf8)), now: 0)
        cache.put("/missing", .failure(.notFound, "no"), now: 0)
        cache.put("/dir", .directoryRedirect, now: 0)
        guard case .listing(let html) = cache.get("/dir/", now: 0.5) else {
            Issue.record("listing not cached")
            return
        }
        #expect(html == Array("<html>".utf8))
        #expect(cache.get("/missing", now: 0.5) == nil && cache.get("/dir", now: 0.5) == nil)
        #expect(cache.get("/dir/", now: 1.0) == nil)
        #expect(cache.entries.count == 1)
    }
}
