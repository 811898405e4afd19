// The error log: `[date] [level] [pid N] message` lines to stderr, a file or syslog.
// Used on the loop thread (and by start-up code before the loop exists); reopened on SIGUSR1.

public import Config
public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Writes log lines with one write(2) each, so lines never interleave.
public final class ErrorLog {
    public var level: LogLevel
    public private(set) var target: ErrorLogTarget
    var file: LogFile?

    /// A log to `target`; opens the file now so that an unwritable log is a start-up error.
    public init(level: LogLevel = .info, target: ErrorLogTarget = .stderr) throws(StartupError) {
        self.level = level
        self.target = target
        try open(target)
    }

    func open(_ target: ErrorLogTarget) throws(StartupError) {
        switch target {
        case .stderr: file = nil
        case .syslog:
            file = nil
            Self.connectSyslog()
        case .file(let path): file = try LogFile(path: path)
        }
    }

    /// Opens syslog's socket now (LOG_NDELAY), not at the first message; again in a process that has one is a no-op.
    static func connectSyslog() {
        openlog("httpd", LOG_PID | LOG_NDELAY, LOG_DAEMON)
    }

    /// Switches to a new target and level (reload); keeps the old target when the new one cannot be opened.
    public func reconfigure(level: LogLevel, target: ErrorLogTarget) throws(StartupError) {
        if target != self.target {
            try open(target)
            self.target = target
        }
        self.level = level
    }

    /// Reopens the file (after logrotate renamed it); throws why it cannot, keeping the old one open.
    public func reopen() throws(StartupError) {
        try file?.reopen()
    }

    /// Logs `message` as one line when `messageLevel` is at or above the configured level; the text is
    /// escaped (`LogText`, `"` kept) and cut at `LogText.errorLogLimit` bytes, so a message holding
    /// client bytes can neither start a new line nor send a terminal escape sequence.
    public func log(_ messageLevel: LogLevel, _ message: @autoclosure () -> String) {
        guard messageLevel <= level else { return }
        write(messageLevel, [message()])
    }

    /// Logs httpd's own multi-line message (a heading and, say, a list of configuration errors): each of
    /// `lines` escaped and cut as `log` does, the first after the line prefix, the others indented below it.
    public func log(_ messageLevel: LogLevel, lines: @autoclosure () -> [String]) {
        guard messageLevel <= level else { return }
        write(messageLevel, lines())
    }

    func write(_ messageLevel: LogLevel, _ lines: [String]) {
        let escaped = lines.map { LogText.escape($0, quotes: false, limit: LogText.errorLogLimit) }
        if target == .syslog {
            for text in escaped {
                text.withCString { p in
                    withVaList([p]) { vsyslog(messageLevel.syslogPriority, "%s", $0) }
                }
            }
            return
        }
        let now = LocalTime(Int(time(nil))).formatted("%a %b %d %H:%M:%S %Y")
        let line = "[\(now)] [\(messageLevel)] [pid \(getpid())] " + escaped.joined(separator: "\n  ") + "\n"
        if let file {
            file.write(Array(line.utf8))
        } else {
            var bytes = Array(line.utf8)
            _ = Glibc.write(2, &bytes, bytes.count)
        }
    }
}

/// An append-only log file that can be reopened by path.
public final class LogFile {
    public let path: String
    var fd: Int32

    /// Opens (creating) `path` for appending; throws the reason it cannot be written.
    public init(path: String) throws(StartupError) {
        self.path = path
        fd = try Self.openForAppending(path, "cannot open log file")
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Opens `path` again (a new file after a rename); keeps the old descriptor on failure.
    public func reopen() throws(StartupError) {
        let newFD = try Self.openForAppending(path, "cannot reopen log file")
        close(fd)
        fd = newFD
    }

    /// A descriptor appending to the regular file (or the null device) at `path`, created if missing;
    /// throws `what path: reason` otherwise.
    static func openForAppending(_ path: String, _ what: String) throws(StartupError) -> Int32 {
        // O_NOFOLLOW: logs are opened as root, and their folder may be writable by the User httpd runs as.
        // O_NONBLOCK: a FIFO at the path must not hang the start (with no reader, open fails with ENXIO).
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        if fd < 0 {
            if errno == ENXIO { throw StartupError("\(what) \(path): not a regular file") }
            throw StartupError.errno("\(what) \(path)")
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG || isNullDevice(st) else {
            close(fd)
            throw StartupError("\(what) \(path): not a regular file")
        }
        return fd
    }

    /// True for /dev/null (character device 1:3), the one non-regular file a log may be.
    static func isNullDevice(_ st: stat) -> Bool {
        st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == (1 << 8 | 3)
    }

    /// Appends `bytes` (one write; short writes are retried).
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                guard case .success(let n) = retryingEINTR({ Glibc.write(fd, raw.baseAddress! + done, raw.count - done) }), n > 0
                else { return }
                done += n
            }
        }
    }
}

extension LogLevel {
    /// The syslog priority for this level.
    var syslogPriority: Int32 {
        switch self {
        case .emerg: LOG_EMERG
        case .alert: LOG_ALERT
        case .crit: LOG_CRIT
        case .error: LOG_ERR
        case .warn: LOG_WARNING
        case .notice: LOG_NOTICE
        case .info: LOG_INFO
        case .debug: LOG_DEBUG
        }
    }
}
