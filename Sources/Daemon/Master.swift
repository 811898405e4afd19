// The daemon's master: holds the listening sockets, the PID file and the logs, forks the worker that serves,
// and forks a new one when it dies (with back-off in a crash loop). It has no thread, queue or event base:
// it waits for signals with sigtimedwait, so forking stays safe.

import Config
import Server
import Support

#if canImport(Glibc)
    import Glibc
#endif

/// The master process of a daemon and its one worker.
struct Master {
    let settings: ServerSettings
    let options: CommandLineOptions
    let opened: Startup.Opened
    let fileLimit: Int
    /// The end of the pipe to the process that started the daemon (none with `-F`).
    let starter: Lifeline?

    /// The signals the master waits for (blocked, so they stay pending until it asks).
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD]

    /// Writes the PID file, starts the first worker and reports its start-up to the starter, then
    /// supervises until SIGTERM/SIGINT. Returns the exit status.
    func run() -> Int32 {
        let log = opened.errorLog
        var set = Self.signalSet()
        sigprocmask(SIG_BLOCK, &set, nil)
        do throws(StartupError) {
            try opened.pidFile?.write()
        } catch {
            return failStart(error.description)
        }
        // The first worker's start-up decides the daemon's: its word reaches the starter through the master.
        guard let (first, readEnd) = forkWorker(reporting: true) else { return failStart("fork: \(errnoText(errno))") }
        let word = Lifeline.word(from: readEnd!)
        guard word.first == UInt8(ascii: "0") else {
            var status: Int32 = 0
            _ = retryingEINTR { waitpid(first, &status, 0) }
            let message =
                word.isEmpty
                ? "the worker (pid \(first)) \(WorkerExit(status: status).description) during start-up (see the error log)"
                : String(decoding: word.dropFirst(), as: UTF8.self)
            return failStart(message)
        }
        log.log(.notice, "master (pid \(getpid())) started worker pid \(first)")
        starter?.ready()
        return supervise(first)
    }

    /// Waits for signals until stopped: forwards reload and reopen, replaces a worker that died.
    func supervise(_ first: pid_t) -> Int32 {
        let log = opened.errorLog
        var set = Self.signalSet()
        var worker: pid_t? = first
        var started = Self.now()
        var stopping = false
        var respawnAt: Double?
        var policy = RespawnPolicy()
        // Workers replaced after dying; each new worker is told the count (its status pages show it).
        var restarts = 0
        // Once a reload was asked for, a new worker reads the configuration again (the one it replaces may
        // have reloaded it) instead of starting with the master's.
        var reloaded = false
        while true {
            var timeout = timespec(tv_sec: 3600, tv_nsec: 0)
            if let respawnAt {
                let wait = max(0, respawnAt - Self.now())
                timeout = timespec(tv_sec: Int(wait), tv_nsec: Int((wait - Double(Int(wait))) * 1e9))
            }
            let signal = sigtimedwait(&set, nil, &timeout)
            if signal < 0 {
                guard errno == EAGAIN, let at = respawnAt, Self.now() >= at else { continue }
                respawnAt = nil
                if let (pid, _) = forkWorker(reporting: false, reload: reloaded, restarts: restarts + 1) {
                    restarts += 1
                    worker = pid
                    started = Self.now()
                    log.log(.notice, "started worker pid \(pid)")
                } else {
                    log.log(.error, "cannot fork a worker: \(errnoText(errno)); trying again in 1 s")
                    respawnAt = Self.now() + 1
                }
                continue
            }
            switch signal {
            case SIGTERM, SIGINT:
                // The listeners close at once (the worker closes its copies as it begins to stop; with DrainDelay
                // it keeps them, and the sockets, until then), so a new connection is refused, not queued.
                if !stopping { for listener in opened.listeners { Glibc.close(listener.fd) } }
                stopping = true
                guard let worker else { return stopped() }
                kill(worker, signal)
            case SIGHUP:
                reloaded = true
                if let worker { kill(worker, SIGHUP) }
            case SIGUSR1:
                do throws(StartupError) { try log.reopen() } catch { log.log(.error, "reopen failed: \(error)") }
                if let worker { kill(worker, SIGUSR1) }
            default:  // SIGCHLD: reap every child that ended.
                var status: Int32 = 0
                while case .success(let pid) = retryingEINTR({ waitpid(-1, &status, WNOHANG) }), pid > 0 {
                    guard pid == worker else { continue }
                    worker = nil
                    let exit = WorkerExit(status: status)
                    if stopping {
                        if !exit.isClean { log.log(.warn, "worker pid \(pid) \(exit.description) while stopping") }
                        return stopped()
                    }
                    let delay = policy.workerDied(started: started, now: Self.now())
                    if delay > 0 {
                        log.log(
                            .error,
                            "worker pid \(pid) \(exit.description): \(policy.burst) workers died within \(Int(policy.window)) s, "
                                + "waiting \(Int(delay)) s before starting the next one (crash loop)")
                        respawnAt = Self.now() + delay
                    } else {
                        log.log(.error, "worker pid \(pid) \(exit.description); starting a new worker")
                        respawnAt = Self.now()
                    }
                }
                if respawnAt != nil && worker == nil { continue }
            }
        }
    }

    /// Forks a worker that serves on the master's sockets; returns its PID and, when `reporting`, the read end
    /// of the pipe on which it reports its start-up. Nil when fork fails. `restarts`: workers replaced before it.
    func forkWorker(reporting: Bool, reload: Bool = false, restarts: Int = 0) -> (pid_t, Int32?)? {
        var fds: [Int32] = [-1, -1]
        if reporting && pipe(&fds) != 0 { return nil }
        let master = getpid()
        let pid = fork()
        if pid < 0 {
            if reporting {
                Glibc.close(fds[0])
                Glibc.close(fds[1])
            }
            return nil
        }
        if pid > 0 {
            if reporting { Glibc.close(fds[1]) }
            return (pid, reporting ? fds[0] : nil)
        }
        // The worker: dies with the master, keeps nothing of the starter's pipe, takes back the signals.
        if !ParentDeath.follow(master: master) { _exit(0) }
        starter?.close()
        if reporting { Glibc.close(fds[0]) }
        var set = Self.signalSet()
        sigprocmask(SIG_UNBLOCK, &set, nil)
        // The Swift runtime's crash handler (its backtracer) writes to stderr, /dev/null here, and returns from
        // a SIGSEGV sent by kill(2), which the worker then survives: the default action ends the worker (with a
        // core where the limit allows) and the master logs the signal.
        for crash in [SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV] { signal(crash, SIG_DFL) }
        let status = Startup.serveInProcess(
            reload ? currentSettings() : settings, options: options, opened: opened, fileLimit: fileLimit, inherited: false,
            lifeline: reporting ? Lifeline(fd: fds[1]) : nil, master: master, restarts: restarts)
        exit(status)
    }

    /// In a new worker after a reload: the configuration as the file now has it, when it loads and listens
    /// where the master's sockets do (a Listen change needs the worker that reloaded it); else the master's.
    func currentSettings() -> ServerSettings {
        let log = opened.errorLog
        switch loadSettings(options) {
        case .failed(let error):
            log.log(.error, lines: ["the configuration does not load, starting with the one httpd started with:"] + error.lines)
        case .loaded(let new):
            if new.config.effectiveListen == settings.config.effectiveListen { return new }
            log.log(.warn, "Listen changed since httpd started: the new worker keeps the start-up configuration")
        }
        return settings
    }

    /// A start-up failure before the first worker served: logged, reported, the PID file removed; status 1.
    func failStart(_ message: String) -> Int32 {
        opened.errorLog.log(.error, "start-up failed: \(message)")
        opened.pidFile?.remove()
        opened.pidFile?.abandon()
        if let starter { starter.failed(message) } else { printToStderr("httpd: error: \(message)") }
        return 1
    }

    /// The end of a graceful stop: the worker is gone; removes the PID file and logs `stopped`; status 0.
    func stopped() -> Int32 {
        opened.pidFile?.remove()
        opened.errorLog.log(.notice, "stopped")
        return 0
    }

    static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in handled { sigaddset(&set, s) }
        return set
    }

    /// Seconds on the monotonic clock.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
