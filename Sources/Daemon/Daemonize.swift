// "Fork off and die" (Stevens; darkhttpd's lifeline): fork, setsid, fork again, chdir("/"), umask,
// stdio to /dev/null. The starting process waits on a pipe and exits only when the daemon reports
// that it is ready (status 0) or has failed (status 1 and the message, printed on the terminal).

public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's end of the pipe to the process that started it.
public final class Lifeline {
    var fd: Int32

    init(fd: Int32) { self.fd = fd }

    /// Tells the starter that the daemon serves; the starter exits 0.
    public func ready() {
        send("0")
    }

    /// Tells the starter why start-up failed; it prints `message` and exits 1.
    public func failed(_ message: String) {
        send("1" + message)
    }

    /// Closes this end without a word (a forked worker's copy of the starter's end): the starter must see
    /// only the word of the process that owns it.
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// What was sent on the pipe whose read end is `readEnd` (read until every writer closed it, then
    /// closed): `0` for ready, `1` and a message for a failure, nothing for a process that died first.
    static func word(from readEnd: Int32) -> [UInt8] {
        word(from: readEnd, within: -1)!
    }

    /// As `word(from:)`, giving up after `seconds` (negative: never): nil when the pipe is still open then
    /// (the read end is closed either way).
    static func word(from readEnd: Int32, within seconds: Double) -> [UInt8]? {
        defer { Glibc.close(readEnd) }
        var message: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let deadline = Master.now() + seconds
        while true {
            if seconds >= 0 {
                var ready = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                let left = Int32(max(0, (deadline - Master.now()) * 1000))
                let n = poll(&ready, 1, left)
                if n < 0 && errno == EINTR { continue }
                if n == 0 { return nil }
            }
            guard case .success(let n) = retryingEINTR({ read(readEnd, &chunk, chunk.count) }), n > 0 else { break }
            message += chunk[0..<n]
        }
        return message
    }

    func send(_ text: String) {
        guard fd >= 0 else { return }
        var bytes = Array(text.utf8)
        _ = write(fd, &bytes, bytes.count)
        Glibc.close(fd)
        fd = -1
    }
}

/// Classic Unix daemonizing; call before any thread, Dispatch queue or event base exists.
public enum Daemonize {
    /// Detaches from the terminal. Returns only in the daemon; the starting process exits with
    /// the daemon's start-up status, printing its message on failure.
    public static func detach() throws(StartupError) -> Lifeline {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw StartupError.errno("pipe") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        let first = fork()
        if first < 0 { throw StartupError.errno("fork") }
        if first > 0 {
            Glibc.close(writeEnd)
            waitForDaemon(readEnd, firstChild: first)
        }
        // First child: new session without a controlling terminal, then fork again so the daemon is
        // not a session leader and can never acquire a terminal; its parent becomes init.
        Glibc.close(readEnd)
        if setsid() < 0 { _exit(1) }
        signal(SIGHUP, SIG_IGN)
        let second = fork()
        if second < 0 { _exit(1) }
        if second > 0 { _exit(0) }
        signal(SIGHUP, SIG_DFL)
        _ = chdir("/")
        umask(0o022)
        let devNull = open("/dev/null", O_RDWR)
        if devNull >= 0 {
            dup2(devNull, 0)
            dup2(devNull, 1)
            dup2(devNull, 2)
            if devNull > 2 { Glibc.close(devNull) }
        }
        return Lifeline(fd: writeEnd)
    }

    /// The starter: reaps the first child, then waits for the daemon's word; never returns.
    static func waitForDaemon(_ readEnd: Int32, firstChild: pid_t) -> Never {
        var status: Int32 = 0
        _ = retryingEINTR { waitpid(firstChild, &status, 0) }
        let message = Lifeline.word(from: readEnd)
        guard let first = message.first else {
            printToStderr("httpd: error: the daemon exited during start-up (see the error log)")
            exit(1)
        }
        if first == UInt8(ascii: "0") { exit(0) }
        printToStderr("httpd: error: " + String(decoding: message.dropFirst(), as: UTF8.self))
        exit(1)
    }
}
