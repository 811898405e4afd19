// httpd's entry point: parse arguments, load and check the configuration, pick the mode.
// Exit status: 0 success, 1 configuration or start-up error, 2 usage error.
import HTTPDaemon

#if canImport(Glibc)
    import Glibc
#endif

func run() -> Int32 {
    let options: CommandLineOptions
    switch CommandLineOptions.parse(Array(CommandLine.arguments.dropFirst())) {
    case .failure(let error):
        printToStderr("httpd: \(error)\n\(CommandLineOptions.usage)")
        return 2
    case .success(var o):
        o.startDirectory = ConfigLoader.currentDirectory()
        options = o
    }
    switch options.action {
    case .help:
        print(CommandLineOptions.usage)
        return 0
    case .version:
        print("httpd \(httpdVersion)")
        return 0
    case .signal(let command):
        return Startup.control(command, options: options)
    case .serve, .checkConfig:
        break
    }
    // In inetd mode stdout and stderr may be the client's socket: nothing may be printed there.
    let quiet = options.inetd && Sockets.isSocket(0)
    if quiet {
        Sockets.redirectToDevNull(1)
        Sockets.redirectToDevNull(2)
    }
    let settings: ServerSettings
    switch loadSettings(options) {
    case .failure(let error):
        if quiet {
            (try? ErrorLog(level: .error, target: .syslog))?.log(.error, "--inetd: \(error.description)")
        } else {
            printToStderr(error.description)
        }
        return 1
    case .success(let s):
        settings = s
    }
    if options.action == .checkConfig {
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
        print("\(options.configFile): Syntax OK")
        return 0
    }
    return options.inetd ? Startup.serveInetd(settings, options: options) : Startup.serve(settings, options: options)
}

exit(run())
