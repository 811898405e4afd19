// The access log: one Common/Combined line per response, buffered in memory and written at least
// once a second (and when the buffer passes 64 KiB, and on stop). Loop thread only.

public import Config
public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// A buffered access log file.
public final class AccessLog {
    public let format: AccessLogFormat
    let file: LogFile
    var buffer: [UInt8] = []
    var timeSecond = -1
    var timeText = ""

    public init(path: String, format: AccessLogFormat) throws(StartupError) {
        self.format = format
        file = try LogFile(path: path)
        buffer.reserveCapacity(64 * 1024)
    }

    public var path: String { file.path }

    /// Adds a line for `entry` at wall-clock second `now`.
    public func append(_ entry: AccessLogEntry, now: Int) {
        if now != timeSecond {
            timeSecond = now
            timeText = Self.clfTime(now)
        }
        buffer += format.line(entry, time: timeText).utf8
        if buffer.count >= 64 * 1024 { flush() }
    }

    /// Writes buffered lines to the file.
    public func flush() {
        guard !buffer.isEmpty else { return }
        file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, then reopens the file by its path (logrotate renamed it).
    public func reopen() throws(StartupError) {
        flush()
        try file.reopen()
    }

    /// `25/Nov/2026:14:17:56 +0000` in local time, as Apache's %t.
    public static func clfTime(_ seconds: Int) -> String {
        let local = LocalTime(seconds)
        let offset = local.utcOffset / 60
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 60
        let minutes = abs(offset) % 60
        return local.formatted("%d/%b/%Y:%H:%M:%S ") + sign + (hours < 10 ? "0" : "") + "\(hours)" + (minutes < 10 ? "0" : "")
            + "\(minutes)"
    }
}
