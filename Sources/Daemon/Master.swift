// The daemon's master: holds the listening sockets, the PID file and the logs, forks the worker that serves,
// forks a new one when it dies (with back-off in a crash loop), and execs a new binary on `-s upgrade`.
// It has no thread, queue or event base: it waits for signals with sigtimedwait, so forking stays safe.

import Config
import Server
import Support

#if canImport(Glibc)
    import Glibc
#endif

/// A worker process the master forked.
struct WorkerProcess {
    var pid: pid_t
    /// Its place among the workers (a replacement takes the slot of the worker it replaces).
    var slot: Int
    var started: Double
    /// Of an older generation (a reload by new workers, an upgrade): finishing its connections, not replaced.
    var retiring = false
}

/// What a worker is told at its fork: who its master is, its slot, how many workers were replaced before it
/// and the configuration generation it starts with.
struct WorkerSpec {
    var master: pid_t
    var slot: Int
    var restarts: Int
    var generation: Int
    /// Where the workers publish their counters for each other's status pages, and this one's place there.
    var board: StatusBoard?
    var boardSlot: Int?
}

/// The master process of a daemon and its workers.
final class Master {
    var settings: ServerSettings
    let options: CommandLineOptions
    var opened: Startup.Opened
    let fileLimit: Int
    /// The end of the pipe to the process that started the daemon (none with `-F`), or to the old master
    /// that started this one for an upgrade.
    let starter: Lifeline?
    /// The binary this process runs, as the path it was started from (what an upgrade execs).
    let executable: String?
    /// Worker processes to keep running (`WorkerProcesses`, fixed at start).
    let count: Int
    /// The shared mapping where workers publish their counters (made before the first fork).
    let board: StatusBoard?
    /// Each live worker's slot on the board.
    var boardSlots: [pid_t: Int] = [:]

    /// The signals the master waits for (blocked, so they stay pending until it asks).
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD]

    var workers: [WorkerProcess] = []
    /// Slots whose worker died, and when their replacement may be forked (crash-loop back-off).
    var respawnAt: [Int: Double] = [:]
    var stopping = false
    var policy = RespawnPolicy()
    /// Workers replaced after they died (each new worker is told the count).
    var restarts = 0
    /// The configuration generation: 1 at start, +1 per reload (in place by the worker, or by new workers).
    var generation = 1
    /// An upgrade under way: the new master has not reported yet.
    var upgrade: UpgradeInProgress?
    /// The new master serves: this one's workers finish their connections, then this master exits.
    var handedOver = false
    var listenersOpen = true
    /// The read ends of the start-up pipes of the workers `launch` forked and still waits for: a worker forked
    /// after them must not keep them.
    var startingReports: [Int32] = []

    init(
        settings: ServerSettings, options: CommandLineOptions, opened: Startup.Opened, fileLimit: Int, starter: Lifeline?
    ) {
        self.settings = settings
        self.options = options
        self.opened = opened
        self.fileLimit = fileLimit
        self.starter = starter
        self.executable = PidFile.executable("self")
        self.count = Self.workerCount(settings.config.workerProcesses)
        self.board = StatusBoard(slots: StatusBoard.slots(forWorkers: count))
    }

    /// A worker ended: its last published counts move to the board's retired totals and its slot is free.
    func retireBoardSlot(of pid: pid_t) {
        if let slot = boardSlots.removeValue(forKey: pid) { _ = board?.retire(slot: slot) }
    }

    var log: ErrorLog { opened.errorLog }

    /// `WorkerProcesses n`, or for `auto` (0) one per online CPU (1 to 64).
    static func workerCount(_ configured: Int) -> Int {
        configured > 0 ? configured : min(max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1), 64)
    }

    /// Why a reload must be the master's, with new workers (nil: the one worker reloads in place, keeping its
    /// connections and caches). Several workers cannot reload in place (a new `Listen` must be bound once), nor a
    /// chrooted one (the configuration file is outside); sockets are the master's to bind and close, so a `Listen`
    /// change is the master's (a dropped address must refuse connections, not queue them on a socket the master
    /// still holds); and a certificate or key the worker's user cannot read is read by the master, as root.
    func reloadNeedsMaster(_ new: ServerSettings) -> String? {
        if count > 1 { return "\(count) worker processes" }
        if settings.chroot != nil || new.chroot != nil { return "Chroot" }
        let held = opened.listeners.compactMap(\.address)
        let wanted = new.config.effectiveListen
        if held.count != wanted.count || !wanted.allSatisfy({ w in held.contains { $0.sameSocket(w) } }) {
            return "Listen changed"
        }
        if let runAs = opened.runAs,
            let (_, directive, path) = TLSFiles.of(new.config).first(where: { !runAs.canRead($0.2, mode: R_OK) })
        {
            return "\(directive) \(path) is readable by root only"
        }
        return nil
    }

    /// Starts the workers; once they serve, writes the PID file and reports to the starter; then supervises
    /// until stopped. Returns the exit status.
    func run() -> Int32 {
        var set = Self.signalSet()
        sigprocmask(SIG_BLOCK, &set, nil)
        // The first workers' start-up decides the daemon's: their word reaches the starter through the master.
        switch launch(settings, opened) {
        case .failed(let message, let logged):
            return failStart(message, logged: logged)
        case .started(let started):
            workers = started
        }
        // The PID file names this master only once it serves (after an upgrade, the old one until then).
        do throws(StartupError) {
            try opened.pidFile?.write()
        } catch {
            for w in workers { kill(w.pid, SIGKILL) }
            for w in workers { waitFor(w.pid) }
            return failStart(error.description)
        }
        let pids = workers.map { "\($0.pid)" }.joined(separator: ", ")
        log.log(.notice, "master (pid \(getpid())) started worker\(count > 1 ? "s" : "") pid \(pids)")
        starter?.ready()
        return supervise()
    }

    /// How forking a generation of workers went.
    enum Launch {
        case started([WorkerProcess])
        /// Why not (`logged`: a worker already logged it); the workers that were forked are gone.
        case failed(String, logged: Bool)
    }

    /// Forks `count` workers for `settings` on the free slots and waits until each reports that it serves;
    /// when one cannot, the others are killed and reaped.
    func launch(_ settings: ServerSettings, _ opened: Startup.Opened) -> Launch {
        var used = Set(workers.map(\.slot))
        var forked: [(WorkerProcess, Int32)] = []
        for _ in 0..<count {
            let slot = (0...).first { !used.contains($0) }!
            used.insert(slot)
            guard let (pid, readEnd) = forkWorker(slot: slot, reporting: true, settings, opened) else {
                let message = "fork: \(errnoText(errno))"
                startingReports = []
                for (w, fd) in forked {
                    Glibc.close(fd)
                    kill(w.pid, SIGKILL)
                    waitFor(w.pid)
                }
                return .failed(message, logged: false)
            }
            forked.append((WorkerProcess(pid: pid, slot: slot, started: Self.now()), readEnd!))
            startingReports.append(readEnd!)
        }
        startingReports = []
        var failure: (String, Bool)?
        let deadline = Self.now() + Self.startTimeout
        for (w, fd) in forked {
            // Waited for in slices, so that a stop asked meanwhile ends the wait (the new workers are then killed).
            while failure == nil, !Self.readable(fd, within: min(0.1, max(0, deadline - Self.now()))) {
                if Self.stopPending() {
                    failure = ("httpd is stopping", false)
                } else if Self.now() >= deadline {
                    failure = ("the worker (pid \(w.pid)) did not report within \(Int(Self.startTimeout)) s (killed)", false)
                }
            }
            guard failure == nil, let word = Lifeline.word(from: fd, within: max(0, deadline - Self.now())) else {
                if failure == nil {
                    failure = ("the worker (pid \(w.pid)) did not report within \(Int(Self.startTimeout)) s (killed)", false)
                } else {
                    Glibc.close(fd)
                }
                continue
            }
            guard failure == nil, word.first != UInt8(ascii: "0") else { continue }
            if word.isEmpty {
                let status = waitFor(w.pid)
                failure = (
                    "the worker (pid \(w.pid)) \(WorkerExit(status: status).description) during start-up (see the error log)",
                    false
                )
            } else {
                failure = (String(decoding: word.dropFirst(), as: UTF8.self), true)
            }
        }
        guard let (message, logged) = failure else { return .started(forked.map(\.0)) }
        for (w, _) in forked where kill(w.pid, SIGKILL) == 0 { waitFor(w.pid) }
        return .failed(message, logged: logged)
    }

    /// Whether `fd` has something to read (or was closed) within `seconds`.
    static func readable(_ fd: Int32, within seconds: Double) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, Int32(seconds * 1000)) > 0
    }

    /// Whether SIGTERM or SIGINT waits (blocked) for the master.
    static func stopPending() -> Bool {
        var pending = sigset_t()
        sigpending(&pending)
        return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1
    }

    /// How long a new worker may take to report that it serves, in seconds.
    static let startTimeout: Double = 60

    /// Waits for child `pid` to end; its wait status.
    @discardableResult
    func waitFor(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        _ = retryingEINTR { waitpid(pid, &status, 0) }
        retireBoardSlot(of: pid)
        return status
    }

    /// Waits for signals until stopped: reloads, passes on reopen, replaces workers that died, runs upgrades.
    func supervise() -> Int32 {
        var set = Self.signalSet()
        while true {
            var wait = 3600.0
            if let next = respawnAt.values.min() { wait = min(wait, max(0, next - Self.now())) }
            // An upgrade's pipe is polled (the master has no event loop): every 50 ms while it lasts.
            if upgrade != nil { wait = min(wait, 0.05) }
            var timeout = timespec(tv_sec: Int(wait), tv_nsec: Int((wait - Double(Int(wait))) * 1e9))
            var info = siginfo_t()
            let signal = sigtimedwait(&set, &info, &timeout)
            if signal > 0, let status = handle(signal, info) { return status }
            if let status = checkUpgrade() { return status }
            if !stopping && !handedOver {
                for (slot, at) in respawnAt where Self.now() >= at {
                    respawnAt[slot] = nil
                    respawn(slot)
                }
            }
        }
    }

    /// Acts on one signal; returns the exit status when the master is done.
    func handle(_ signal: Int32, _ info: siginfo_t) -> Int32? {
        switch signal {
        case SIGTERM, SIGINT:
            // The listeners close at once (the workers close their copies as they begin to stop; with DrainDelay
            // they keep them, and the sockets, until then), so a new connection is refused, not queued.
            closeListeners()
            stopping = true
            respawnAt = [:]
            // A new binary still starting is stopped too: `-s stop` works at every moment of an upgrade.
            if let upgrade { kill(upgrade.pid, SIGTERM) }
            for w in workers { kill(w.pid, signal) }
            return finishedIfIdle()
        case SIGHUP:
            if stopping || handedOver {
                log.log(.notice, "SIGHUP ignored: stopping")
            } else if let upgrade {
                // The new binary reads the configuration file itself; a reload here could bind the addresses it binds.
                log.log(.notice, "SIGHUP ignored: an upgrade is under way (new master pid \(upgrade.pid)); reload once it serves")
            } else {
                reload()
            }
        case SIGUSR1:
            do throws(StartupError) { try log.reopen() } catch { log.log(.error, "reopen failed: \(error)") }
            if settings.chroot != nil && !stopping && !handedOver {
                reopenWithNewWorkers()
            } else {
                for w in workers { kill(w.pid, SIGUSR1) }
            }
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

    /// Reaps every child that ended: a worker (replaced, or the end of a stop, reload or hand-over) or a new master.
    func reap() -> Int32? {
        var status: Int32 = 0
        while case .success(let pid) = retryingEINTR({ waitpid(-1, &status, WNOHANG) }), pid > 0 {
            retireBoardSlot(of: pid)
            if pid == upgrade?.pid { upgrade?.exitStatus = status }
            guard let i = workers.firstIndex(where: { $0.pid == pid }) else { continue }
            let gone = workers.remove(at: i)
            let exit = WorkerExit(status: status)
            if stopping || handedOver || gone.retiring {
                if !exit.isClean { log.log(.warn, "worker pid \(pid) \(exit.description) while stopping") }
                continue
            }
            let delay = policy.workerDied(started: gone.started, now: Self.now())
            if delay > 0 {
                log.log(
                    .error,
                    "worker pid \(pid) \(exit.description): \(policy.burst) workers died within \(Int(policy.window)) s, "
                        + "waiting \(Int(delay)) s before starting the next one (crash loop)")
            } else {
                log.log(.error, "worker pid \(pid) \(exit.description); starting a new worker")
            }
            respawnAt[gone.slot] = Self.now() + delay
        }
        return finishedIfIdle()
    }

    /// Forks a worker into `slot` to replace the one that died (trying again in 1 s if fork fails).
    func respawn(_ slot: Int) {
        restarts += 1
        if let (pid, _) = forkWorker(slot: slot, reporting: false, settings, opened) {
            workers.append(WorkerProcess(pid: pid, slot: slot, started: Self.now()))
            log.log(.notice, "started worker pid \(pid)")
        } else {
            restarts -= 1
            log.log(.error, "cannot fork a worker: \(errnoText(errno)); trying again in 1 s")
            respawnAt[slot] = Self.now() + 1
        }
    }

    /// When stopping or handed over and no worker or new binary is left: the exit status (0).
    func finishedIfIdle() -> Int32? {
        guard stopping || handedOver, workers.isEmpty, upgrade == nil else { return nil }
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

    // MARK: Reload with new workers

    /// SIGHUP: the master reads the configuration (a file that does not load is logged, and the running
    /// configuration stays). The one worker then reloads it in place; when it cannot (`reloadNeedsMaster`), the
    /// master reloads with new workers.
    func reload() {
        let new: ServerSettings
        switch loadSettings(options) {
        case .failed(let error):
            log.log(.error, lines: ["reload failed, keeping the running configuration:"] + error.lines)
            return
        case .loaded(let s):
            new = s
        }
        if let why = reloadNeedsMaster(new) {
            log.log(.notice, "SIGHUP: reloading \(options.configFile) with new workers (\(why))")
            reloadWithNewWorkers(new)
            return
        }
        // The worker reads the file again and counts its generation itself; the master keeps both in step (a
        // replacement starts with them; a reload the worker refuses is counted all the same).
        settings = new
        generation += 1
        for w in workers where !w.retiring { kill(w.pid, SIGHUP) }
    }

    /// A reload to `new` with new workers: what it needs is opened (new listeners, logs), a new generation of
    /// workers starts on it and, once each serves, the old ones finish their connections (each closed after a
    /// response that says `Connection: close`). Otherwise the running configuration stays, and the error log
    /// says why.
    func reloadWithNewWorkers(_ new: ServerSettings) {
        let next: Startup.Opened
        switch Startup.openForReload(new.config, current: opened) {
        case .failure(let error):
            log.log(.error, "reload failed, keeping the running configuration: \(error)")
            return
        case .success(let o):
            next = o
        }
        let kept = Set(opened.listeners.map(\.fd))
        generation += 1
        switch launch(new, next) {
        case .failed(let message, _):
            generation -= 1
            for l in next.listeners where !kept.contains(l.fd) { Glibc.close(l.fd) }
            log.log(.error, "reload failed, keeping the running configuration: \(message)")
        case .started(let started):
            let old = handOver(to: started)
            // Listeners the new configuration dropped close here; the old workers' copies close as they stop accepting.
            let wanted = Set(next.listeners.map(\.fd))
            for l in opened.listeners where !wanted.contains(l.fd) {
                Glibc.close(l.fd)
                log.log(.notice, "no longer listening on \(l.address.map { "\($0)" } ?? "fd \(l.fd)")")
            }
            for (name, was, now) in [
                ("PidFile", settings.config.pidFile ?? "off", new.config.pidFile ?? "off"),
                ("User", settings.config.user ?? "-", new.config.user ?? "-"),
                ("WorkerProcesses", "\(settings.config.workerProcesses)", "\(new.config.workerProcesses)"),
            ] where was != now {
                log.log(.warn, "\(name) changed from \(was) to \(now): takes effect at the next start or upgrade, not on reload")
            }
            settings = new
            opened = next
            log.log(.notice, "configuration reloaded (generation \(generation)): " + Self.handOverText(started, old, "serve"))
        }
    }

    /// The current workers hand over to `started` (SIGWINCH: they stop accepting and finish their connections);
    /// returns their PIDs.
    func handOver(to started: [WorkerProcess]) -> [pid_t] {
        let old = workers.map(\.pid)
        for i in workers.indices { workers[i].retiring = true }
        // The new generation fills every slot: a replacement still waiting out a crash loop's back-off is not forked.
        respawnAt = [:]
        for pid in old { kill(pid, SIGWINCH) }
        workers += started
        return old
    }

    /// SIGUSR1 with Chroot: a chrooted worker cannot open the log paths, so the master reopens them and starts
    /// new workers on the new files; the old ones finish their connections (writing to the old files until then).
    func reopenWithNewWorkers() {
        do throws(StartupError) { try opened.accessLog?.reopen() } catch { log.log(.error, "reopen failed: \(error)") }
        switch launch(settings, opened) {
        case .failed(let message, _):
            log.log(.error, "reopen failed, the workers keep writing to the files they have: \(message)")
        case .started(let started):
            let old = handOver(to: started)
            log.log(.notice, "logs reopened: " + Self.handOverText(started, old, "write the new files"))
        }
    }

    /// `workers pid A, B serve; C, D finish their connections` (`worker pid A serves; C finishes its connections`).
    static func handOverText(_ started: [WorkerProcess], _ old: [pid_t], _ verb: String) -> String {
        let plural = started.count > 1
        let new = "worker\(plural ? "s" : "") pid " + started.map { "\($0.pid)" }.joined(separator: ", ")
        let verbs =
            plural
            ? verb
            : verb.split(separator: " ", maxSplits: 1).enumerated().map { $0 == 0 ? $1 + "s" : String($1) }
                .joined(separator: " ")
        let finishing = old.count > 1 ? "finish their connections" : "finishes its connections"
        return new + " " + verbs + "; " + old.map { "\($0)" }.joined(separator: ", ") + " " + finishing
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
            respawnAt = [:]
            closeListeners()
            let pids = workers.map { "\($0.pid)" }.joined(separator: ", ")
            log.log(
                .notice,
                "upgrade: the new master (pid \(current.pid)) serves; "
                    + (workers.isEmpty
                        ? "no worker left here"
                        : workers.count == 1
                            ? "worker pid \(pids) finishes its connections" : "workers pid \(pids) finish their connections"))
            for w in workers { kill(w.pid, SIGWINCH) }
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

    /// Forks the worker for `slot`, serving `settings` on `opened`'s sockets; returns its PID and, when
    /// `reporting`, the read end of the pipe on which it reports its start-up. Nil when fork fails.
    func forkWorker(slot: Int, reporting: Bool, _ settings: ServerSettings, _ opened: Startup.Opened) -> (pid_t, Int32?)? {
        var fds: [Int32] = [-1, -1]
        if reporting && pipe(&fds) != 0 { return nil }
        let boardSlot = board?.reserveSlot()
        let spec = WorkerSpec(
            master: getpid(), slot: slot, restarts: restarts, generation: generation, board: board, boardSlot: boardSlot)
        let pid = fork()
        if pid > 0, let boardSlot { boardSlots[pid] = boardSlot }
        if pid < 0, let boardSlot { _ = board?.retire(slot: boardSlot) }
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
        if !ParentDeath.follow(master: spec.master) { _exit(0) }
        starter?.close()
        if let upgrade { Glibc.close(upgrade.readEnd) }
        if reporting { Glibc.close(fds[0]) }
        // Nor the start-up pipes of the workers forked before it, nor the PID file (its lock is the master's).
        for fd in startingReports { Glibc.close(fd) }
        self.opened.pidFile?.closeInChild()
        // A new generation's worker keeps only its own listeners (one the reload dropped must close with the old workers).
        let own = Set(opened.listeners.map(\.fd))
        for l in self.opened.listeners where !own.contains(l.fd) { Glibc.close(l.fd) }
        var set = Self.signalSet()
        sigprocmask(SIG_UNBLOCK, &set, nil)
        // The Swift runtime's crash handler (its backtracer) writes to stderr, /dev/null here, and returns from
        // a SIGSEGV sent by kill(2), which the worker then survives: the default action ends the worker (with a
        // core where the limit allows) and the master logs the signal.
        for crash in [SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV] { Glibc.signal(crash, SIG_DFL) }
        // An upgrade is the master's business: SIGUSR2 sent to every process of a unit (`systemctl kill`) must
        // not end a worker (its default action).
        Glibc.signal(SIGUSR2, SIG_IGN)
        let status = Startup.serveInProcess(
            settings, options: options, opened: opened, fileLimit: fileLimit, inherited: false,
            lifeline: reporting ? Lifeline(fd: fds[1]) : nil, worker: spec)
        exit(status)
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
