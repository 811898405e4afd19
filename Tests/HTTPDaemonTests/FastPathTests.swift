// The per-request shortcuts give exactly what the general code gives: normal paths, hosts, field names.

import Testing

@testable import HTTPCore
@testable import Support

/// Every path from these pieces, up to three segments: dots, escapes, empty segments, non-ASCII.
private let pathPieces = ["", "a", ".", "..", "...", ".a", "a.", "%41", "%2e", "b%20c", "\\", "é", "~x", "a+b", ":", "@"]

private func allPaths() -> [String] {
    var paths = ["/"]
    for a in pathPieces {
        paths.append("/" + a)
        paths.append("/" + a + "/")
        for b in pathPieces {
            paths.append("/" + a + "/" + b)
            for c in ["", "x", ".", ".."] { paths.append("/" + a + "/" + b + "/" + c) }
        }
    }
    return paths + ["", "a", "//", "///a", "/a//b", "/a/./b", "/a/../b", "/.well-known/x"]
}

@Suite struct FastPathTests {
    @Test func alreadyNormalPathsAreTheirOwnResult() throws {
        var fast = 0
        for path in allPaths() {
            let general = PathNormalizer.normalize(bytes: path.latin1Bytes)
            let shortcut = PathNormalizer.normalize(target: path)
            switch (general, shortcut) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(path)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "\(path)")
            default: Issue.record("\(path): \(general) against \(shortcut)")
            }
            var copy = path
            if copy.withUTF8({ PathNormalizer.isAlreadyNormal($0) }) {
                fast += 1
                #expect(try general.get().path == path)
            }
        }
        #expect(fast > 100)
    }

    @Test(arguments: [
        ("example.com", "example.com"), ("Example.COM:8080", "example.com"), ("127.0.0.1:18080", "127.0.0.1"),
        ("[::1]:80", "[::1]"), ("[::1]", "[::1]"), ("", ""), ("a:", "a"), ("x%41y", "x%41y"),
    ])
    func validHosts(_ value: String, _ host: String) {
        #expect(Request.parseHost(value) == host)
    }

    @Test(arguments: ["a b", "[::1", "[]", "[::1]x", "[::g]", "a:123456", "a:1x", "a/b", "a@b", "é.com", "a:b:c"])
    func invalidHosts(_ value: String) {
        #expect(Request.parseHost(value) == nil)
    }

    @Test(arguments: [
        ("close", true, false), ("Keep-Alive", false, true), (" close , keep-alive ", true, true), ("CLOSE", true, false),
        ("closed", false, false), (",,close,,", true, false), ("upgrade", false, false), ("", false, false),
        ("\tkeep-alive\t", false, true),
    ])
    func connectionTokens(_ value: String, _ close: Bool, _ keepAlive: Bool) {
        let options = Request.connectionOptions(value)
        #expect(options.close == close && options.keepAlive == keepAlive)
    }

    @Test func knownFieldNamesAreTheLowercaseName() {
        for name in [
            "host", "range", "accept", "cookie", "expect", "referer", "if-range", "if-match", "priority", "user-agent",
            "connection", "cache-control", "if-none-match", "content-length", "sec-fetch-dest", "sec-fetch-mode",
            "sec-fetch-site", "sec-fetch-user", "accept-encoding", "accept-language", "if-modified-since",
            "transfer-encoding", "if-unmodified-since", "upgrade-insecure-requests",
        ] {
            for spelling in [name, name.uppercased()] {
                var bytes = Array(spelling.utf8)
                let found = bytes.withUnsafeMutableBufferPointer { RequestParser.knownFieldName(UnsafeBufferPointer($0)) }
                #expect(found == name, "\(spelling)")
            }
        }
        for other in ["hosts", "x-host", "", "content-lengtH2"] {
            var bytes = Array(other.utf8)
            #expect(bytes.withUnsafeMutableBufferPointer { RequestParser.knownFieldName(UnsafeBufferPointer($0)) } == nil)
        }
    }

    @Test func fieldLookupsFindEveryNameAndOnlyThose() {
        let names = (0..<200).map { "x-\($0)" } + ["host", "if-none-match", "range"]
        let head = RequestHead(method: "GET", target: "/", version: (1, 1), fields: names.map { (name: $0, value: "v-" + $0) })
        for name in names {
            #expect(head.field(name) == "v-" + name)
            #expect(head.fieldValues(name) == ["v-" + name])
        }
        for absent in ["if-match", "x-200", "referer", "hos"] {
            #expect(head.field(absent) == nil)
            #expect(head.fieldValues(absent).isEmpty)
        }
        var changed = head
        changed.fields.append(HeaderField(name: "referer", value: "r"))
        #expect(changed.field("referer") == "r")
    }

    @Test func byteWriterWritesTextAndNumbers() {
        for n in [0, 7, 10, 99, 1024, 65_535, Int.max] {
            let bytes = [UInt8](unsafeUninitializedCapacity: 19) { buffer, count in
                var out = ByteWriter(buffer)
                out.putDecimal(n)
                count = out.count
            }
            #expect(String(decoding: bytes, as: UTF8.self) == String(n))
        }
        let text = [UInt8](unsafeUninitializedCapacity: 64) { buffer, count in
            var out = ByteWriter(buffer)
            out.put("Date: ")
            out.put("a long value that is not a small string, été")
            out.put("")
            count = out.count
        }
        #expect(String(decoding: text, as: UTF8.self) == "Date: a long value that is not a small string, été")
    }

    @Test func tokenCharactersAreTheRFCSet() {
        let symbols = Array("!#$%&'*+-.^_`|~".utf8)
        for c in 0...255 {
            let b = UInt8(c)
            let expected = isASCIIDigit(b) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || symbols.contains(b)
            #expect(RequestParser.isTokenChar(b) == expected, "byte \(c)")
        }
    }

    @Test func sameBytesIsByteEquality() {
        #expect(sameBytes("/status", "/status"))
        #expect(!sameBytes("/status", "/statu"))
        #expect(!sameBytes("caf\u{E9}", "cafe\u{301}"))
        #expect(sameBytes("", ""))
    }
}
