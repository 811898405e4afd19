// Error-log text: client bytes escaped and long messages cut, so one message is always one line.

import Testing

@testable import Config
@testable import Server
@testable import Support

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct LogTextTests {
    @Test func errorLogEscapesControlBytesButNotQuotes() {
        #expect(LogText.escape("plain \"text\"", quotes: false) == "plain \"text\"")
        #expect(LogText.escape("a\\b", quotes: false) == "a\\\\b")
        #expect(LogText.escape("/x\n[error] forged\r", quotes: false) == "/x\\n[error] forged\\r")
        #expect(LogText.escape("/\n\u{1b}[31m", quotes: false) == "/\\n\\x1b[31m")
        #expect(LogText.escape("\u{00}\u{7f}\u{c3}\u{a9}", quotes: false) == "\\x00\\x7f\\xc3\\xa9")
        #expect(LogText.escape("\u{2028}", quotes: false) == "\\xe2\\x80\\xa8")
    }

    @Test func accessLogEscapesQuotesToo() {
        #expect(LogText.escape("a\"b", quotes: true) == "a\\\"b")
        #expect(LogText.escape("a\"b", quotes: true) == AccessLogFormat.escape("a\"b"))
    }

    @Test func longTextIsCutAtTheLimitWithAMarker() {
        let long = String(repeating: "a", count: 100_000)
        let cut = LogText.escape(long, quotes: false, limit: 1024)
        #expect(cut == String(repeating: "a", count: 1024) + "...[truncated, 100000 bytes]")
        #expect(LogText.escape(String(repeating: "a", count: 1024), quotes: false, limit: 1024).utf8.count == 1024)
    }

    @Test func truncationNeverSplitsAnEscape() {
        // 1022 plain bytes, then an escape of four that does not fit: cut before it.
        let text = String(repeating: "a", count: 1022) + "\u{1b}bc"
        #expect(
            LogText.escape(text, quotes: false, limit: 1024) == String(repeating: "a", count: 1022) + "...[truncated, 1025 bytes]"
        )
    }

    @Test func errorLogFileGetsOneEscapedTruncatedLinePerMessage() throws {
        let path = "/tmp/httpd-logtext-\(getpid()).log"
        unlink(path)
        defer { unlink(path) }
        let log = try ErrorLog(level: .info, target: .file(path))
        log.log(.error, "[client 127.0.0.1] 404 \"GET /%0A%1B[31m HTTP/1.1\": not found: /\n\u{1b}[31m")
        log.log(.error, "417 expectation: " + String(repeating: "x", count: 100_000))
        log.log(.error, lines: ["reload failed:", "httpd.conf:3: bad\nvalue"])
        let text = try #require(readTextFile(path))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 5)
        #expect(
            lines[0].hasSuffix(
                "] [error] [pid \(getpid())] [client 127.0.0.1] 404 \"GET /%0A%1B[31m HTTP/1.1\": not found: /\\n\\x1b[31m"))
        #expect(
            lines[1].hasSuffix("417 expectation: " + String(repeating: "x", count: 1024 - 17) + "...[truncated, 100017 bytes]"))
        #expect(lines[2].hasSuffix("] reload failed:"))
        #expect(lines[3] == "  httpd.conf:3: bad\\nvalue")
        #expect(lines[4] == "")
    }
}
