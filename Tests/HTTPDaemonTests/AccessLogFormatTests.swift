// Apache Common/Combined Log Format lines, byte for byte.

import Testing

@testable import Config
@testable import HTTPCore
@testable import Server
@testable import Support

@Suite struct AccessLogFormatTests {
    let entry = AccessLogEntry(
        client: "127.0.0.1", requestLine: "GET /a.txt HTTP/1.1", status: 200, bodyBytes: 6,
        referer: "http://ref/", userAgent: "curl/8.0")

    @Test func combinedLine() {
        #expect(
            AccessLogFormat.combined.line(entry, time: "25/Nov/2026:14:35:35 +0000")
                == "127.0.0.1 - - [25/Nov/2026:14:35:35 +0000] \"GET /a.txt HTTP/1.1\" 200 6 \"http://ref/\" \"curl/8.0\"\n")
    }

    @Test func commonLine() {
        #expect(
            AccessLogFormat.common.line(entry, time: "25/Nov/2026:14:35:35 +0000")
                == "127.0.0.1 - - [25/Nov/2026:14:35:35 +0000] \"GET /a.txt HTTP/1.1\" 200 6\n")
    }

    @Test func missingValuesAreDashes() {
        let e = AccessLogEntry(client: "::1", requestLine: nil, status: 400, bodyBytes: 0, referer: nil, userAgent: nil)
        #expect(AccessLogFormat.combined.line(e, time: "T") == "::1 - - [T] \"-\" 400 - \"-\" \"-\"\n")
    }

    @Test func escapesLikeApache() {
        #expect(AccessLogFormat.escape("plain text") == "plain text")
        #expect(AccessLogFormat.escape("a\"b\\c") == "a\\\"b\\\\c")
        #expect(AccessLogFormat.escape("t\tn\nr\r") == "t\\tn\\nr\\r")
        #expect(AccessLogFormat.escape("\u{01}\u{7f}") == "\\x01\\x7f")
        // Wire bytes arrive one character each (ISO-8859-1): UTF-8 é is two, a raw 0xE9 one.
        #expect(AccessLogFormat.escape("\u{c3}\u{a9}") == "\\xc3\\xa9")
        #expect(AccessLogFormat.escape("caf\u{e9}") == "caf\\xe9")
    }

    @Test func clfTimeShape() {
        let text = AccessLog.clfTime(0)
        // dd/Mon/yyyy:hh:mm:ss +hhmm
        #expect(text.count == 26)
        #expect(text.hasPrefix("01/Jan/1970:") || text.hasPrefix("31/Dec/1969:"))
        let zone = text.suffix(5)
        #expect(zone.first == "+" || zone.first == "-")
    }
}
