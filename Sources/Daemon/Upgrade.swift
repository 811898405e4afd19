// Binary upgrade (`-s upgrade`, SIGUSR2 to the master): the old master execs the binary on disk with its
// listening sockets and a pipe; the new master serves on them, writes the PID file and says so on the pipe;
// then the old worker drains and the old master exits. A new binary that fails leaves the old one serving.

import Config
import IO
import Server
import Support

#if canImport(Glibc)
    import Glibc
#endif

/// What an old master hands the binary it starts: its listening sockets from fd 3 on, then the write end of
/// the pipe on which the new master reports its start-up, described by two environment variables.
public struct UpgradeHandoff: Equatable {
    /// `HTTPD_UPGRADE=<old master pid> <listener count>`.
    static let variable = "HTTPD_UPGRADE"
    /// `HTTPD_UPGRADE_LISTEN=<host> <port>,…`: the address each socket was bound for, in descriptor order.
    static let listenVariable = "HTTPD_UPGRADE_LISTEN"

    public struct Socket: Equatable {
        var host: String
        var port: UInt16
        var fd: Int32
    }

    var oldMaster: pid_t
    var sockets: [Socket]
    /// The pipe's write end (the descriptor after the sockets).
    var reportFD: Int32

    /// The descriptors the hand-off occupies from fd 3 on (kept when stray descriptors are closed).
    var descriptorCount: Int32 { Int32(sockets.count) + 1 }

    /// The environment entries that describe `sockets` (bound for `addresses`) to the binary `oldMaster` starts.
    static func environment(oldMaster: pid_t, addresses: [(host: String, port: UInt16)]) -> [(String, String)] {
        [
            (variable, "\(oldMaster) \(addresses.count)"),
            (listenVariable, addresses.map { "\($0.host) \($0.port)" }.joined(separator: ",")),
        ]
    }

    /// The hand-off the two variables describe, for a process whose parent is `parent`; nil when they are
    /// absent, malformed, or name another process than the parent (a stray variable in a shell does nothing).
    static func parse(_ value: String?, listen: String?, parent: pid_t) -> UpgradeHandoff? {
        guard let value, let listen else { return nil }
        let words = value.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 2, let old = pid_t(words[0]), old == parent, old > 1, let count = Int32(words[1]),
            count >= 0, count < 1024
        else { return nil }
        let entries = listen.isEmpty ? [] : listen.split(separator: ",", omittingEmptySubsequences: false)
        guard entries.count == Int(count) else { return nil }
        var sockets: [Socket] = []
        for (i, entry) in entries.enumerated() {
            let parts = entry.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let port = UInt16(parts[1]) else { return nil }
            sockets.append(Socket(host: String(parts[0]), port: port, fd: 3 + Int32(i)))
        }
        return UpgradeHandoff(oldMaster: old, sockets: sockets, reportFD: 3 + count)
    }

    /// The hand-off this process received, if its parent started it for an upgrade; the variables are removed
    /// (a worker or a later upgrade must not see them).
    public static func received() -> UpgradeHandoff? {
        let value = getenv(variable).map { String(cString: $0) }
        let listen = getenv(listenVariable).map { String(cString: $0) }
        unsetenv(variable)
        unsetenv(listenVariable)
        return parse(value, listen: listen, parent: getppid())
    }

    /// The socket handed over for `address`, if any.
    func socket(for address: ListenAddress) -> Int32? {
        sockets.first { $0.host == address.host && $0.port == address.port }?.fd
    }

    /// The pipe to the old master, as the new master's starter.
    func lifeline() -> Lifeline {
        _ = fcntl(reportFD, F_SETFD, FD_CLOEXEC)
        return Lifeline(fd: reportFD)
    }

    /// Tells the old master why this binary cannot start (before the master's own reporting exists).
    public func failed(_ message: String) {
        lifeline().failed(message)
    }
}

/// An upgrade under way, as the old master sees it.
struct UpgradeInProgress {
    /// The new master (a child of this one until this one exits).
    var pid: pid_t
    /// The read end of its report pipe (non-blocking).
    var readEnd: Int32
    var word: [UInt8] = []
    var started: Double
    /// The `-s upgrade` process to tell the outcome (its PID came with the signal).
    var client: pid_t?
    /// The new master's wait status once it was reaped.
    var exitStatus: Int32?

    /// How long a new binary may take to report before it is killed and the upgrade fails.
    static let timeout: Double = 60

    /// What the pipe said, once it is closed: nil while open; `.success` for the ready word, else the reason.
    enum Outcome: Equatable {
        case serving
        case failed(String)
    }

    /// Reads what the pipe holds; the outcome once the new master has closed it.
    mutating func poll() -> Outcome? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(readEnd, &chunk, chunk.count)
            if n > 0 {
                word += chunk[0..<n]
                continue
            }
            if n < 0 && (errno == EINTR) { continue }
            if n < 0 { return nil }  // EAGAIN: not closed yet.
            Glibc.close(readEnd)
            readEnd = -1
            return Self.outcome(word)
        }
    }

    /// The outcome a closed pipe's bytes mean (pure): `0` alone is success, `1…` a failure with its message.
    static func outcome(_ word: [UInt8]) -> Outcome {
        if word == [UInt8(ascii: "0")] { return .serving }
        if word.first == UInt8(ascii: "1") {
            return .failed(String(decoding: word.dropFirst(), as: UTF8.self))
        }
        return .failed("")
    }
}

/// Starting the new binary.
enum Upgrade {
    /// Forks and execs `executable` with `arguments` in `directory` (where httpd was started, for relative
    /// paths), handing it `listeners`; returns the new master's PID and the pipe's read end, or why not.
    static func start(
        executable: String, arguments: [String], directory: String?, listeners: [BoundListener]
    ) -> Result<(pid_t, Int32), StartupError> {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return .failure(StartupError.errno("pipe")) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let addresses = listeners.map { (host: $0.address?.host ?? "", port: $0.address?.port ?? 0) }
        let environment = UpgradeHandoff.environment(oldMaster: getpid(), addresses: addresses)
        let pid = fork()
        if pid < 0 {
            let e = errno
            Glibc.close(fds[0])
            Glibc.close(fds[1])
            return .failure(StartupError.errno("fork", e))
        }
        if pid > 0 {
            Glibc.close(fds[1])
            let flags = fcntl(fds[0], F_GETFL)
            _ = fcntl(fds[0], F_SETFL, flags | O_NONBLOCK)
            return .success((pid, fds[0]))
        }
        // The child (the master has no other thread, so anything is safe here): the sockets at 3…, the pipe
        // after them, every signal unblocked and default, then exec.
        let sources = listeners.map(\.fd) + [fds[1]]
        // Out of the way first, so that placing one never overwrites another.
        let high = sources.map { fcntl($0, F_DUPFD_CLOEXEC, 3 + Int32(sources.count)) }
        for (i, fd) in high.enumerated() where fd < 0 || dup2(fd, 3 + Int32(i)) < 0 {
            Self.childFailed(high.last ?? fds[1], "cannot pass the listening sockets: \(errnoText(errno))")
        }
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        for s in Master.handled { signal(s, SIG_DFL) }
        if let directory, chdir(directory) != 0 {
            Self.childFailed(3 + Int32(listeners.count), "chdir \(directory): \(errnoText(errno))")
        }
        for (name, value) in environment { setenv(name, value, 1) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv(executable, &argv)
        Self.childFailed(3 + Int32(listeners.count), "cannot run \(executable): \(errnoText(errno))")
    }

    /// In the child: reports on the pipe why the exec did not happen, and exits.
    static func childFailed(_ fd: Int32, _ message: String) -> Never {
        var bytes = Array(("1" + message).utf8)
        _ = write(fd, &bytes, bytes.count)
        _exit(127)
    }
}
