// The daemon's master: holds the listening sockets, the PID file and the logs, forks the worker that serves,
// forks a new one when it dies (with back-off in a crash loop), and execs a new binary on `-s upgrade`.
// It has no thread, queue or event base: it waits for signals with sigtimedwait, so forking stays safe.

import Config
import Server
import Support

#if canImport(Glibc)
    import Glibc
#endif

/// The master process of a daemon and its one worker.
final class Master {
    let settings: ServerSettings
    let options: CommandLineOptions
    let opened: Startup.Opened
    let fileLimit: Int
    /// The end of the pipe to the process that started the daemon (none with `-F`), or to the old master
    /// that started this one for an upgrade.
    let starter: Lifeline?
    /// The binary this process runs, as the path it was started from (what an upgrade execs).
    let executable: String?

    /// The signals the master waits for (blocked, so they stay pending until it asks).
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD]

    var worker: pid_t?
    var workerStarted = 0.0
    var stopping = false
    var respawnAt: Double?
    var policy = RespawnPolicy()
    /// Once a reload was asked for, a new worker reads the configuration again (the one it replaces may have
    /// reloaded it) instead of starting with the master's.
    var reloaded = false
    /// An upgrade under way: the new master has not reported yet.
    var upgrade: UpgradeInProgress?
    /// The new master serves: this one's worker finishes its connections, then this master exits.
    var handedOver = false
    var listenersOpen = true

    init(
        settings: ServerSettings, options: CommandLineOptions, opened: Startup.Opened, fileLimit: Int, starter: Lifeline?
    ) {
        self.settings = settings
        self.options = options
        self.opened = opened
        self.fileLimit = fileLimit
        self.starter = starter
        self.executable = PidFile.executable("self")
    }

    var log: ErrorLog { opened.errorLog }

    /// Starts the first worker; once it serves, writes the PID file and reports to the starter; then
    /// supervises until stopped. Returns the exit status.
    func run() -> Int32 {
        var set = Self.signalSet()
        sigprocmask(SIG_BLOCK, &set, nil)
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
            return failStart(message, logged: !word.isEmpty)
        }
        // The PID file names this master only once it serves (after an upgrade, the old one until then).
        do throws(StartupError) {
            try opened.pidFile?.write()
        } catch {
            kill(first, SIGKILL)
            var status: Int32 = 0
            _ = retryingEINTR { waitpid(first, &status, 0) }
            return failStart(error.description)
        }
        worker = first
        workerStarted = Self.now()
        log.log(.notice, "master (pid \(getpid())) started worker pid \(first)")
        starter?.ready()
        return supervise()
    }

    /// Waits for signals until stopped: forwards reload and reopen, replaces a worker that died, runs upgrades.
    func supervise() -> Int32 {
        var set = Self.signalSet()
        while true {
            var wait = 3600.0
            if let respawnAt { wait = min(wait, max(0, respawnAt - Self.now())) }
            // An upgrade's pipe is polled (the master has no event loop): every 50 ms while it lasts.
            if upgrade != nil { wait = min(wait, 0.05) }
            var timeout = timespec(tv_sec: Int(wait), tv_nsec: Int((wait - Double(Int(wait))) * 1e9))
            var info = siginfo_t()
            let signal = sigtimedwait(&set, &info, &timeout)
            if signal > 0, let status = handle(signal, info) { return status }
            if let status = checkUpgrade() { return status }
            if let at = respawnAt, Self.now() >= at, !stopping, !handedOver {
                respawnAt = nil
                respawn()
            }
        }
    }

    /// Acts on one signal; returns the exit status when the master is done.
    func handle(_ signal: Int32, _ info: siginfo_t) -> Int32? {
        switch signal {
        case SIGTERM, SIGINT:
            // The listeners close at once (the worker closes its copies as it begins to stop; with DrainDelay
            // it keeps them, and the sockets, until then), so a new connection is refused, not queued.
            closeListeners()
            stopping = true
            respawnAt = nil
            // A new binary still starting is stopped too: `-s stop` works at every moment of an upgrade.
            if let upgrade { kill(upgrade.pid, SIGTERM) }
            if let worker { kill(worker, signal) }
            return finishedIfIdle()
        case SIGHUP:
            reloaded = true
            if let worker, !handedOver { kill(worker, SIGHUP) }
        case SIGUSR1:
            do throws(StartupError) { try log.reopen() } catch { log.log(.error, "reopen failed: \(error)") }
            if let worker { kill(worker, SIGUSR1) }
        case SIGUSR2:
            // `-s upgrade` sends its PID as the value (sigqueue); `kill -USR2` has none to answer.
            let client: pid_t? =
                info.si_code == SI_QUEUE && info._sifields._rt.si_sigval.sival_int == info._sifields._rt.si_pid
                ? info._sifields._rt.si_pid : nil
            beginUpgrade(client: client)
        default:  // SIGCHLD
            return reap()
        }
        return nil
    }

    /// Reaps every child that ended: the worker (replaced, or the end of a stop or hand-over) or a new master.
    func reap() -> Int32? {
        var status: Int32 = 0
        while case .success(let pid) = retryingEINTR({ waitpid(-1, &status, WNOHANG) }), pid > 0 {
            if pid == upgrade?.pid { upgrade?.exitStatus = status }
            guard pid == worker else { continue }
            worker = nil
            let exit = WorkerExit(status: status)
            if stopping || handedOver {
                if !exit.isClean { log.log(.warn, "worker pid \(pid) \(exit.description) while stopping") }
                continue
            }
            let delay = policy.workerDied(started: workerStarted, now: Self.now())
            if delay > 0 {
                log.log(
                    .error,
                    "worker pid \(pid) \(exit.description): \(policy.burst) workers died within \(Int(policy.window)) s, "
                        + "waiting \(Int(delay)) s before starting the next one (crash loop)")
            } else {
                log.log(.error, "worker pid \(pid) \(exit.description); starting a new worker")
            }
            respawnAt = Self.now() + delay
        }
        return finishedIfIdle()
    }

    /// Forks a worker to replace the one that died (trying again in 1 s if fork fails).
    func respawn() {
        if let (pid, _) = forkWorker(reporting: false, reload: reloaded) {
            worker = pid
            workerStarted = Self.now()
            log.log(.notice, "started worker pid \(pid)")
        } else {
            log.log(.error, "cannot fork a worker: \(errnoText(errno)); trying again in 1 s")
            respawnAt = Self.now() + 1
        }
    }

    /// When stopping or handed over and no worker or new binary is left: the exit status (0).
    func finishedIfIdle() -> Int32? {
        guard stopping || handedOver, worker == nil, upgrade == nil else { return nil }
        // The PID file is removed only if it still names this master (after a hand-over it names the new one).
        opened.pidFile?.remove()
        log.log(.notice, handedOver ? "old master (pid \(getpid())) exits: the upgrade is complete" : "stopped")
        return 0
    }

    /// Closes this master's copies of the listening sockets (once).
    func closeListeners() {
        guard listenersOpen else { return }
        listenersOpen = false
        for listener in opened.listeners { Glibc.close(listener.fd) }
    }

    // MARK: Binary upgrade

    /// SIGUSR2: execs the binary on disk with the listening sockets; `client` is told the outcome.
    func beginUpgrade(client: pid_t?) {
        let refusal: String? =
            if stopping || handedOver { "httpd is stopping" } else if upgrade != nil {
                "an upgrade is already under way (new master pid \(upgrade!.pid))"
            } else if settings.config.foreground {
                "httpd runs in the foreground (-F): whoever started it watches this process; restart it instead"
            } else if executable == nil { "the path of the running binary is unknown (/proc/self/exe)" } else { nil }
        if let refusal {
            log.log(.error, "upgrade refused: \(refusal)")
            if let client { Self.tell(client, serving: nil) }
            return
        }
        log.log(.notice, "upgrade: starting \(executable!)")
        switch Upgrade.start(
            executable: executable!, arguments: CommandLine.arguments, directory: options.startDirectory,
            listeners: opened.listeners)
        {
        case .failure(let error):
            log.log(.error, "upgrade failed, this httpd keeps serving: \(error)")
            if let client { Self.tell(client, serving: nil) }
        case .success(let (pid, readEnd)):
            upgrade = UpgradeInProgress(pid: pid, readEnd: readEnd, started: Self.now(), client: client)
        }
    }

    /// Reads the new master's report; on success hands over (this worker drains, this master exits after
    /// it), on failure or timeout keeps serving. Returns the exit status when the master is done.
    func checkUpgrade() -> Int32? {
        guard var current = upgrade else { return nil }
        var outcome = current.poll()
        if outcome == nil, Self.now() - current.started > UpgradeInProgress.timeout {
            kill(current.pid, SIGKILL)
            outcome = .failed("the new binary did not report within \(Int(UpgradeInProgress.timeout)) s (killed)")
        }
        guard let outcome else {
            upgrade = current
            return nil
        }
        if current.readEnd >= 0 { Glibc.close(current.readEnd) }
        switch outcome {
        case .serving where !stopping:
            upgrade = nil
            handedOver = true
            respawnAt = nil
            closeListeners()
            log.log(
                .notice,
                "upgrade: the new master (pid \(current.pid)) serves; "
                    + (worker.map { "worker pid \($0) finishes its connections" } ?? "no worker left here"))
            if let worker { kill(worker, SIGWINCH) }
            if let client = current.client { Self.tell(client, serving: current.pid) }
            return finishedIfIdle()
        case .serving:
            // Stopped meanwhile: the new master was sent SIGTERM too, and stops.
            upgrade = nil
            if let client = current.client { Self.tell(client, serving: nil) }
            return finishedIfIdle()
        case .failed(let message):
            // The new master (if it still runs) is reaped here or by the next SIGCHLD.
            // It closed the pipe: it is exiting, or it is not an httpd that reports (it is killed).
            var status: Int32 = 0
            if current.exitStatus == nil {
                if case .success(let pid) = retryingEINTR({ waitpid(current.pid, &status, WNOHANG) }), pid == current.pid {
                    current.exitStatus = status
                } else {
                    kill(current.pid, SIGKILL)
                    if case .success(let pid) = retryingEINTR({ waitpid(current.pid, &status, 0) }), pid == current.pid {
                        current.exitStatus = status
                    }
                }
            }
            let reason =
                message.isEmpty
                ? "the new binary \(current.exitStatus.map { WorkerExit(status: $0).description } ?? "ended") during start-up"
                : message
            log.log(.error, "upgrade failed, this httpd keeps serving: \(reason)")
            upgrade = nil
            if let client = current.client { Self.tell(client, serving: nil) }
            return finishedIfIdle()
        }
    }

    /// Answers `-s upgrade` (process `client`): SIGUSR1 whose value is the new master's PID, or 0 for a failure.
    static func tell(_ client: pid_t, serving: pid_t?) {
        _ = sigqueue(client, SIGUSR1, sigval(sival_int: serving ?? 0))
    }

    // MARK: Workers

    /// Forks a worker that serves on the master's sockets; returns its PID and, when `reporting`, the read end
    /// of the pipe on which it reports its start-up. Nil when fork fails.
    func forkWorker(reporting: Bool, reload: Bool = false) -> (pid_t, Int32?)? {
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
        if let upgrade { Glibc.close(upgrade.readEnd) }
        if reporting { Glibc.close(fds[0]) }
        var set = Self.signalSet()
        sigprocmask(SIG_UNBLOCK, &set, nil)
        // The Swift runtime's crash handler (its backtracer) writes to stderr, /dev/null here, and returns from
        // a SIGSEGV sent by kill(2), which the worker then survives: the default action ends the worker (with a
        // core where the limit allows) and the master logs the signal.
        for crash in [SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV] { Glibc.signal(crash, SIG_DFL) }
        let status = Startup.serveInProcess(
            reload ? currentSettings() : settings, options: options, opened: opened, fileLimit: fileLimit, inherited: false,
            lifeline: reporting ? Lifeline(fd: fds[1]) : nil, master: master)
        exit(status)
    }

    /// In a new worker after a reload: the configuration as the file now has it, when it loads and listens
    /// where the master's sockets do (a Listen change needs the worker that reloaded it); else the master's.
    func currentSettings() -> ServerSettings {
        switch loadSettings(options) {
        case .failed(let error):
            log.log(.error, lines: ["the configuration does not load, starting with the one httpd started with:"] + error.lines)
        case .loaded(let new):
            if new.config.effectiveListen == settings.config.effectiveListen { return new }
            log.log(.warn, "Listen changed since httpd started: the new worker keeps the start-up configuration")
        }
        return settings
    }

    /// A start-up failure before the first worker served: logged (unless the worker did), reported, the PID file
    /// given up; status 1.
    func failStart(_ message: String, logged: Bool = false) -> Int32 {
        if !logged { log.log(.error, "start-up failed: \(message)") }
        opened.pidFile?.abandon()
        if let starter { starter.failed(message) } else { printToStderr("httpd: error: \(message)") }
        return 1
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
