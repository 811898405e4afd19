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
        LogText.escape(text, quotes: true)
    }
}
