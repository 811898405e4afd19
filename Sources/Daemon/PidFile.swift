// The PID file: locked for the daemon's whole life (flock), written atomically (a locked temporary
// file renamed over the path, so readers never see it half-written), removed on a clean exit.
// A stale file left by a crash is not locked, so it never blocks the next start.

public import Support

#if canImport(Glibc)
    public import Glibc
#endif

/// A held PID file.
public final class PidFile {
    public let path: String
    var lockFD: Int32
    var ownFD: Int32 = -1

    /// Takes the lock on `path`, or throws naming the PID that holds it. In an upgrade, the file held by
    /// `upgradingFrom` (the old master) is taken without its lock: `write` replaces it once this one serves.
    public init(path: String, upgradingFrom: pid_t? = nil) throws(StartupError) {
        self.path = path
        // O_NOFOLLOW: the file is opened as root, so a symlink planted in its folder must not be followed;
        // O_NONBLOCK: a FIFO planted there must not hang the start (it is refused as not a regular file).
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
            if fd < 0 { throw StartupError.errno("PidFile \(path)") }
            var st = stat()
            if fstat(fd, &st) != 0 || st.st_mode & S_IFMT != S_IFREG {
                Glibc.close(fd)
                throw StartupError("PidFile \(path) is not a regular file")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let running = Self.readPID(fd)
                if let old = upgradingFrom, running == old {
                    lockFD = fd
                    return
                }
                Glibc.close(fd)
                throw StartupError(
                    "httpd is already running" + (running.map { " (pid \($0))" } ?? "") + ": PidFile \(path) is locked")
            }
            // The lock counts only if the path still names this inode: a running httpd may have just
            // renamed its new file over the one we opened.
            var held = stat()
            var current = stat()
            if fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino, held.st_dev == current.st_dev {
                lockFD = fd
                return
            }
            Glibc.close(fd)
        }
    }

    deinit {
        if lockFD >= 0 { Glibc.close(lockFD) }
        if ownFD >= 0 { Glibc.close(ownFD) }
    }

    /// Writes this process's PID: a locked temporary file renamed over `path`.
    public func write(pid: Int32 = getpid()) throws(StartupError) {
        // A new, unpredictable name created exclusively (never through a planted file or symlink).
        var fd: Int32 = -1
        var temporary = ""
        for _ in 0..<8 {
            let random = UInt64.random(in: 0...UInt64.max)
            temporary = "\(path).\(String(random, radix: 36)).tmp"
            fd = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        if fd < 0 { throw StartupError.errno("PidFile \(temporary)") }
        _ = flock(fd, LOCK_EX | LOCK_NB)
        var text = Array("\(pid)\n".utf8)
        let written = Glibc.write(fd, &text, text.count)
        if written != text.count || rename(temporary, path) != 0 {
            let e = errno
            Glibc.close(fd)
            unlink(temporary)
            throw StartupError.errno("PidFile \(path)", e)
        }
        if ownFD >= 0 { Glibc.close(ownFD) }
        ownFD = fd
        // The old inode is gone from the path; our lock now lives on the new one.
        Glibc.close(lockFD)
        lockFD = -1
    }

    /// In a forked child (a worker): closes this process's copies of the descriptors, so that it holds no lock on
    /// the file (the file stays as it is).
    func closeInChild() {
        if lockFD >= 0 { Glibc.close(lockFD) }
        if ownFD >= 0 { Glibc.close(ownFD) }
        lockFD = -1
        ownFD = -1
    }

    /// Removes the file if it is still ours (called on a clean exit).
    public func remove() {
        var st = stat()
        var mine = stat()
        if ownFD >= 0, fstat(ownFD, &mine) == 0, stat(path, &st) == 0, st.st_ino == mine.st_ino, st.st_dev == mine.st_dev {
            // After dropping privileges the folder may not be ours to change (lighttpd's answer):
            // empty the file through the descriptor we hold, so no stale PID is left.
            if unlink(path) != 0 { _ = ftruncate(ownFD, 0) }
        }
    }

    /// After a start-up failure before `write`: removes the file if it is the empty one locked here
    /// (a stale file with a PID in it is left as it was).
    public func abandon() {
        var held = stat()
        var current = stat()
        guard ownFD < 0, lockFD >= 0, fstat(lockFD, &held) == 0, held.st_size == 0, stat(path, &current) == 0,
            held.st_ino == current.st_ino, held.st_dev == current.st_dev
        else { return }
        unlink(path)
    }

    /// The PID of the running httpd that holds `path`, or an error saying why there is none: the path
    /// must name a regular file itself (not through a symbolic link), locked, whose PID runs this executable.
    public static func runningPID(_ path: String) -> Result<pid_t, StartupError> {
        // O_NOFOLLOW: `-s` runs as root and must not read a file a symlink in the PID file's folder names;
        // O_NONBLOCK: a FIFO planted there must not hang it.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0 {
            if errno == ELOOP { return .failure(StartupError("no running httpd: PidFile \(path) is a symbolic link")) }
            return .failure(StartupError.errno("no running httpd: PidFile \(path)"))
        }
        defer { Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            return .failure(StartupError("no running httpd: PidFile \(path) is not a regular file"))
        }
        guard let pid = readPID(fd) else { return .failure(StartupError("no running httpd: PidFile \(path) holds no PID")) }
        // A file nobody holds a lock on was left by a process that is gone.
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            return .failure(StartupError("no running httpd: PidFile \(path) is stale (pid \(pid) is not running)"))
        }
        // The file may name any process (a file locked by another program, a PidFile shared by mistake):
        // only a process running this very executable is signalled.
        guard let own = executable("self"), let theirs = executable(String(pid)), theirs == own else {
            return .failure(
                StartupError(
                    "no running httpd: PidFile \(path) names pid \(pid), which is not running \(executable("self") ?? "httpd")"))
        }
        return .success(pid)
    }

    /// The executable `/proc/<process>/exe` names, without the ` (deleted)` an upgrade in place leaves; nil
    /// when it cannot be read (no such process).
    static func executable(_ process: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/\(process)/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        var path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return path
    }

    static func readPID(_ fd: Int32) -> pid_t? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        // Leading spaces and tabs, then the digits (whatever follows them, such as the newline, is ignored).
        let digits = buffer[0..<n].drop(while: { $0 == 0x20 || $0 == 0x09 }).prefix(while: isASCIIDigit)
        guard let value = parseDecimal(digits, maxDigits: 18), let pid = pid_t(exactly: value), pid > 0 else { return nil }
        return pid
    }
}
