// Apache's Common and Combined Log Formats, byte for byte as mod_log_config writes them:
//   common:   %h %l %u %t "%r" %>s %b
//   combined: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"
// Pure: the caller gives the time text and the values.

public import Config

/// One finished (or aborted) request, as the access log needs it.
public struct AccessLogEntry: Sendable {
    public var client: String
    /// The request line as received, or nil when none could be parsed (logged as `-`).
    public var requestLine: String?
    public var status: Int
    /// Body bytes sent (headers not counted), as Apache's %b.
    public var bodyBytes: Int
    public var referer: String?
    public var userAgent: String?

    public init(client: String, requestLine: String?, status: Int, bodyBytes: Int, referer: String?, userAgent: String?) {
        self.client = client
        self.requestLine = requestLine
        self.status = status
        self.bodyBytes = bodyBytes
        self.referer = referer
        self.userAgent = userAgent
    }
}

extension AccessLogFormat {
    /// The log line (with its newline) for `entry` at `time` (`25/Nov/2026:14:17:56 +0000`).
    public func line(_ entry: AccessLogEntry, time: String) -> String {
        var s = entry.client
        s += " - - ["
        s += time
        s += "] \""
        s += entry.requestLine.map(Self.escape) ?? "-"
        s += "\" "
        s += String(entry.status)
        s += " "
        s += entry.bodyBytes > 0 ? String(entry.bodyBytes) : "-"
        if self == .combined {
            s += " \""
            s += entry.referer.map(Self.escape) ?? "-"
            s += "\" \""
            s += entry.userAgent.map(Self.escape) ?? "-"
            s += "\""
        }
        s += "\n"
        return s
    }

    /// Apache's ap_escape_logitem: `"` and `\` backslashed, C escapes for \b \n \r \t \v,
    /// and `\xhh` for other control characters and bytes above 0x7e. Request text is decoded byte for
    /// byte (ISO-8859-1), so each character up to U+00FF is one byte of what the client sent.
    public static func escape(_ text: String) -> String {
        var needs = false
        for b in text.utf8 where b < 0x20 || b > 0x7E || b == 0x22 || b == 0x5C {
            needs = true
            break
        }
        if !needs { return text }
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 8)
        func escaped(_ b: UInt8) {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x0B: out += [0x5C, UInt8(ascii: "v")]
            case 0x20...0x7E: out.append(b)
            default: out += [0x5C, UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        for scalar in text.unicodeScalars {
            if scalar.value <= 0xFF {
                escaped(UInt8(scalar.value))
            } else {
                for b in String(scalar).utf8 { escaped(b) }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
