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
        cache.put(first, resource("one", first), now: 0)
        #expect(cache.get(second, now: 1) == nil)
        cache.put(second, resource("two", second), now: 0)
        #expect(cache.get(first, now: 1)?.file.content == Array("one".utf8))
        #expect(cache.get(second, now: 1)?.file.content == Array("two".utf8))
        #expect(cache.entries.count == 2)
    }

    @Test func sameBytesShareAnEntry() {
        var cache = FileCache(validity: 10, capacity: 8)
        cache.put("/a/b.txt", resource("one", "/a/b.txt"), now: 0)
        #expect(cache.get(String(decoding: Array("/a/b.txt".utf8), as: UTF8.self), now: 1)?.file.content == Array("one".utf8))
        #expect(cache.get("/a/b.txt", now: 11) == nil)
    }
}
