// Start-up in the order the daemon contract needs: take the PID file, bind, open logs, daemonize
// (before any thread, queue or event base), build the event base and the server, write the PID,
// drop privileges, report ready; then serve until stopped and clean up. inetd mode shares the pieces.

public import Config
import IO
public import Server
public import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Why a configuration could not be used.
public enum LoadError: Error, CustomStringConvertible {
    /// Errors in the file or `-c`, each `file:line: message`.
    case config(ConfigErrors)
    /// A value that reads well but does not work (missing DocumentRoot, unreadable types file).
    case startup(StartupError)

    /// One line per error, as printed on the terminal.
    public var description: String { lines.joined(separator: "\n") }

    /// The errors, one per line.
    public var lines: [String] {
        switch self {
        case .config(let e): e.errors.map(\.description)
        case .startup(let e): ["httpd: error: \(e)"]
        }
    }

    /// The errors without the `httpd: error:` a terminal gets (for a log line).
    public var plainLines: [String] {
        switch self {
        case .config(let e): e.errors.map(\.description)
        case .startup(let e): [e.description]
        }
    }
}

/// A configuration loaded and checked, or why it cannot be used. A plain enum rather than a `Result`: the
/// runtime instantiates a generic Result's metadata at its first use, checking `Error` against every
/// conformance in the binary, which inetd mode would pay at every connection.
public enum LoadedSettings {
    case loaded(ServerSettings)
    case failed(LoadError)
}

/// Loads and checks the configuration named by the command line.
public func loadSettings(_ options: CommandLineOptions) -> LoadedSettings {
    switch ConfigLoader.load(file: options.configFile, directives: options.directives, startDirectory: options.startDirectory) {
    case .failure(let errors):
        return .failed(.config(errors))
    case .success(var config):
        if options.foreground { config.foreground = true }
        // inetd mode serves without its Chroot (README), so only -t checks the paths there.
        let chroot = options.inetd && options.action == .serve ? (plan: nil, errors: []) : ChrootCheck.plan(config)
        if !chroot.errors.isEmpty { return .failed(.config(ConfigErrors(chroot.errors))) }
        do throws(StartupError) {
            var settings = try ServerSettings.make(config, checkTLSChain: !options.inetd || options.action == .checkConfig)
            settings.chroot = chroot.plan
            return .loaded(settings)
        } catch {
            return .failed(.startup(error))
        }
    }
}

/// Runs the server for `settings`; returns the process's exit status.
public enum Startup {
    /// What stand-alone start-up opens before detaching, so that its errors reach the terminal.
    struct Opened {
        var runAs: RunAsUser?
        var pidFile: PidFile?
        var listeners: [BoundListener]
        var errorLog: ErrorLog
        var accessLog: AccessLog?
    }

    /// Stand-alone: PID file, bind, open logs, detach, event base, server, PID write, privilege drop,
    /// ready; then serves until stopped. Returns the exit status. With a `handoff` (an upgrade), the old
    /// master's sockets are used and the start-up is reported to it instead of a terminal.
    public static func serve(_ settings: ServerSettings, options: CommandLineOptions, handoff: UpgradeHandoff? = nil) -> Int32 {
        let config = settings.config
        if let chroot = settings.chroot, geteuid() != 0 {
            printToStderr(chroot.error("Chroot needs httpd to start as root").description)
            return 1
        }
        signal(SIGPIPE, SIG_IGN)
        let fileLimit = FileLimit.raiseToHardLimit()
        // systemd socket activation: serve on the inherited listening sockets instead of binding Listen.
        let inherited = handoff == nil ? Sockets.inheritedListeners() : nil
        let opened: Opened
        switch openBeforeDetaching(config, inherited: inherited, handoff: handoff) {
        case .failure(let error):
            if let handoff { handoff.failed(error.description) } else { printToStderr("httpd: error: \(error)") }
            return 1
        case .success(let o):
            opened = o
        }

        var lifeline: Lifeline?
        if let handoff {
            // Already a daemon's child (no terminal, stdio on /dev/null): it runs from `/` as a daemon does.
            lifeline = handoff.lifeline()
            _ = chdir("/")
        } else if !config.foreground {
            do {
                lifeline = try Daemonize.detach()
            } catch {
                printToStderr("httpd: error: \(error)")
                return 1
            }
        }

        // On its own sockets (as a daemon or with -F), httpd runs as a master that forks the worker serving them (socket activation
        // stays one process: systemd supervises it).
        if inherited == nil {
            return Master(settings: settings, options: options, opened: opened, fileLimit: fileLimit, starter: lifeline).run()
        }
        return serveInProcess(
            settings, options: options, opened: opened, fileLimit: fileLimit, inherited: inherited != nil, lifeline: lifeline)
    }

    /// The server's life after detaching: event base, server, signals, PID write (unless a `master` owns
    /// the PID file), the chroot (with `Chroot`), privilege drop, ready; then serves until stopped. Returns the
    /// exit status. In a worker, `lifeline` reports to the master, which then reports to the starter, and `worker`
    /// says which one it is (master, slot, workers replaced before it: status pages show them; configuration generation).
    static func serveInProcess(
        _ settings: ServerSettings, options: CommandLineOptions, opened: Opened, fileLimit: Int, inherited: Bool,
        lifeline: Lifeline?, worker: WorkerSpec? = nil
    ) -> Int32 {
        let master = worker?.master
        let config = settings.config
        let errorLog = opened.errorLog
        // Before the worker pool's first thread: one malloc arena for all (a daemon at rest is mostly small).
        Malloc.useOneArena()
        // The server logs "listening on" as it is made; a signal sent from then on waits for its handler.
        holdSignals(true)
        // With Chroot the server is made with the paths it will open seen from inside the folder.
        let chroot = settings.chroot
        do throws(StartupError) {
            let (loop, server) = try makeServer(
                chroot.map { settings.insideChroot($0) } ?? settings, listeners: opened.listeners, inherited: inherited,
                errorLog: errorLog, accessLog: opened.accessLog, worker: worker)
            server.chrootDirectory = chroot?.configured
            if let worker { server.continueGeneration(worker.generation) }
            if let worker, let board = worker.board, let slot = worker.boardSlot {
                try server.publishStatus(on: board, slot: slot)
            }
            warnIfFileLimitLow(fileLimit, config, errorLog)
            // Start the worker pool now: Dispatch sets up its threads (and an epoll fd) on first use,
            // and must not meet the open-file limit for the first time under load.
            server.warmUpWorkers()
            try stopOnSignals(loop, server)
            if let chroot {
                try EnterChroot.onSignals(loop, server, errorLog, chroot)
            } else {
                try reopenAndReloadOnSignals(loop, server, errorLog, options)
            }
            // A master's upgrade: the new worker accepts on the same sockets; this one finishes its connections.
            if master != nil {
                try loop.onSignal(SIGWINCH) { server.handOver() }
            } else {
                // One process (socket activation): no master to start a new binary; SIGUSR2 must not end it.
                try loop.onSignal(SIGUSR2) {
                    errorLog.log(.warn, "SIGUSR2 ignored: one process (socket activation) has no master to upgrade; restart it")
                }
            }
            holdSignals(false)
            // The PID file is written while still root (its folder is often root's, like /run),
            // then the root changes (Chroot) and privileges drop before the first request is read.
            if master == nil { try opened.pidFile?.write() }
            if let chroot { try EnterChroot.enter(chroot, server, runAs: opened.runAs, worker: master != nil, errorLog) }
            try dropPrivileges(opened.runAs, config, errorLog)
            // Changing the user cleared the parent-death signal: ask again (and check the master still lives).
            if let master, !ParentDeath.follow(master: master) { throw StartupError("the master (pid \(master)) has exited") }
            logStarted(settings, inheritedListeners: inherited ? opened.listeners.count : nil, worker: master != nil, errorLog)
            logAuthUserFiles(server.loadAuthUserFiles(), errorLog)
            logTLS(settings, errorLog)
            // A master reloads such files as root (with a new worker); one process alone cannot. Inside a chroot the
            // files' paths are not there, and no reload reads them again anyway.
            if let runAs = opened.runAs, chroot == nil, master == nil { warnUnreadableTLSFiles(config, runAs, errorLog) }
            lifeline?.ready()
            // What start-up allocated and freed (configuration text, parsing) goes back before serving.
            Malloc.trim()
            server.run()
            if master == nil {
                opened.pidFile?.remove()
                errorLog.log(.notice, "stopped")
            }
            return 0
        } catch {
            errorLog.log(.error, "start-up failed: \(error)")
            if master == nil {
                opened.pidFile?.remove()
                opened.pidFile?.abandon()
            }
            if let lifeline { lifeline.failed(error.description) } else { printToStderr("httpd: error: \(error)") }
            return 1
        }
    }

    /// Resolves the user to run as, takes the PID file (a second httpd names the running one), binds
    /// `Listen` (unless systemd passed `inherited` sockets) and opens the logs, in that order; on
    /// failure gives the PID file up again and returns the error.
    static func openBeforeDetaching(
        _ config: Configuration, inherited: [Int32]?, handoff: UpgradeHandoff? = nil
    ) -> Result<Opened, StartupError> {
        var pidFile: PidFile?
        do throws(StartupError) {
            var runAs: RunAsUser?
            if let user = config.user, getuid() == 0 {
                runAs = try RunAsUser.resolve(user: user, group: config.group)
            }
            pidFile = try config.pidFile.map { path throws(StartupError) in
                try PidFile(path: path, upgradingFrom: handoff?.oldMaster)
            }
            var listeners: [BoundListener] = []
            if let inherited {
                // An inherited socket speaks TLS when a `Listen … tls` names its port.
                let tlsPorts = config.effectiveListen.filter(\.tls).map { ":\($0.port)" }
                listeners = inherited.map { fd in
                    let local = Sockets.localAddress(fd)
                    return BoundListener(address: nil, fd: fd, tls: tlsPorts.contains { local.hasSuffix($0) })
                }
            } else {
                // An upgrade's sockets serve the addresses they were bound for; the others are bound here.
                var handed = Set(handoff?.sockets.map(\.fd) ?? [])
                for address in config.effectiveListen {
                    if let fd = handoff?.socket(for: address), handed.remove(fd) != nil {
                        Sockets.prepareInherited(fd)
                        listeners.append(BoundListener(address: address, fd: fd))
                        continue
                    }
                    let fd = try Sockets.bindListener(host: address.host, port: address.port)
                    listeners.append(BoundListener(address: address, fd: fd))
                }
                // Addresses the new configuration no longer has.
                for fd in handed { close(fd) }
            }
            let errorLog = try ErrorLog(level: config.logLevel, target: config.effectiveErrorLog)
            let accessLog = try openAccessLog(config)
            return .success(
                Opened(runAs: runAs, pidFile: pidFile, listeners: listeners, errorLog: errorLog, accessLog: accessLog))
        } catch {
            pidFile?.abandon()
            return .failure(error)
        }
    }

    /// What a master's reload with new workers opens for `config` before forking them: the listeners it already
    /// has for the addresses kept, new ones bound for the others, and the logs (the same ones when unchanged).
    /// On failure, what was opened here is closed again.
    static func openForReload(_ config: Configuration, current: Opened) -> Result<Opened, StartupError> {
        var bound: [Int32] = []
        do throws(StartupError) {
            var listeners: [BoundListener] = []
            for address in config.effectiveListen {
                if let kept = current.listeners.first(where: { $0.address?.sameSocket(address) ?? false }) {
                    listeners.append(BoundListener(address: address, fd: kept.fd))
                    continue
                }
                let fd = try Sockets.bindListener(host: address.host, port: address.port)
                bound.append(fd)
                listeners.append(BoundListener(address: address, fd: fd))
            }
            let errorLog =
                current.errorLog.target == config.effectiveErrorLog && current.errorLog.level == config.logLevel
                ? current.errorLog : try ErrorLog(level: config.logLevel, target: config.effectiveErrorLog)
            let accessLog =
                current.accessLog.map { "\($0.format) \($0.path)" } == config.accessLog.map { "\($0.format) \($0.path)" }
                ? current.accessLog : try openAccessLog(config)
            var next = current
            next.listeners = listeners
            next.errorLog = errorLog
            next.accessLog = accessLog
            return .success(next)
        } catch {
            for fd in bound { close(fd) }
            return .failure(error)
        }
    }

    /// The access log, when the configuration names one.
    static func openAccessLog(_ config: Configuration) throws(StartupError) -> AccessLog? {
        try config.accessLog.map { log throws(StartupError) in try AccessLog(path: log.path, format: log.format) }
    }

    /// The event base and the server on it, which is the master's `worker` or, without one, serves alone; call
    /// after detaching (the base must be the daemon's own).
    static func makeServer(
        _ settings: ServerSettings, listeners: [BoundListener], inherited: Bool, errorLog: ErrorLog, accessLog: AccessLog?,
        worker: WorkerSpec? = nil
    ) throws(StartupError) -> (EventLoop, Server) {
        let loop = try EventLoop()
        let identity = WorkerIdentity(
            slot: worker?.slot ?? 0, pid: getpid(), master: worker?.master, started: loop.nowSeconds(),
            restarts: worker?.restarts ?? 0)
        let server = try Server(
            loop: loop, settings: settings, listeners: listeners, log: errorLog, accessLog: accessLog, identity: identity)
        server.listenersInherited = inherited
        return (loop, server)
    }

    /// Logs a warning when the open-file limit is below what the configuration may need.
    static func warnIfFileLimitLow(_ fileLimit: Int, _ config: Configuration, _ errorLog: ErrorLog) {
        guard FileLimit.needed(config) > fileLimit else { return }
        errorLog.log(
            .warn,
            "the open-file limit (\(fileLimit)) is below what MaxConnections \(config.maxConnections) and "
                + "FileCacheEntries \(config.fileCacheEntries) may need (\(FileLimit.needed(config))): "
                + "raise it (ulimit -n, LimitNOFILE=) or lower them")
    }

    /// Blocks (or unblocks) SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 and SIGWINCH on this thread, so that one arriving
    /// before its handler is installed stays pending instead of ending the process.
    static func holdSignals(_ hold: Bool) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH] { sigaddset(&set, s) }
        pthread_sigmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, nil)
    }

    /// SIGTERM and SIGINT begin a graceful stop.
    static func stopOnSignals(_ loop: EventLoop, _ server: Server) throws(StartupError) {
        try loop.onSignal(SIGTERM) { server.beginShutdown() }
        try loop.onSignal(SIGINT) { server.beginShutdown() }
    }

    /// SIGUSR1 reopens the logs; SIGHUP reloads the configuration named by `options` (kept on failure).
    static func reopenAndReloadOnSignals(
        _ loop: EventLoop, _ server: Server, _ errorLog: ErrorLog, _ options: CommandLineOptions
    ) throws(StartupError) {
        try loop.onSignal(SIGUSR1) { server.reopenLogs() }
        try loop.onSignal(SIGHUP) {
            guard !server.draining else {
                errorLog.log(.notice, "SIGHUP ignored: stopping")
                return
            }
            errorLog.log(.notice, "SIGHUP: reloading \(options.configFile)")
            switch loadSettings(options) {
            case .failed(let error):
                errorLog.log(.error, lines: ["reload failed, keeping the running configuration:"] + error.lines)
            case .loaded(let new):
                do throws(StartupError) {
                    try server.reload(new)
                    errorLog.log(.notice, "configuration reloaded (generation \(server.generation))")
                    logAuthUserFiles(server.loadAuthUserFiles(), errorLog)
                } catch {
                    errorLog.log(.error, "reload failed, keeping the running configuration: \(error)")
                }
            }
        }
    }

    /// Becomes `runAs` (resolved when httpd started as root); warns that `User` is ignored otherwise, and
    /// that httpd keeps running as root when it is root without `User`.
    static func dropPrivileges(_ runAs: RunAsUser?, _ config: Configuration, _ errorLog: ErrorLog) throws(StartupError) {
        if let runAs {
            try runAs.become()
            errorLog.log(.info, "running as user \(runAs.name) (uid \(runAs.uid), gid \(runAs.gid))")
        } else if let user = config.user {
            errorLog.log(.warn, "User \(user) ignored: httpd was not started as root")
        } else if geteuid() == 0 {
            errorLog.log(.warn, "running as root: no User is set, so requests are served with root's privileges")
        }
    }

    /// The start-up notices: the inherited listeners (socket activation), then what is served, how.
    static func logStarted(_ settings: ServerSettings, inheritedListeners: Int?, worker: Bool = false, _ errorLog: ErrorLog) {
        let config = settings.config
        if let count = inheritedListeners {
            errorLog.log(.notice, "socket activation: serving on \(count) inherited listening socket(s)")
        }
        errorLog.log(
            .notice,
            "httpd \(httpdVersion) started (pid \(getpid()), \(worker ? "worker" : config.foreground ? "foreground" : "daemon")), serving \(settings.lookup.root.isEmpty ? "/" : settings.lookup.root) with \(config.workers) workers"
        )
        if settings.sites.count > 1 {
            errorLog.log(
                .notice, "sites: " + settings.sites.dropFirst().map { "\($0.name) (\($0.root))" }.joined(separator: ", "))
        }
        for warning in settings.cleartextPasswordWarnings { errorLog.log(.warn, warning) }
    }

    /// What reading the password files found (at start, read as the user httpd serves as, after the privilege
    /// drop, as every later check of the files is; after a reload, the files new or changed).
    static func logAuthUserFiles(_ auth: (unreadable: [String], findings: [String]), _ errorLog: ErrorLog) {
        for line in auth.unreadable { errorLog.log(.error, line + ": no one can log in there until it can be read") }
        for line in auth.findings { errorLog.log(.warn, line) }
    }

    /// The certificates served and what their checks found (a start serves despite problems; `-t` fails on them).
    static func logTLS(_ settings: ServerSettings, _ errorLog: ErrorLog) {
        guard let tls = settings.tls else { return }
        for line in tls.summary { errorLog.log(.info, "TLS certificate \(line)") }
        for finding in tls.findings { errorLog.log(.warn, finding.message) }
        if !settings.config.effectiveListen.contains(where: \.tls) {
            errorLog.log(.warn, "TLSCertificateFile is set but no Listen has `tls`: the certificates are not used")
        }
    }

    /// After the privilege drop: a certificate or key file the user cannot read now makes every reload fail.
    static func warnUnreadableTLSFiles(_ config: Configuration, _ runAs: RunAsUser, _ errorLog: ErrorLog) {
        for (location, directive, path) in TLSFiles.of(config) where access(path, R_OK) != 0 {
            errorLog.log(.warn, "\(location): \(directive) \(path): \(TLSFiles.unreadable(by: runAs.name))")
        }
    }

    /// inetd mode: fd 0 (and 1) is the client's connected socket ("nowait"), or a listening socket
    /// ("wait"). Serves with the same engine, then exits. stdout and stderr are never written: they
    /// may be the socket, so the error log goes to its file or to syslog. `socketOnStdio`: the caller found
    /// a socket on fd 0 and already pointed fds 1 and 2 at /dev/null (Commands does, before reading the
    /// configuration), so that is not checked and done a second time.
    public static func serveInetd(_ settings: ServerSettings, options: CommandLineOptions, socketOnStdio: Bool = false) -> Int32 {
        var config = settings.config
        config.foreground = true
        signal(SIGPIPE, SIG_IGN)
        let isSocket = socketOnStdio || Sockets.isSocket(0)
        if !socketOnStdio {
            Sockets.redirectToDevNull(1)
            if isSocket { Sockets.redirectToDevNull(2) }
        }
        var target = config.errorLog ?? .syslog
        if target == .stderr { target = .syslog }
        let errorLog: ErrorLog
        do {
            errorLog = try ErrorLog(level: config.logLevel, target: target)
        } catch {
            if !isSocket { printToStderr("httpd: error: \(error)") }
            return 1
        }
        if let chroot = config.chroot { errorLog.log(.debug, "inetd mode: Chroot \(chroot) ignored (README)") }
        guard isSocket else {
            errorLog.log(.error, "--inetd: standard input is not a socket")
            printToStderr("httpd: error: --inetd needs a socket on standard input (run it from inetd, xinetd or systemd)")
            return 1
        }
        do throws(StartupError) {
            let accessLog = try openAccessLog(config)
            let waitStyle = Sockets.isListening(0)
            if waitStyle { Sockets.prepareInherited(0) }
            var s = settings
            s.config = config
            let (loop, server) = try makeServer(
                s, listeners: waitStyle ? [BoundListener(address: nil, fd: 0, tls: settings.tls != nil)] : [], inherited: true,
                errorLog: errorLog,
                accessLog: accessLog)
            server.mode = .inetd
            server.inlineLookups = !waitStyle
            try stopOnSignals(loop, server)
            if waitStyle {
                server.idleExit = config.idleExit
            } else {
                server.exitWhenEmpty = true
                // With certificates configured, the socket inetd passes speaks TLS.
                server.adopt(0, tls: settings.tls != nil)
            }
            server.run()
            return 0
        } catch {
            errorLog.log(.error, "inetd mode: \(error)")
            return 1
        }
    }
}
