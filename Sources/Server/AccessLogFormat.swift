// Apache's Common and Combined Log Formats, byte for byte as mod_log_config writes them, and Combined with
// the TLS protocol and cipher as mod_ssl's variables name them:
//   common:       %h %l %u %t "%r" %>s %b
//   combined:     %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"
//   combined_tls: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{SSL_PROTOCOL}x" "%{SSL_CIPHER}x"
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
    /// The connection's TLS version (`TLSv1.3`), or nil on a plain connection (logged as `-`).
    public var tlsProtocol: String?
    /// The connection's cipher (`TLS_AES_128_GCM_SHA256`), or nil on a plain connection (logged as `-`).
    public var tlsCipher: String?
    /// The user Basic authentication let through (`%u`), or nil (logged as `-`).
    public var user: String?
    /// The site's name and the port the request came in on (`%v:%p`, vhost_combined only).
    public var site: String = ""
    public var port: Int = 0

    public init(
        client: String, requestLine: String?, status: Int, bodyBytes: Int, referer: String?, userAgent: String?,
        tlsProtocol: String? = nil, tlsCipher: String? = nil, user: String? = nil
    ) {
        self.user = user
        self.client = client
        self.requestLine = requestLine
        self.status = status
        self.bodyBytes = bodyBytes
        self.referer = referer
        self.userAgent = userAgent
        self.tlsProtocol = tlsProtocol
        self.tlsCipher = tlsCipher
    }
}

extension AccessLogFormat {
    /// The log line (with its newline) for `entry` at `time` (`25/Nov/2026:14:17:56 +0000`).
    public func line(_ entry: AccessLogEntry, time: String) -> String {
        var s = ""
        if self == .vhostCombined {
            s += Self.escape(entry.site)
            s += ":"
            s += String(entry.port)
            s += " "
        }
        s += entry.client
        s += " - "
        s += entry.user.map(Self.escape) ?? "-"
        s += " ["
        s += time
        s += "] \""
        s += entry.requestLine.map(Self.escape) ?? "-"
        s += "\" "
        s += String(entry.status)
        s += " "
        s += entry.bodyBytes > 0 ? String(entry.bodyBytes) : "-"
        if self != .common {
            s += " \""
            s += entry.referer.map(Self.escape) ?? "-"
            s += "\" \""
            s += entry.userAgent.map(Self.escape) ?? "-"
            s += "\""
        }
        if self == .combinedTLS {
            s += " \""
            s += entry.tlsProtocol.map(Self.escape) ?? "-"
            s += "\" \""
            s += entry.tlsCipher.map(Self.escape) ?? "-"
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
