// The logging settings a configuration holds: error-log level and target, access-log format.

/// Severity levels, as Apache's LogLevel names them.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case emerg, alert, crit, error, warn, notice, info, debug

    public init?(name: String) {
        let lower = name.lowercased()
        guard let level = Self.allCases.first(where: { $0.description == lower }) else { return nil }
        self = level
    }

    /// The level's name, as `LogLevel` and the error log write it (a switch: no reflection at start-up).
    public var description: String {
        switch self {
        case .emerg: "emerg"
        case .alert: "alert"
        case .crit: "crit"
        case .error: "error"
        case .warn: "warn"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

}

/// Where error-log lines go (`ErrorLog stderr|syslog|path`).
public enum ErrorLogTarget: Sendable, Equatable {
    case stderr, syslog
    case file(String)
}

/// Which access-log line format to write.
public enum AccessLogFormat: String, Sendable {
    /// Apache's Common Log Format.
    case common
    /// Apache's Combined Log Format (Common, then the Referer and the User-Agent).
    case combined
    /// Combined, then the TLS protocol and cipher (`"%{SSL_PROTOCOL}x" "%{SSL_CIPHER}x"`; `-` on plain connections).
    case combinedTLS = "combined_tls"
    /// Apache's vhost_combined: `site:port ` then Combined, for one log shared by several sites.
    case vhostCombined = "vhost_combined"
}
