// httpd's entry point: parse arguments, load and check the configuration, bind, serve.
// Exit status: 0 success, 1 configuration or start-up error, 2 usage error.
import HTTPDaemon
#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` and a newline to stderr.
func printError(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    _ = write(2, &bytes, bytes.count)
}

func run() -> Int32 {
    let options: CommandLineOptions
    switch CommandLineOptions.parse(Array(CommandLine.arguments.dropFirst())) {
    case .failure(let error):
        printError("httpd: \(error)\n\(CommandLineOptions.usage)")
        return 2
    case .success(let o):
        options = o
    }
    switch options.action {
    case .help:
        print(CommandLineOptions.usage)
        return 0
    case .version:
        print("httpd \(httpdVersion)")
        return 0
    case .serve, .checkConfig:
        break
    }

    var config: Configuration
    switch ConfigLoader.load(file: options.configFile, directives: options.directives) {
    case .failure(let errors):
        for e in errors.errors { printError(e.description) }
        return 1
    case .success(let c):
        config = c
    }
    if options.foreground { config.foreground = true }

    let settings: ServerSettings
    do {
        settings = try ServerSettings.make(config)
    } catch {
        printError("httpd: error: \(error)")
        return 1
    }
    if options.action == .checkConfig {
        print("\(options.configFile): Syntax OK")
        return 0
    }

    signal(SIGPIPE, SIG_IGN)
    let log = ErrorLog(level: config.logLevel)
    do {
        // Bind before anything else so that start-up errors reach the terminal.
        var fds: [Int32] = []
        for address in config.effectiveListen {
            fds.append(try Sockets.bindListener(address))
        }
        let loop = try EventLoop()
        let server = try Server(loop: loop, settings: settings, listenFDs: fds, log: log)
        loop.onSignal(SIGTERM) { log.log(.notice, "SIGTERM: stopping"); server.stop() }
        loop.onSignal(SIGINT) { log.log(.notice, "SIGINT: stopping"); server.stop() }
        for fd in fds {
            log.log(.notice, "listening on http://\(Sockets.localAddress(fd))/")
        }
        log.log(.notice, "httpd \(httpdVersion) serving \(settings.lookup.root.isEmpty ? "/" : settings.lookup.root) with \(config.workers) workers")
        server.run()
        log.log(.notice, "stopped")
        return 0
    } catch {
        printError("httpd: error: \(error)")
        return 1
    }
}

exit(run())
