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

    @Test func combinedTLSLine() {
        var e = entry
        e.tlsProtocol = "TLSv1.3"
        e.tlsCipher = "TLS_AES_128_GCM_SHA256"
        #expect(
            AccessLogFormat.combinedTLS.line(e, time: "25/Nov/2026:14:35:35 +0000")
                == "127.0.0.1 - - [25/Nov/2026:14:35:35 +0000] \"GET /a.txt HTTP/1.1\" 200 6 \"http://ref/\" \"curl/8.0\" \"TLSv1.3\" \"TLS_AES_128_GCM_SHA256\"\n"
        )
        let e12 = AccessLogEntry(
            client: "::1", requestLine: "GET / HTTP/1.1", status: 304, bodyBytes: 0, referer: nil, userAgent: "a\"b",
            tlsProtocol: "TLSv1.2", tlsCipher: "ECDHE-RSA-AES128-GCM-SHA256")
        #expect(
            AccessLogFormat.combinedTLS.line(e12, time: "T")
                == "::1 - - [T] \"GET / HTTP/1.1\" 304 - \"-\" \"a\\\"b\" \"TLSv1.2\" \"ECDHE-RSA-AES128-GCM-SHA256\"\n")
    }

    @Test func combinedTLSOnAPlainConnection() {
        #expect(
            AccessLogFormat.combinedTLS.line(entry, time: "25/Nov/2026:14:35:35 +0000")
                == "127.0.0.1 - - [25/Nov/2026:14:35:35 +0000] \"GET /a.txt HTTP/1.1\" 200 6 \"http://ref/\" \"curl/8.0\" \"-\" \"-\"\n"
        )
    }

    @Test func theOtherFormatsLeaveTheTLSValuesOut() {
        var e = entry
        e.tlsProtocol = "TLSv1.3"
        e.tlsCipher = "TLS_AES_128_GCM_SHA256"
        #expect(AccessLogFormat.combined.line(e, time: "T") == AccessLogFormat.combined.line(entry, time: "T"))
        #expect(AccessLogFormat.common.line(e, time: "T") == AccessLogFormat.common.line(entry, time: "T"))
        #expect(AccessLogFormat(rawValue: "combined_tls") == .combinedTLS)
        #expect(entry.tlsProtocol == nil && entry.tlsCipher == nil)
    }

    @Test func missingValuesAreDashes() {
        let e = AccessLogEntry(client: "::1", requestLine: nil, status: 400, bodyBytes: 0, referer: nil, userAgent: nil)
        #expect(AccessLogFormat.combined.line(e, time: "T") == "::1 - - [T] \"-\" 400 - \"-\" \"-\"\n")
    }

    @Test func vhostCombinedLine() {
        var e = entry
        e.site = "b.example"
        e.port = 8443
        #expect(
            AccessLogFormat.vhostCombined.line(e, time: "25/Nov/2026:14:35:35 +0000")
                == "b.example:8443 127.0.0.1 - - [25/Nov/2026:14:35:35 +0000] \"GET /a.txt HTTP/1.1\" 200 6 \"http://ref/\" \"curl/8.0\"\n"
        )
        #expect(AccessLogFormat(rawValue: "vhost_combined") == .vhostCombined)
        // The other formats have no site.
        #expect(AccessLogFormat.combined.line(e, time: "T") == AccessLogFormat.combined.line(entry, time: "T"))
        // An inherited socket has no configured port: 0.
        var inherited = entry
        inherited.site = "default"
        #expect(AccessLogFormat.vhostCombined.line(inherited, time: "T").hasPrefix("default:0 127.0.0.1 - - [T] "))
    }

    @Test func theUserFillsPercentU() {
        var e = entry
        e.user = "alice"
        #expect(
            AccessLogFormat.common.line(e, time: "T") == "127.0.0.1 - alice [T] \"GET /a.txt HTTP/1.1\" 200 6\n")
        #expect(
            AccessLogFormat.combined.line(e, time: "T")
                == "127.0.0.1 - alice [T] \"GET /a.txt HTTP/1.1\" 200 6 \"http://ref/\" \"curl/8.0\"\n")
        e.site = "a.example"
        e.port = 80
        #expect(
            AccessLogFormat.vhostCombined.line(e, time: "T")
                == "a.example:80 127.0.0.1 - alice [T] \"GET /a.txt HTTP/1.1\" 200 6 \"http://ref/\" \"curl/8.0\"\n")
    }

    @Test func aHostileUserAndSiteAreEscaped() {
        var e = entry
        // A user name may hold quotes, backslashes, spaces and any byte above 0x7F (never a control byte).
        e.user = "a\" b\\c\u{e9}\u{ff}"
        e.site = "x\"y z\n"
        e.port = 8080
        #expect(
            AccessLogFormat.vhostCombined.line(e, time: "T")
                == "x\\\"y z\\n:8080 127.0.0.1 - a\\\" b\\\\c\\xe9\\xff [T] \"GET /a.txt HTTP/1.1\" 200 6 \"http://ref/\" \"curl/8.0\"\n"
        )
        #expect(
            AccessLogFormat.common.line(e, time: "T") == "127.0.0.1 - a\\\" b\\\\c\\xe9\\xff [T] \"GET /a.txt HTTP/1.1\" 200 6\n")
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
