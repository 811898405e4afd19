// What the command line asks the process to do once arguments are parsed: signal a running daemon
// (-s), check the configuration (-t), or serve stand-alone or in inetd mode. Returns the exit status.

public import Config
import IO
import Server
import Support
import TLS

#if canImport(Glibc)
    import Glibc
#endif

/// The actions behind `httpd`'s command line.
public enum Commands {
    /// Runs `options.action` (help, version and `-L`, which need no configuration, main prints); returns the exit status.
    public static func run(_ options: CommandLineOptions) -> Int32 {
        // An old master that execs this binary for an upgrade passes its sockets and a pipe to report on.
        let handoff = options.action == .serve && !options.inetd ? UpgradeHandoff.received() : nil
        // Before anything is opened, so that no descriptor httpd uses is closed.
        InheritedDescriptors.closeUnused(keeping: handoff?.descriptorCount ?? 0)
        #if DEBUG
            // Test hook (debug builds only): a binary started for an upgrade traps during its start-up, as a broken
            // new binary would, so the tests can prove that the old one serves on and `-s upgrade` exits 1.
            if handoff != nil, getenv("HTTPD_TEST_TRAP_UPGRADE") != nil { fatalError("HTTPD_TEST_TRAP_UPGRADE: trap requested") }
        #endif
        if case .signal(let command) = options.action { return control(command, options: options) }
        // In inetd mode stdout and stderr may be the client's socket: nothing may be printed there.
        let quiet = options.inetd && Sockets.isSocket(0)
        if quiet {
            Sockets.redirectToDevNull(1)
            Sockets.redirectToDevNull(2)
        }
        let settings: ServerSettings
        switch loadSettings(options) {
        case .failed(let error):
            if quiet {
                let lines = ["--inetd: " + (error.lines.first ?? "")] + error.lines.dropFirst()
                (try? ErrorLog(level: .error, target: .syslog))?.log(.error, lines: lines)
            } else if let handoff {
                handoff.failed(error.plainLines.joined(separator: "; "))
            } else {
                printToStderr(error.description)
            }
            return 1
        case .loaded(let s):
            settings = s
        }
        if options.action == .checkConfig { return checkConfig(settings, options: options) }
        if options.action == .listSites {
            let status = checkConfig(settings, options: options)
            if status == 0 { print(siteListing(settings), terminator: "") }
            return status
        }
        if options.inetd { return Startup.serveInetd(settings, options: options, socketOnStdio: quiet) }
        return Startup.serve(settings, options: options, handoff: handoff)
    }

    /// `httpd -t`: the configuration has loaded; checks that its user may read the document root.
    static func checkConfig(_ settings: ServerSettings, options: CommandLineOptions) -> Int32 {
        if let user = settings.config.user, getuid() == 0 {
            do {
                let runAs = try RunAsUser.resolve(user: user, group: settings.config.group)
                guard runAs.canRead(settings.lookup.root.isEmpty ? "/" : settings.lookup.root) else {
                    printToStderr("httpd: error: DocumentRoot \(settings.lookup.root) is not readable by user \(user)")
                    return 1
                }
            } catch {
                printToStderr("httpd: error: \(error)")
                return 1
            }
        }
        // TLS: the pairs were read and the fatal checks passed while loading; problems (an incomplete
        // chain, a certificate not valid now) fail the check too, warnings (expiring soon) are printed.
        var failed = false
        for finding in settings.tls?.findings ?? [] {
            switch finding.severity {
            case .fatal, .problem:
                printToStderr("httpd: error: \(finding.message)")
                failed = true
            case .warning:
                printToStderr("httpd: warning: \(finding.message)")
            }
        }
        let auth = settings.checkAuthUserFiles()
        for line in auth.unreadable { printToStderr("httpd: error: \(line)") }
        for line in auth.findings { printToStderr("httpd: warning: \(line)") }
        if failed || !auth.unreadable.isEmpty { return 1 }
        for warning in settings.cleartextPasswordWarnings { printToStderr("httpd: warning: \(warning)") }
        print("\(options.configFile): Syntax OK")
        return 0
    }

    /// `httpd -S`: each listener with the sites answering on it (the first answers unknown names, or 421 with
    /// StrictHostCheck), then each site with its names, root, locations, logs and where it was configured.
    /// The main server is listed with the sites when a listener no `<VirtualHost>` names is its.
    static func siteListing(_ settings: ServerSettings) -> String {
        let strict = settings.config.strictHostCheck ? " (StrictHostCheck on: unknown names get 421)" : ""
        var out = "Sites by listener\(strict):\n"
        for (address, group) in settings.groups {
            out += "  \(address.url)\n"
            for (n, i) in group.sites.enumerated() {
                let site = settings.sites[i]
                let names = ([site.config.serverName].compactMap { $0 } + site.aliases).joined(separator: " ")
                let also = names.isEmpty || names == site.name ? "" : " (\(names))"
                out += "    \(n == 0 ? "default " : "        ")\(site.name)\(also)\n"
            }
        }
        // With Chroot, each path the worker opens is shown with the path it uses inside the folder.
        let chroot = settings.chroot
        let inside = { (path: String) in chroot?.view(of: path).map { " (\($0) inside the chroot)" } ?? "" }
        if let chroot {
            out += "Chroot: \(chroot.configured)  \(chroot.location): the worker serves inside it\n"
        }
        out += "Sites:\n"
        let mainServes = settings.sites.count == 1 || settings.groups.contains { $0.group.sites.contains(0) }
        for site in settings.sites where site.index > 0 || mainServes {
            out += "  \(site.name)  \(site.location ?? "main server")\n"
            if !site.aliases.isEmpty { out += "    aliases: \(site.aliases.joined(separator: " "))\n" }
            out += "    root: \(site.root)\(inside(site.config.documentRoot))\n"
            if let log = site.config.accessLog { out += "    access log: \(log.path) \(log.format.rawValue)\n" }
            for location in site.config.locations {
                var what: [String] = []
                if let auth = location.config.auth {
                    what.append("auth \"\(auth.realm)\" \(auth.userFile)\(inside(auth.userFile))")
                }
                if !location.config.headers.isEmpty { what.append("\(location.config.headers.count) header rule(s)") }
                let details = what.isEmpty ? "" : ": " + what.joined(separator: ", ")
                out += "    location \(location.prefix)  \(location.location)\(details)\n"
            }
            if let auth = site.scope.auth { out += "    auth: \"\(auth.realm)\" \(auth.userFile)\(inside(auth.userFile))\n" }
            if !site.redirects.isEmpty { out += "    redirects: \(site.redirects.count)\n" }
            if !site.tryFiles.isEmpty { out += "    TryFiles: \(site.tryFiles.count) entries\n" }
            if let fallback = site.fallbackFile { out += "    FallbackFile: \(fallback)\n" }
        }
        return out
    }

    /// `httpd -s stop|reload|reopen|upgrade`: signals the daemon named by the configuration's PID file.
    static func control(_ command: String, options: CommandLineOptions) -> Int32 {
        let signals: [String: Int32] = ["stop": SIGTERM, "reload": SIGHUP, "reopen": SIGUSR1, "upgrade": SIGUSR2]
        guard let sig = signals[command] else {
            printToStderr("httpd: error: -s takes stop, reload, reopen or upgrade, not '\(command)'")
            return 2
        }
        let config: Configuration
        switch ConfigLoader.load(file: options.configFile, directives: options.directives, startDirectory: options.startDirectory)
        {
        case .failure(let errors):
            for e in errors.errors { printToStderr(e.description) }
            return 1
        case .success(let c):
            config = c
        }
        guard let path = config.pidFile else {
            printToStderr("httpd: error: \(options.configFile) sets no PidFile, so there is no daemon to signal")
            return 1
        }
        switch PidFile.runningPID(path) {
        case .failure(let error):
            printToStderr("httpd: error: \(error)")
            return 1
        case .success(let pid):
            if sig == SIGUSR2 { return UpgradeCommand.run(master: pid, pidFile: path) }
            if kill(pid, sig) != 0 {
                printToStderr("httpd: error: cannot signal pid \(pid): \(errnoText(errno))")
                return 1
            }
            return 0
        }
    }
}

/// The certificate and key files of a configuration, which a start reads as root and a reload re-reads
/// with the privileges httpd dropped to.
enum TLSFiles {
    /// (`file:line`, directive, path) of every `TLSCertificateFile` and `TLSCertificateKeyFile`.
    static func of(_ config: Configuration) -> [(String, String, String)] {
        config.tlsCertificates.flatMap {
            [
                ($0.certificateLocation, "TLSCertificateFile", $0.certificateFile),
                ($0.keyLocation, "TLSCertificateKeyFile", $0.keyFile),
            ]
        }
    }

    /// What a start without a master (socket activation) says about a file `user` cannot read (a daemon's
    /// master reads such a file as root at reload, with a new worker).
    static func unreadable(by user: String) -> String {
        "not readable by user \(user): this process (socket activation: no master) read it as root at start, but "
            + "a reload (as \(user)) will be refused; let \(user) read it, or restart httpd to load a new one"
    }
}
