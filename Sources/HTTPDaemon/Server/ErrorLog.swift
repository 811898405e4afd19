// The error log: `[date] [level] [pid N] message` lines on stderr (files and syslog come with the daemon issue).
#if canImport(Glibc)
import Glibc
#endif

/// Severity levels, as Apache's LogLevel names them.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case emerg, alert, crit, error, warn, notice, info, debug

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { "\($0)" == name.lowercased() }) else { return nil }
        self = level
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Writes log lines with one write(2) each, so lines from different threads never interleave.
public struct ErrorLog: Sendable {
    public var level: LogLevel
    public var fd: Int32

    public init(level: LogLevel = .info, fd: Int32 = 2) {
        self.level = level
        self.fd = fd
    }

    /// Logs `message` when `messageLevel` is at or above the configured level.
    public func log(_ messageLevel: LogLevel, _ message: @autoclosure () -> String) {
        guard messageLevel <= level else { return }
        var t = time(nil)
        var tm = Glibc.tm()
        localtime_r(&t, &tm)
        var buffer = [CChar](repeating: 0, count: 64)
        strftime(&buffer, 64, "%a %b %d %H:%M:%S %Y", &tm)
        let line = "[\(String(nulTerminated: buffer))] [\(messageLevel)] [pid \(getpid())] \(message())\n"
        var bytes = Array(line.utf8)
        _ = write(fd, &bytes, bytes.count)
    }
}
