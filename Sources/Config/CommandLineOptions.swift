// The command line: `httpd [-f FILE] [-F] [-i] [-c "Directive value"]... [-s stop|reload|reopen] [-t] [-S] [-L] [-v] [-h]`.

/// What the command line asks for.
public struct CommandLineOptions: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        case serve, checkConfig, version, help
        /// `-S` (or `-t -v`): check the configuration and list the sites, their names, addresses and roots.
        case listSites
        /// `-L`: list the directives httpd.conf knows.
        case listDirectives
        /// `-s stop|reload|reopen`: signal the running daemon.
        case signal(String)
    }

    public var action: Action = .serve
    /// Configuration file (`-f`); default `httpd.conf` in the current folder.
    public var configFile = "httpd.conf"
    /// The folder httpd was started in: a relative `-f` is read from there, also on reload.
    public var startDirectory: String? = nil
    /// Directives applied after the file (`-c`, repeatable).
    public var directives: [String] = []
    /// `-F`/`--foreground`.
    public var foreground = false
    /// `--inetd`: serve the connection on fd 0 (or accept on fd 0 when it is a listening socket), then exit.
    public var inetd = false

    public init() {}

    public static let usage = """
        usage: httpd [options]
          -f FILE                 configuration file (default: ./httpd.conf)
          -c "Directive value"    apply a directive after the file (repeatable)
          -F, --foreground        do not daemonize (ErrorLog defaults to stderr)
          -s stop|reload|reopen|upgrade
                                  signal the daemon named by the configuration's PidFile (upgrade: start
                                  the binary on disk on the same sockets; exit 0 once it serves)
          -i, --inetd             inetd mode: serve the connected socket on fd 0, then exit
          -t, --check-config      check the configuration and exit (0 valid, 1 not)
          -S, -t -v               check the configuration, list the sites (names, addresses, roots) and exit
          -L                      list the configuration directives and exit
          -v, --version           print the version and exit
          -h, --help              print this help and exit
        """

    /// Parses `arguments` (without the program name); returns a message on a usage error.
    public static func parse(_ arguments: [String]) -> Result<CommandLineOptions, UsageError> {
        var o = CommandLineOptions()
        var i = 0
        func value(_ flag: String) -> String? {
            i += 1
            return i < arguments.count ? arguments[i] : nil
        }
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "-f", "--config":
                guard let v = value(a) else { return .failure(UsageError("\(a) needs a file name")) }
                o.configFile = v
            case "-c":
                guard let v = value(a) else {
                    return .failure(UsageError("-c needs a directive, e.g. -c \"Listen 127.0.0.1:8080\""))
                }
                o.directives.append(v)
            case "-F", "--foreground": o.foreground = true
            case "--inetd", "-i": o.inetd = true
            case "-s":
                guard let v = value(a) else { return .failure(UsageError("-s needs stop, reload, reopen or upgrade")) }
                guard ["stop", "reload", "reopen", "upgrade"].contains(v) else {
                    return .failure(UsageError("-s takes stop, reload, reopen or upgrade, not '\(v)'"))
                }
                o.action = .signal(v)
            case "-t", "--check-config": o.action = o.action == .version ? .listSites : .checkConfig
            case "-S": o.action = .listSites
            case "-L": o.action = .listDirectives
            case "-v", "--version": o.action = o.action == .checkConfig ? .listSites : .version
            case "-h", "--help": o.action = .help
            default:
                if a.hasPrefix("-f") && a.count > 2 {
                    o.configFile = String(a.dropFirst(2))
                } else {
                    return .failure(UsageError("unknown option '\(a)'"))
                }
            }
            i += 1
        }
        return .success(o)
    }
}

/// A command-line mistake; printed with the usage text, exit status 2.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
