// `httpd -s upgrade`: asks the master for a binary upgrade (SIGUSR2 carrying this process's PID) and waits
// for its answer (SIGUSR1 carrying the new master's PID, 0 for a failure); exits 0 once the new binary serves.

import Support

#if canImport(Glibc)
    import Glibc
#endif

/// The client side of a binary upgrade.
enum UpgradeCommand {
    /// How long to wait for the master's answer (its own limit for the new binary is 60 s).
    static let timeout: Double = 75

    /// Signals `master` and waits for the outcome; returns the exit status (0 serving, 1 failed).
    static func run(master: pid_t, pidFile: String) -> Int32 {
        var answer = sigset_t()
        sigemptyset(&answer)
        sigaddset(&answer, SIGUSR1)
        sigprocmask(SIG_BLOCK, &answer, nil)
        // A master always has a worker (a process socket activation started serves alone and cannot upgrade).
        if !hasChildren(master) {
            printToStderr(
                "httpd: error: httpd (pid \(master)) runs as one process (socket activation) with no master to start a "
                    + "new binary: restart it instead")
            return 1
        }
        if sigqueue(master, SIGUSR2, sigval(sival_int: getpid())) != 0 {
            printToStderr("httpd: error: cannot signal pid \(master): \(errnoText(errno))")
            return 1
        }
        let deadline = Master.now() + timeout
        while Master.now() < deadline {
            var info = siginfo_t()
            var wait = timespec(tv_sec: 0, tv_nsec: 200_000_000)
            if sigtimedwait(&answer, &info, &wait) == SIGUSR1, info._sifields._rt.si_pid == master {
                let serving = info._sifields._rt.si_sigval.sival_int
                if serving > 0 {
                    print(
                        "httpd: upgraded: the new master (pid \(serving)) serves; the old one (pid \(master)) finishes its connections"
                    )
                    return 0
                }
                printToStderr(
                    "httpd: error: the upgrade failed; the running httpd (pid \(master)) keeps serving (its error log says why)")
                return 1
            }
            // A master that cannot answer (it runs as another user) has still handed over when the PID file
            // names another running httpd.
            if case .success(let now) = PidFile.runningPID(pidFile), now != master {
                print("httpd: upgraded: the new master (pid \(now)) serves; the old one (pid \(master)) finishes its connections")
                return 0
            }
            if kill(master, 0) != 0 && errno == ESRCH {
                printToStderr("httpd: error: the master (pid \(master)) exited during the upgrade")
                return 1
            }
        }
        printToStderr("httpd: error: no answer from the master (pid \(master)) within \(Int(timeout)) s")
        return 1
    }

    /// Whether any process has `pid` as its parent (from /proc/*/stat).
    static func hasChildren(_ pid: pid_t) -> Bool {
        guard let dir = opendir("/proc") else { return true }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard Int32(name) != nil, let stat = readFile("/proc/\(name)/stat") else { continue }
            // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last `)`.
            guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { continue }
            let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
            if fields.count > 1, Int32(String(decoding: fields[1], as: UTF8.self)) == pid { return true }
        }
        return false
    }
}
