// The logging settings a configuration holds: error-log level and target, access-log format.

/// Severity levels, as Apache's LogLevel names them.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case emerg, alert, crit, error, warn, notice, info, debug

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { "\($0)" == name.lowercased() }) else { return nil }
        self = level
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
    case common, combined
}
