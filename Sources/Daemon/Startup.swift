// Start-up in the order the daemon contract needs: check the configuration, bind, open logs, take
// the PID file, daemonize (before any thread, queue or event base), drop privileges, build the
// server, write the PID, report ready; then serve until stopped and clean up.
public import Server
import IO
import Files
import HTTPCore
public import Config
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
    public var description: String {
        switch self {
        case .config(let e): e.errors.map(\.description).joined(separator: "\n")
        case .startup(let e): "httpd: error: \(e)"
        }
    }
}

/// Loads and checks the configuration named by the command line.
public func loadSettings(_ options: CommandLineOptions) -> Result<ServerSettings, LoadError> {
    switch ConfigLoader.load(file: options.configFile, directives: options.directives, startDirectory: options.startDirectory) {
    case .failure(let errors):
        return .failure(.config(errors))
    case .success(var config):
        if options.foreground { config.foreground = true }
        do throws(StartupError) {
            return .success(try ServerSettings.make(config))
        } catch {
            return .failure(.startup(error))
        }
    }
}

/// Runs the server for `settings`; returns the process's exit status.
public enum Startup {
    public static func serve(_ settings: ServerSettings, options: CommandLineOptions) -> Int32 {
        let config = settings.config
        signal(SIGPIPE, SIG_IGN)
        let fileLimit = FileLimit.raiseToHardLimit()
        // systemd socket activation: serve on the inherited listening sockets instead of binding Listen.
        let inherited = Sockets.inheritedListeners()
        var bound: [BoundListener] = []
        let errorLog: ErrorLog
        let accessLog: AccessLog?
        var pidFile: PidFile?
        var runAs: RunAsUser?
        do {
            if let user = config.user, getuid() == 0 {
                runAs = try RunAsUser.resolve(user: user, group: config.group)
            }
            // The PID file first (a second httpd names the running one), then bind and open
            // everything before detaching, so that these errors reach the terminal.
            pidFile = try config.pidFile.map { try PidFile(path: $0) }
            if let inherited {
                bound = inherited.map { BoundListener(address: nil, fd: $0) }
            } else {
                for address in config.effectiveListen {
                    bound.append(BoundListener(address: address, fd: try Sockets.bindListener(host: address.host, port: address.port)))
                }
            }
            errorLog = try ErrorLog(level: config.logLevel, target: config.effectiveErrorLog)
            accessLog = try config.accessLog.map { try AccessLog(path: $0.path, format: $0.format) }
        } catch {
            pidFile?.abandon()
            printToStderr("httpd: error: \(error)")
            return 1
        }

        var lifeline: Lifeline?
        if !config.foreground {
            do {
                lifeline = try Daemonize.detach()
            } catch {
                printToStderr("httpd: error: \(error)")
                return 1
            }
        }

        do {
            let loop = try EventLoop()
            let server = try Server(loop: loop, settings: settings, listeners: bound, log: errorLog, accessLog: accessLog)
            server.listenersInherited = inherited != nil
            if FileLimit.needed(config) > fileLimit {
                errorLog.log(
                    .warn,
                    "the open-file limit (\(fileLimit)) is below what MaxConnections \(config.maxConnections) and "
                        + "FileCacheEntries \(config.fileCacheEntries) may need (\(FileLimit.needed(config))): "
                        + "raise it (ulimit -n, LimitNOFILE=) or lower them")
            }
            // Start the worker pool now: Dispatch sets up its threads (and an epoll fd) on first use,
            // and must not meet the open-file limit for the first time under load.
            server.warmUpWorkers()
            try loop.onSignal(SIGTERM) { server.beginShutdown() }
            try loop.onSignal(SIGINT) { server.beginShutdown() }
            try loop.onSignal(SIGUSR1) { server.reopenLogs() }
            try loop.onSignal(SIGHUP) {
                guard !server.draining else {
                    errorLog.log(.notice, "SIGHUP ignored: stopping")
                    return
                }
                errorLog.log(.notice, "SIGHUP: reloading \(options.configFile)")
                switch loadSettings(options) {
                case .failure(let error):
                    errorLog.log(.error, "reload failed, keeping the running configuration:\n\(error)")
                case .success(let new):
                    do throws(StartupError) {
                        try server.reload(new)
                        errorLog.log(.notice, "configuration reloaded (generation \(server.generation))")
                    } catch {
                        errorLog.log(.error, "reload failed, keeping the running configuration: \(error)")
                    }
                }
            }
            // The PID file is written while still root (its folder is often root's, like /run),
            // then privileges drop before the first request is read.
            try pidFile?.write()
            if let runAs {
                try runAs.become()
                errorLog.log(.info, "running as user \(runAs.name) (uid \(runAs.uid), gid \(runAs.gid))")
            } else if let user = config.user {
                errorLog.log(.warn, "User \(user) ignored: httpd was not started as root")
            }
            if inherited != nil {
                errorLog.log(.notice, "socket activation: serving on \(bound.count) inherited listening socket(s)")
            }
            errorLog.log(
                .notice,
                "httpd \(httpdVersion) started (pid \(getpid()), \(config.foreground ? "foreground" : "daemon")), serving \(settings.lookup.root.isEmpty ? "/" : settings.lookup.root) with \(config.workers) workers"
            )
            lifeline?.ready()
            server.run()
            pidFile?.remove()
            errorLog.log(.notice, "stopped")
            return 0
        } catch {
            errorLog.log(.error, "start-up failed: \(error)")
            pidFile?.remove()
            pidFile?.abandon()
            if let lifeline { lifeline.failed(error.description) } else { printToStderr("httpd: error: \(error)") }
            return 1
        }
    }

    /// inetd mode: fd 0 (and 1) is the client's connected socket ("nowait"), or a listening socket
    /// ("wait"). Serves with the same engine, then exits. stdout and stderr are never written: they
    /// may be the socket, so the error log goes to its file or to syslog.
    public static func serveInetd(_ settings: ServerSettings, options: CommandLineOptions) -> Int32 {
        var config = settings.config
        config.foreground = true
        signal(SIGPIPE, SIG_IGN)
        let isSocket = Sockets.isSocket(0)
        Sockets.redirectToDevNull(1)
        if isSocket { Sockets.redirectToDevNull(2) }
        var target = config.errorLog ?? .syslog
        if target == .stderr { target = .syslog }
        let errorLog: ErrorLog
        do {
            errorLog = try ErrorLog(level: config.logLevel, target: target)
        } catch {
            if !isSocket { printToStderr("httpd: error: \(error)") }
            return 1
        }
        guard isSocket else {
            errorLog.log(.error, "--inetd: standard input is not a socket")
            printToStderr("httpd: error: --inetd needs a socket on standard input (run it from inetd, xinetd or systemd)")
            return 1
        }
        do {
            let accessLog = try config.accessLog.map { try AccessLog(path: $0.path, format: $0.format) }
            let waitStyle = Sockets.isListening(0)
            if waitStyle { Sockets.prepareInherited(0) }
            let loop = try EventLoop()
            var s = settings
            s.config = config
            let server = try Server(
                loop: loop, settings: s, listeners: waitStyle ? [BoundListener(address: nil, fd: 0)] : [],
                log: errorLog, accessLog: accessLog)
            server.mode = "inetd"
            server.inlineLookups = !waitStyle
            server.listenersInherited = true
            try loop.onSignal(SIGTERM) { server.beginShutdown() }
            try loop.onSignal(SIGINT) { server.beginShutdown() }
            if waitStyle {
                server.idleExit = config.idleExit
            } else {
                server.exitWhenEmpty = true
                server.adopt(0)
            }
            server.run()
            return 0
        } catch {
            errorLog.log(.error, "inetd mode: \(error)")
            return 1
        }
    }
}
