// The directive table: every httpd.conf directive declared once (name, arguments, where it may appear,
// how its value is parsed and applied, its default and one line of help), with the value parsers they share.
// The reader, its error messages, `httpd -L` and the documentation checks are all generated from it.

/// Where a directive may appear: the main server configuration, a `<VirtualHost>`, a `<Location>`.
enum DirectiveContext: Sendable, Hashable, CustomStringConvertible {
    /// The configuration file outside any block, and `-c`.
    case server
    /// Inside `<VirtualHost>`.
    case virtualHost
    /// Inside `<Location>` (at top level or in a `<VirtualHost>`).
    case location

    var description: String {
        switch self {
        case .server: "server config"
        case .virtualHost: "<VirtualHost>"
        case .location: "<Location>"
        }
    }
}

/// How many arguments a directive takes.
struct Arity: Sendable, Equatable {
    var min: Int
    var max: Int

    static let one = Arity(min: 1, max: 1)
    static func exactly(_ n: Int) -> Arity { Arity(min: n, max: n) }
    static func atLeast(_ n: Int) -> Arity { Arity(min: n, max: Int.max) }
    static func range(_ range: ClosedRange<Int>) -> Arity { Arity(min: range.lowerBound, max: range.upperBound) }

    func allows(_ count: Int) -> Bool { count >= min && count <= max }

    /// `1 argument`, `2 arguments`, `at least 1 argument`, `1 to 2 arguments`: as the arity error names it.
    var phrase: String {
        let wanted = min == max ? "\(min)" : (max == Int.max ? "at least \(min)" : "\(min) to \(max)")
        return "\(wanted) argument\(max == 1 || (min == 1 && max == Int.max) ? "" : "s")"
    }
}

/// A directive's default as users read it (README, docs page, `httpd -L`).
enum DirectiveDefault: Sendable, Equatable, ExpressibleByStringLiteral {
    /// A value written as in httpd.conf: `Configuration()` holds what this text sets (a unit test checks it).
    case value(String)
    /// The field is left unset (nil or empty); the text says what happens then (`none`, `stderr in the foreground, …`).
    case unset(String)

    init(stringLiteral text: String) { self = .value(text) }

    var text: String {
        switch self {
        case .value(let text), .unset(let text): text
        }
    }
}

/// Why a directive's arguments were refused.
enum DirectiveError: Error {
    /// About one value; printed after the directive's name: `Workers: wants a whole number …`.
    case value(String)
    /// A whole message that names the directive itself: `Listen 127.0.0.1:80 is given twice`.
    case sentence(String)
}

/// Turns one argument into a value, or throws a `DirectiveError`; relative paths resolve through the reader.
struct ValueParser<T>: Sendable {
    let parse: @Sendable (String, ConfigReader) throws -> T

    init(_ parse: @escaping @Sendable (String, ConfigReader) throws -> T) { self.parse = parse }

    /// The same parser with its result transformed.
    func map<U>(_ transform: @escaping @Sendable (T) -> U) -> ValueParser<U> {
        let parse = self.parse
        return ValueParser<U> { v, reader in transform(try parse(v, reader)) }
    }
}

/// One httpd.conf directive: everything the reader, `httpd -L` and the documentation checks know about it.
struct Directive: Sendable {
    /// The documented spelling (`KeepAliveTimeout`); matched without regard to ASCII case.
    let name: String
    /// The arguments as documented after the name (`on|off`, `[addr:]port`).
    let syntax: String
    let arity: Arity
    /// Where it may appear. An array, not a Set: a Set's first use costs the runtime a scan of every
    /// protocol conformance (for Hashable), which every start would pay.
    let contexts: [DirectiveContext]
    /// The name of the `Configuration` property it sets (the defaults check reads it through a Mirror).
    /// A name, not a key path: key paths are built at run time, which every start (an inetd process per
    /// connection) would pay for 40 directives.
    let field: String
    let defaultValue: DirectiveDefault
    /// One line for `httpd -L`.
    let help: String
    /// Applies the arguments (their count already checked) to the configuration.
    let apply: @Sendable (inout Configuration, [String], ConfigReader) throws -> Void

    /// A directive whose arguments are applied by `apply`.
    init(
        _ name: String, _ syntax: String, arity: Arity, contexts: [DirectiveContext],
        field: String, default defaultValue: DirectiveDefault, help: String,
        apply: @escaping @Sendable (inout Configuration, [String], ConfigReader) throws -> Void
    ) {
        self.name = name
        self.syntax = syntax
        self.arity = arity
        self.contexts = contexts
        self.field = field
        self.defaultValue = defaultValue
        self.help = help
        self.apply = apply
    }

    /// A directive with one argument that `value` parses and `set` stores in the property `field`.
    init<T>(
        _ name: String, _ syntax: String, contexts: [DirectiveContext], field: String, _ value: ValueParser<T>,
        _ set: @escaping @Sendable (inout Configuration, T) -> Void, default defaultValue: DirectiveDefault, help: String
    ) {
        self.init(
            name, syntax, arity: .one, contexts: contexts, field: field, default: defaultValue, help: help,
            apply: { c, args, reader in set(&c, try value.parse(args[0], reader)) })
    }

    /// The directive called `word` (ASCII case-insensitive), if any.
    /// A linear search: a configuration names a few directives, and building a dictionary of all of them cost
    /// more than the searches at every start (inetd mode starts per connection). The length test is exact:
    /// names are ASCII, and no text of another length equals one (canonically) once ASCII-lowercased.
    static func named(_ word: String) -> Directive? {
        let key = word.asciiLowercased
        return all.first { $0.name.utf8.count == key.utf8.count && $0.name.asciiLowercased == key }
    }

    /// Every directive, in the README's order (also `httpd -L`'s).
    static let all: [Directive] = [
        Directive(
            "Listen", "[addr:]port [tls]", arity: .range(1...2), contexts: [.server], field: "listen",
            default: .unset("127.0.0.1:8080"),
            help: "address and port to listen on, tls for HTTPS; repeatable ([::1]:8080 for IPv6, *:8080 for every IPv4 address)"
        ) { c, args, reader in
            var address = try ValueParser<ListenAddress>.listen.parse(args[0], reader)
            if args.count == 2 {
                guard args[1].asciiLowercased == "tls" else {
                    throw DirectiveError.value("wants tls or nothing after the address, got '\(args[1])'")
                }
                address.tls = true
            }
            // An address is plain or tls, not both: host and port alone make it the same address.
            guard !c.listen.contains(where: { $0.host == address.host && $0.port == address.port }) else {
                throw DirectiveError.sentence("Listen \(address) is given twice")
            }
            c.listen.append(address)
            if address.tls { c.origins.tlsListens.append((address, reader.location)) }
        },
        Directive(
            "TLSCertificateFile", "path", arity: .one, contexts: [.server, .virtualHost], field: "tlsCertificates",
            default: .unset("none"),
            help: "certificate (chain) file, PEM, for the tls addresses; repeatable, each followed by its TLSCertificateKeyFile"
        ) { c, args, reader in
            let path = try ValueParser<String>.filePath.parse(args[0], reader)
            guard !c.tlsCertificates.contains(where: { $0.certificateFile == path }) else {
                throw DirectiveError.sentence("TLSCertificateFile \(path) is given twice")
            }
            // Opens a pair; the next TLSCertificateKeyFile completes it (ConfigurationCheck reports one left open).
            c.tlsCertificates.append(
                TLSCertificatePair(certificateFile: path, keyFile: "", certificateLocation: reader.location, keyLocation: ""))
        },
        Directive(
            "TLSCertificateKeyFile", "path", arity: .one, contexts: [.server, .virtualHost], field: "tlsCertificates",
            default: .unset("none"),
            help: "private key file, PEM, of the TLSCertificateFile just before it"
        ) { c, args, reader in
            let path = try ValueParser<String>.filePath.parse(args[0], reader)
            guard let last = c.tlsCertificates.indices.last, c.tlsCertificates[last].keyFile.isEmpty else {
                throw DirectiveError.sentence(
                    "TLSCertificateKeyFile \(path) has no TLSCertificateFile before it (each key follows its certificate)")
            }
            c.tlsCertificates[last].keyFile = path
            c.tlsCertificates[last].keyLocation = reader.location
        },
        Directive(
            "TLSProtocols", "version...", arity: .atLeast(1), contexts: [.server], field: "tlsProtocols",
            default: "TLSv1.2 TLSv1.3", help: "TLS versions offered: TLSv1.2, TLSv1.3 (older ones cannot be enabled)"
        ) { c, args, _ in
            var wanted: [TLSProtocolVersion] = []
            for word in args {
                let lower = word.asciiLowercased
                if let version = TLSProtocolVersion.allCases.first(where: { $0.rawValue.asciiLowercased == lower }) {
                    wanted.append(version)
                } else if ["sslv2", "sslv3", "tlsv1", "tlsv1.0", "tlsv1.1"].contains(lower) {
                    throw DirectiveError.value("\(word) cannot be enabled (insecure); use TLSv1.2 or TLSv1.3")
                } else {
                    throw DirectiveError.value("wants TLSv1.2 or TLSv1.3, got '\(word)'")
                }
            }
            c.tlsProtocols = TLSProtocolVersion.allCases.filter { wanted.contains($0) }
        },
        Directive(
            "TLSCiphers", "list", contexts: [.server], field: "tlsCiphers", .cipherList, { $0.tlsCiphers = $1 },
            default: .value(Configuration.mozillaIntermediateCiphers),
            help: "OpenSSL cipher list for TLS 1.2 (default: Mozilla intermediate)"),
        Directive(
            "TLSCipherSuites", "list", contexts: [.server], field: "tlsCipherSuites", .cipherList, { $0.tlsCipherSuites = $1 },
            default: "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
            help: "OpenSSL cipher suites for TLS 1.3"),
        Directive(
            "TLSSessionTickets", "on|off", contexts: [.server], field: "tlsSessionTickets", .flag,
            { $0.tlsSessionTickets = $1 }, default: "on",
            help: "TLS session resumption with tickets (nothing kept on the server)"),
        Directive(
            "TLSSessionCache", "n", contexts: [.server], field: "tlsSessionCache", .integer(in: 0...1_000_000),
            { $0.tlsSessionCache = $1 }, default: "20480",
            help: "sessions kept on the server for TLS 1.2 session-ID resumption (0 = off)"),
        Directive(
            "HSTS", "max-age[; includeSubDomains][; preload]|off", arity: .atLeast(1), contexts: [.server], field: "hsts",
            default: "off", help: "Strict-Transport-Security header on HTTPS responses (max-age in seconds)"
        ) { c, args, _ in
            c.hsts = try Directive.hstsValue(args)
        },
        Directive(
            "RedirectToHTTPS", "on|off", arity: .one, contexts: [.server], field: "redirectToHTTPS", default: "off",
            help: "answer plain-HTTP requests with a redirect to HTTPS (needs a Listen with tls)"
        ) { c, args, reader in
            c.redirectToHTTPS = try ValueParser<Bool>.flag.parse(args[0], reader)
            c.origins.redirectToHTTPS = c.redirectToHTTPS ? reader.location : nil
        },
        Directive(
            "DocumentRoot", "path", arity: .one, contexts: [.server, .virtualHost], field: "documentRoot", default: "www",
            help: "folder served to clients; nothing outside it is ever served"
        ) { c, args, reader in
            c.documentRoot = try ValueParser<String>.path.parse(args[0], reader)
            c.origins.documentRoot = reader.location
        },
        Directive(
            "Workers", "n", contexts: [.server], field: "workers", .integer(in: 1...1024), { $0.workers = $1 }, default: "4",
            help: "size of the Dispatch worker pool for blocking file-system work"),
        Directive(
            "WorkerProcesses", "n|auto", arity: .one, contexts: [.server], field: "workerProcesses", default: "1",
            help: "worker processes the master forks, sharing the listeners (auto: one per CPU)"
        ) { c, args, reader in
            if args[0].asciiLowercased == "auto" {
                c.workerProcesses = 0
            } else {
                c.workerProcesses = try ValueParser<Int>.integer(in: 1...64).parse(args[0], reader)
            }
        },
        Directive(
            "WorkerQueueLimit", "n", contexts: [.server], field: "workerQueueLimit", .integer(in: 1...1_000_000),
            { $0.workerQueueLimit = $1 }, default: "1024",
            help: "file lookups that may wait for a worker; beyond it 503 with Retry-After"),
        Directive(
            "KeepAlive", "on|off", contexts: [.server], field: "keepAlive", .flag, { $0.keepAlive = $1 }, default: "on",
            help: "persistent connections"),
        Directive(
            "KeepAliveTimeout", "s", contexts: [.server], field: "keepAliveTimeout", .seconds, { $0.keepAliveTimeout = $1 },
            default: "5",
            help: "seconds an idle keep-alive connection is kept"),
        Directive(
            "MaxKeepAliveRequests", "n", contexts: [.server], field: "maxKeepAliveRequests", .integer(in: 0...Int(Int32.max)),
            { $0.maxKeepAliveRequests = $1 },
            default: "1000", help: "requests per connection, then Connection: close (0 = unlimited)"),
        Directive(
            "RequestHeaderTimeout", "s", contexts: [.server], field: "requestHeaderTimeout", .positiveSeconds,
            { $0.requestHeaderTimeout = $1 }, default: "20",
            help: "total seconds to receive a request head, from its first byte; then 408 and close"),
        Directive(
            "RequestBodyTimeout", "s", contexts: [.server], field: "requestBodyTimeout", .positiveSeconds,
            { $0.requestBodyTimeout = $1 }, default: "20",
            help: "total seconds to receive a request body; then 408 and close"),
        Directive(
            "SendTimeout", "s", contexts: [.server], field: "sendTimeout", .positiveSeconds, { $0.sendTimeout = $1 },
            default: "20",
            help: "seconds a response may make no progress before the client is dropped"),
        Directive(
            "MaxConnections", "n", contexts: [.server], field: "maxConnections", .integer(in: 1...1_000_000),
            { $0.maxConnections = $1 }, default: "1024",
            help: "open client connections at most; more wait in the kernel's backlog"),
        Directive(
            "MaxConnectionsPerClient", "n", contexts: [.server], field: "maxConnectionsPerClient",
            .integer(in: 0...1_000_000), { $0.maxConnectionsPerClient = $1 }, default: "64",
            help: "open connections one client address may hold (0 = no limit); more are closed at once"),
        Directive(
            "LimitRequestLine", "bytes", contexts: [.server], field: "limitRequestLine", .integer(in: 64...1 << 20),
            { $0.limitRequestLine = $1 },
            default: "8190", help: "longest request line; longer gets 414"),
        Directive(
            "LimitRequestFieldSize", "bytes", contexts: [.server], field: "limitRequestFieldSize", .integer(in: 64...1 << 20),
            { $0.limitRequestFieldSize = $1 },
            default: "8190", help: "longest header field line; longer gets 431"),
        Directive(
            "LimitRequestFields", "n", contexts: [.server], field: "limitRequestFields", .integer(in: 1...10_000),
            { $0.limitRequestFields = $1 },
            default: "100", help: "most header fields in one request; more gets 431"),
        Directive(
            "LimitRequestHeadSize", "bytes", contexts: [.server], field: "limitRequestHeadSize",
            .integer(in: 1024...1 << 24), { $0.limitRequestHeadSize = $1 },
            default: "32768", help: "most bytes in a request head (request line, fields, blank line); more gets 431"),
        Directive(
            "LimitRequestBody", "bytes", contexts: [.server], field: "limitRequestBody", .integer(in: 0...Int(Int64.max)),
            { $0.limitRequestBody = $1 },
            default: "1048576", help: "largest request body read (and discarded); larger gets 413 and close"),
        Directive(
            "DirectoryIndex", "name...", arity: .atLeast(1), contexts: [.server, .virtualHost], field: "directoryIndex",
            default: "index.html", help: "files tried, in order, for a directory"
        ) { c, args, _ in
            guard !args.contains(where: { $0.isEmpty || $0.utf8.contains(UInt8(ascii: "/")) }) else {
                throw DirectiveError.sentence("DirectoryIndex names files, not paths")
            }
            c.directoryIndex = args
        },
        Directive(
            "Autoindex", "on|off", contexts: [.server, .virtualHost, .location], field: "autoindex", .flag, { $0.autoindex = $1 },
            default: "off",
            help: "HTML listing of a directory without an index (off: 404)"),
        Directive(
            "TypesConfig", "path|builtin", contexts: [.server], field: "typesConfig",
            ValueParser { v, reader in v.asciiLowercased == "builtin" ? "" : reader.resolve(v) }, { $0.typesConfig = $1 },
            default: .unset("/etc/mime.types when present"),
            help: "mime.types file laid over the built-in table; builtin uses only the built-in one"),
        Directive(
            "DefaultType", "type", contexts: [.server], field: "defaultType",
            ValueParser { v, _ in
                guard v.utf8.contains(UInt8(ascii: "/")) else {
                    throw DirectiveError.sentence("DefaultType wants a media type such as text/plain, got '\(v)'")
                }
                return v
            }, { $0.defaultType = $1 }, default: "application/octet-stream", help: "media type for unknown extensions"),
        Directive(
            "AddDefaultCharset", "charset|off", contexts: [.server], field: "defaultCharset",
            ValueParser { v, _ in v.asciiLowercased == "off" ? nil : v }, { $0.defaultCharset = $1 }, default: "utf-8",
            help: "charset added to text types (and JSON, XML, SVG)"),
        Directive(
            "ErrorDocument", "code /path", arity: .exactly(2), contexts: [.server, .virtualHost, .location],
            field: "errorDocuments",
            default: .unset("none"), help: "a file under DocumentRoot served as the body of that error status; repeatable"
        ) { c, args, _ in
            guard let code = Int(args[0]), (400...599).contains(code) else {
                throw DirectiveError.sentence("ErrorDocument wants a status code from 400 to 599, got '\(args[0])'")
            }
            guard args[1].utf8.first == UInt8(ascii: "/") else {
                throw DirectiveError.sentence("ErrorDocument wants a local path starting with '/', got '\(args[1])'")
            }
            c.errorDocuments[code] = args[1]
        },
        Directive(
            "HideDotfiles", "on|off", contexts: [.server, .virtualHost], field: "hideDotfiles", .flag, { $0.hideDotfiles = $1 },
            default: "on",
            help: "404 for any path segment starting with a dot, except a leading /.well-known/, also reached through a symlink"),
        Directive(
            "FollowSymlinks", "inside|on|off", contexts: [.server, .virtualHost], field: "followSymlinks",
            ValueParser { v, _ in
                guard let policy = SymlinkPolicy(rawValue: v.asciiLowercased) else {
                    throw DirectiveError.sentence("FollowSymlinks wants on, inside or off, got '\(v)'")
                }
                return policy
            }, { $0.followSymlinks = $1 }, default: "inside",
            help: "inside: follow a symlink only to a target inside DocumentRoot; on: always; off: never"),
        Directive(
            "Precompressed", "on|off", contexts: [.server, .virtualHost], field: "precompressed", .flag,
            { $0.precompressed = $1 },
            default: "off",
            help: "serve x.br / x.gz beside x when accepted and not older than x"),
        Directive(
            "CacheControl", "value|off", contexts: [.server, .virtualHost, .location], field: "cacheControl",
            ValueParser { v, _ in
                if v.isEmpty || v.asciiLowercased == "off" { return nil }
                guard v.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }) else {
                    throw DirectiveError.sentence("CacheControl has a control character")
                }
                return v
            }, { $0.cacheControl = $1 }, default: .unset("none"), help: "Cache-Control header for static responses"),
        Directive(
            "FileCacheValidity", "s", contexts: [.server], field: "fileCacheValidity", .seconds, { $0.fileCacheValidity = $1 },
            default: "1",
            help: "seconds a cached file's descriptor and metadata are reused before being checked again (0 = no cache)"),
        Directive(
            "FileCacheEntries", "n", contexts: [.server], field: "fileCacheEntries", .integer(in: 0...1_000_000),
            { $0.fileCacheEntries = $1 }, default: "1024",
            help: "files the open-file cache keeps at most"),
        Directive(
            "ServerTokens", "Full|Prod", contexts: [.server], field: "serverTokensFull",
            ValueParser { v, _ in
                switch v.asciiLowercased {
                case "prod", "productonly": return false
                case "full": return true
                default: throw DirectiveError.sentence("ServerTokens wants Prod or Full, got '\(v)'")
                }
            }, { $0.serverTokensFull = $1 }, default: "Full", help: "Server header: httpd/VERSION (Full) or httpd (Prod)"),
        Directive(
            "LogLevel", "level", contexts: [.server], field: "logLevel",
            ValueParser { v, _ in
                guard let level = LogLevel(name: v) else {
                    let names = LogLevel.allCases.map { "\($0)" }.joined(separator: ", ")
                    throw DirectiveError.sentence("LogLevel wants one of \(names), got '\(v)'")
                }
                return level
            }, { $0.logLevel = $1 }, default: "info",
            help: "least severe error-log messages written: emerg alert crit error warn notice info debug"),
        Directive(
            "Daemon", "on|off", contexts: [.server], field: "foreground", ValueParser<Bool>.flag.map { !$0 },
            { $0.foreground = $1 }, default: "on",
            help: "daemonize at start; off (or -F) stays in the foreground"),
        Directive(
            "PidFile", "path|off", contexts: [.server], field: "pidFile", .pathOrOff, { $0.pidFile = $1 },
            default: .unset("none"),
            help: "PID file, locked while httpd runs, written once it serves, removed on exit"),
        Directive(
            "ErrorLog", "stderr|syslog|path", contexts: [.server, .virtualHost], field: "errorLog",
            ValueParser { v, reader in
                switch v.asciiLowercased {
                case "stderr": .stderr
                case "syslog": .syslog
                default: .file(reader.resolve(v))
                }
            }, { $0.errorLog = $1 }, default: .unset("stderr in the foreground, syslog as a daemon"),
            help: "where error-log lines go"),
        Directive(
            "AccessLog", "path [combined|common|combined_tls|vhost_combined]|off", arity: .range(1...2),
            contexts: [.server, .virtualHost],
            field: "accessLog", default: "off",
            help: "one line per response in Apache's Combined or Common Log Format (combined_tls: with TLS protocol and cipher)"
        ) { c, args, reader in
            if args[0].asciiLowercased == "off" {
                guard args.count == 1 else { throw DirectiveError.sentence("AccessLog off takes no format") }
                c.accessLog = nil
                return
            }
            var format = AccessLogFormat.combined
            if args.count == 2 {
                guard let f = AccessLogFormat(rawValue: args[1].asciiLowercased) else {
                    throw DirectiveError.sentence(
                        "AccessLog format must be common, combined, combined_tls or vhost_combined, got '\(args[1])'")
                }
                format = f
            }
            c.accessLog = (reader.resolve(args[0]), format)
        },
        Directive(
            "User", "name", contexts: [.server], field: "user", .name("User wants a user name"), { $0.user = $1 },
            default: .unset("none"),
            help: "when started as root: the user to run as after binding and opening the logs"),
        Directive(
            "Group", "name", contexts: [.server], field: "group", .name("Group wants a group name"), { $0.group = $1 },
            default: .unset("the user's primary group"), help: "the group to run as"),
        Directive(
            "Chroot", "/dir", arity: .one, contexts: [.server], field: "chroot", default: .unset("none"),
            help: "the worker serves inside this folder (changes its root there before dropping privileges; needs root)"
        ) { c, args, reader in
            c.chroot = try ChrootCheck.directory(args[0])
            c.origins.chroot = reader.location
        },
        Directive(
            "ShutdownTimeout", "s", contexts: [.server], field: "shutdownTimeout", .seconds, { $0.shutdownTimeout = $1 },
            default: "30",
            help: "seconds a graceful stop lets responses in flight finish"),
        Directive(
            "HealthPath", "path|off", contexts: [.server], field: "healthPath", .endpoint, { $0.healthPath = $1 },
            default: "/healthz",
            help: "liveness endpoint: 200 ok while the process serves"),
        Directive(
            "ReadyPath", "path|off", contexts: [.server], field: "readyPath", .endpoint, { $0.readyPath = $1 },
            default: "/readyz",
            help: "readiness endpoint: 200 ready, or 503 draining once a graceful stop has begun"),
        Directive(
            "StatusPath", "path|off", contexts: [.server], field: "statusPath", .endpoint, { $0.statusPath = $1 },
            default: "/server-status",
            help: "status page: HTML, ?auto (Apache mod_status), ?format=json"),
        Directive(
            "MetricsPath", "path|off", contexts: [.server], field: "metricsPath", .endpoint, { $0.metricsPath = $1 },
            default: "/metrics",
            help: "Prometheus metrics"),
        Directive(
            "StatusAllow", "addr|cidr|loopback|all ...", arity: .atLeast(1), contexts: [.server], field: "statusAllow",
            default: "loopback", help: "clients allowed to read the status page and metrics; others get 403"
        ) { c, args, _ in
            var list: [CIDR] = []
            for a in args {
                switch a.asciiLowercased {
                case "all": list += [CIDR("0.0.0.0/0")!, CIDR("::/0")!]
                case "loopback": list += CIDR.loopback
                default:
                    guard let cidr = CIDR(a) else {
                        throw DirectiveError.sentence(
                            "StatusAllow wants numeric addresses or CIDR blocks (127.0.0.1, 10.0.0.0/8, ::1), 'loopback' or 'all', got '\(a)'"
                        )
                    }
                    list.append(cidr)
                }
            }
            c.statusAllow = list
        },
        Directive(
            "LogHealth", "on|off", contexts: [.server], field: "logHealth", .flag, { $0.logHealth = $1 }, default: "off",
            help: "write health and readiness checks to the access log"),
        Directive(
            "IdleExit", "s", contexts: [.server], field: "idleExit", .positiveSeconds, { $0.idleExit = $1 }, default: "30",
            help: "inetd wait style: exit after this long without a connection"),
        Directive(
            "DrainDelay", "s", contexts: [.server], field: "drainDelay", .seconds, { $0.drainDelay = $1 }, default: "0",
            help: "after SIGTERM, keep serving this long while ReadyPath answers 503"),
        Directive(
            "ServerName", "name", arity: .one, contexts: [.server, .virtualHost], field: "serverName", default: .unset("none"),
            help: "the site's name, matched against the request's Host (and the TLS SNI name)"
        ) { c, args, _ in
            c.serverName = try SiteSyntax.hostName(args[0], wildcard: false)
        },
        Directive(
            "ServerAlias", "name|*.name ...", arity: .atLeast(1), contexts: [.virtualHost], field: "serverAliases",
            default: .unset("none"), help: "more names of the site, exact or *.domain (any name under it); repeatable"
        ) { c, args, _ in
            c.serverAliases += try args.map { try SiteSyntax.hostName($0, wildcard: true) }
        },
        Directive(
            "StrictHostCheck", "on|off", contexts: [.server], field: "strictHostCheck", .flag, { $0.strictHostCheck = $1 },
            default: "off", help: "421 for a Host that names no site (off: the first <VirtualHost> answers, as Apache)"),
        Directive(
            "Header", "[always] set|append|add|unset NAME [value]", arity: .range(2...4),
            contexts: [.server, .virtualHost, .location], field: "headers", default: .unset("none"),
            help: "a response field for this site or location (always: on errors too); repeatable, outer blocks first"
        ) { c, args, _ in
            c.headers.append(try SiteSyntax.header(args))
        },
        Directive(
            "Redirect", "[301|302|303|307|308] /prefix URL|/path", arity: .range(2...3), contexts: [.server, .virtualHost],
            field: "redirects", default: .unset("none"),
            help: "redirect a path and everything under it, keeping the rest of the path and the query; repeatable"
        ) { c, args, _ in
            c.redirects.append(try SiteSyntax.redirect(args))
        },
        Directive(
            "TryFiles", "$uri $uri.html $uri/ ... [=404]", arity: .atLeast(1), contexts: [.server, .virtualHost],
            field: "tryFiles", default: .unset("none"),
            help: "paths tried in order for a request that names no file ($uri is the request path), then =CODE"
        ) { c, args, _ in
            c.tryFiles = try SiteSyntax.tryFiles(args)
        },
        Directive(
            "FallbackFile", "/path|off", contexts: [.server, .virtualHost], field: "fallbackFile",
            ValueParser { v, _ in
                if v.asciiLowercased == "off" { return nil }
                guard v.utf8.first == UInt8(ascii: "/"), v.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
                    throw DirectiveError.value("wants a path starting with / (or off), got '\(v)'")
                }
                return v
            }, { $0.fallbackFile = $1 }, default: .unset("none"),
            help: "single-page apps: this file (200) for GET/HEAD that match no file, accept HTML and name no extension"),
        Directive(
            "AuthType", "Basic|None", arity: .one, contexts: [.server, .virtualHost, .location], field: "authType",
            default: .unset("none"), help: "Basic: a user name and password from AuthUserFile; None: no authentication"
        ) { c, args, reader in
            switch args[0].asciiLowercased {
            case "basic":
                c.authType = "Basic"
                c.origins.authType = reader.location
            case "none":
                c.authType = nil
                c.origins.authType = nil
                c.origins.authNone = true
            default: throw DirectiveError.value("wants Basic or None, got '\(args[0])'")
            }
        },
        Directive(
            "AuthName", "realm", arity: .one, contexts: [.server, .virtualHost, .location], field: "authName",
            default: .unset("none"), help: "the realm the browser shows when it asks for a password"
        ) { c, args, _ in
            guard !args[0].isEmpty, args[0].utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
                throw DirectiveError.value("wants a realm of printable characters, got '\(args[0])'")
            }
            c.authName = args[0]
        },
        Directive(
            "AuthUserFile", "path", arity: .one, contexts: [.server, .virtualHost, .location], field: "authUserFile",
            default: .unset("none"), help: "the htpasswd file (bcrypt, SHA-256/512 crypt, yescrypt; apr1 and SHA warned)"
        ) { c, args, reader in
            c.authUserFile = try ValueParser<String>.filePath.parse(args[0], reader)
            c.origins.authUserFile = reader.location
        },
        Directive(
            "Require", "valid-user|user name...", arity: .atLeast(1), contexts: [.server, .virtualHost, .location],
            field: "require", default: .unset("none"), help: "who may pass Basic authentication"
        ) { c, args, reader in
            c.require = try SiteSyntax.requirement(args)
            c.origins.require = reader.location
        },
    ]
}

extension Directive {
    /// Longest HSTS max-age accepted: 10 years.
    static let hstsMaxAgeLimit = 315_360_000
    /// Shortest max-age that `preload` accepts (hstspreload.org's requirement, with includeSubDomains): a year.
    static let hstsPreloadMinimum = 31_536_000

    /// The `Strict-Transport-Security` value for `HSTS`'s arguments, spelled `max-age=N; includeSubDomains;
    /// preload`; nil for `off`. The reader splits at spaces, so the words are joined and split again at `;`;
    /// max-age is `N` or `max-age=N`, the options match without regard to case, each at most once.
    static func hstsValue(_ args: [String]) throws -> String? {
        if args[0].asciiLowercased == "off" {
            guard args.count == 1 else { throw DirectiveError.sentence("HSTS off takes nothing after it") }
            return nil
        }
        var maxAge: Int?
        var includeSubDomains = false
        var preload = false
        let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        let isSpace = { (b: UInt8) in b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        for part in args.joined(separator: " ").utf8.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
            var bytes = part.drop(while: isSpace)
            while let last = bytes.last, isSpace(last) { bytes = bytes.dropLast() }
            // An empty part (`31536000;`, `;;`) is allowed, as RFC 6797's grammar allows it.
            if bytes.isEmpty { continue }
            let item = String(decoding: bytes, as: UTF8.self)
            let lower = item.asciiLowercased
            if lower == "includesubdomains" {
                guard !includeSubDomains else { throw DirectiveError.value("includeSubDomains is given twice") }
                includeSubDomains = true
            } else if lower == "preload" {
                guard !preload else { throw DirectiveError.value("preload is given twice") }
                preload = true
            } else if lower.hasPrefix("max-age=") || isDigit(bytes.first ?? 0) {
                guard maxAge == nil else { throw DirectiveError.value("max-age is given twice") }
                let number = lower.hasPrefix("max-age=") ? String(decoding: bytes.dropFirst(8), as: UTF8.self) : item
                guard !number.isEmpty, number.utf8.allSatisfy(isDigit), let n = Int(number), n <= hstsMaxAgeLimit else {
                    throw DirectiveError.value(
                        "max-age wants a whole number of seconds from 0 to \(hstsMaxAgeLimit) (10 years), got '\(number)'")
                }
                maxAge = n
            } else {
                throw DirectiveError.value("wants max-age[; includeSubDomains][; preload] or off, got '\(item)'")
            }
        }
        guard let maxAge else {
            throw DirectiveError.value("wants a max-age in seconds first, as in HSTS 31536000; includeSubDomains")
        }
        if preload && (maxAge < hstsPreloadMinimum || !includeSubDomains) {
            throw DirectiveError.value(
                "preload requires max-age of at least \(hstsPreloadMinimum) and includeSubDomains (as hstspreload.org requires)")
        }
        return "max-age=\(maxAge)" + (includeSubDomains ? "; includeSubDomains" : "") + (preload ? "; preload" : "")
    }
}

/// A rule about the whole configuration, checked once every line (the file's, then each `-c`) is applied:
/// what one directive needs from others, which a directive cannot check on its own line because the line
/// that satisfies it may come later. Each problem names where the directive at fault was written.
struct ConfigurationCheck: Sendable {
    /// The rule, in a few words.
    let rule: String
    /// Each problem found: the location (`httpd.conf:12`) and the message.
    let problems: @Sendable (Configuration) -> [(location: String, message: String)]

    /// Every check, in the order their errors are reported (after the errors of single lines).
    static let all: [ConfigurationCheck] = [
        ConfigurationCheck(rule: "every TLSCertificateFile is followed by its TLSCertificateKeyFile") { c in
            c.tlsCertificates.filter { $0.keyFile.isEmpty }.map {
                (
                    $0.certificateLocation,
                    "TLSCertificateFile \($0.certificateFile) has no TLSCertificateKeyFile after it (each key follows its certificate)"
                )
            }
        },
        ConfigurationCheck(rule: "a Listen with tls has a certificate") { c in
            guard c.tlsCertificates.isEmpty else { return [] }
            return c.effectiveListen.filter { $0.tls }.map {
                (
                    c.origins.location(ofTLS: $0) ?? "configuration",
                    "Listen \($0) tls needs a certificate: TLSCertificateFile and TLSCertificateKeyFile"
                )
            }
        },
        ConfigurationCheck(rule: "Basic authentication has its realm, user file and requirement") { c in
            c.scopes.compactMap { scope in
                if let at = scope.origins.authType, scope.auth == nil {
                    return (at, "AuthType Basic needs AuthName, AuthUserFile and Require")
                }
                if let at = scope.origins.require, scope.authType == nil, !scope.origins.authNone {
                    return (at, "Require needs AuthType Basic (and AuthName, AuthUserFile)")
                }
                return nil
            }
        },
        ConfigurationCheck(rule: "no two sites share a name") { c in
            var owner: [String: String] = [:]
            var problems: [(location: String, message: String)] = []
            for site in c.virtualHosts {
                for name in [site.config.serverName].compactMap({ $0 }) + site.config.serverAliases {
                    if let first = owner[name] {
                        problems.append((site.location, "\(name) already names the <VirtualHost> at \(first)"))
                    } else {
                        owner[name] = site.location
                    }
                }
            }
            return problems
        },
        ConfigurationCheck(rule: "RedirectToHTTPS on has an HTTPS address to redirect to") { c in
            guard c.redirectToHTTPS && !c.hasTLSListener else { return [] }
            return [(c.origins.redirectToHTTPS ?? "configuration", "RedirectToHTTPS on needs a Listen with tls")]
        },
    ]
}

// MARK: - Value parsers

extension ValueParser where T == Bool {
    /// `on`/`off` (also `yes`/`no`, `true`/`false`).
    static var flag: Self {
        ValueParser { v, _ in
            switch v.asciiLowercased {
            case "on", "yes", "true": return true
            case "off", "no", "false": return false
            default: throw DirectiveError.value("wants on or off, got '\(v)'")
            }
        }
    }
}

extension ValueParser where T == Int {
    /// A whole number within `range`.
    static func integer(in range: ClosedRange<Int>) -> Self {
        ValueParser { v, _ in
            guard let n = Int(v), range.contains(n) else {
                throw DirectiveError.value("wants a whole number from \(range.lowerBound) to \(range.upperBound), got '\(v)'")
            }
            return n
        }
    }
}

extension ValueParser where T == Double {
    /// Seconds, whole or decimal (`5`, `0.5`), from 0 to a year.
    static var seconds: Self { seconds(allowZero: true) }
    /// Seconds above 0: a timeout that must be able to expire.
    static var positiveSeconds: Self { seconds(allowZero: false) }

    private static func seconds(allowZero: Bool) -> Self {
        ValueParser { v, _ in
            guard let n = Double(v), n.isFinite, n >= 0, n <= 86400 * 365, allowZero || n > 0 else {
                throw DirectiveError.value("wants a number of seconds\(allowZero ? "" : " above 0"), got '\(v)'")
            }
            return n
        }
    }
}

extension ValueParser where T == String {
    /// A path, made absolute against the configuration file's folder.
    static var path: Self { ValueParser { v, reader in reader.resolve(v) } }

    /// A file's path (not empty), made absolute against the configuration file's folder.
    static var filePath: Self {
        ValueParser { v, reader in
            guard !v.isEmpty else { throw DirectiveError.value("wants a file path, got ''") }
            return reader.resolve(v)
        }
    }

    /// An OpenSSL cipher list (`NAME:NAME:...`): checked for shape only, printable ASCII without spaces;
    /// OpenSSL checks the names when TLS starts.
    static var cipherList: Self {
        ValueParser { v, _ in
            guard !v.isEmpty, v.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw DirectiveError.value("wants an OpenSSL cipher list without spaces (NAME:NAME:...), got '\(v)'")
            }
            return v
        }
    }
}

extension ValueParser where T == String? {
    /// A user or group name; `empty` is the whole message when it is empty.
    static func name(_ empty: String) -> Self {
        ValueParser { v, _ in
            guard !v.isEmpty else { throw DirectiveError.sentence(empty) }
            return v
        }
    }

    /// A path made absolute, or nil for `off`.
    static var pathOrOff: Self { ValueParser { v, reader in v.asciiLowercased == "off" ? nil : reader.resolve(v) } }

    /// An endpoint path (`/healthz`): printable ASCII without query or fragment; nil for `off`.
    static var endpoint: Self {
        ValueParser { v, _ in
            if v.asciiLowercased == "off" { return nil }
            guard v.utf8.first == UInt8(ascii: "/"),
                v.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") })
            else {
                throw DirectiveError.value("wants a path starting with / (or off), got '\(v)'")
            }
            return v
        }
    }
}

extension ValueParser where T == ListenAddress {
    /// `port`, `*:port`, `a.b.c.d:port` or `[v6]:port`.
    static var listen: Self {
        ValueParser { v, _ in
            var host = "127.0.0.1"
            var portText = v
            if v.hasPrefix("[") {
                guard let close = v.firstIndex(of: "]"), v[v.index(after: close)...].hasPrefix(":") else {
                    throw DirectiveError.value("wants [address]:port for IPv6, got '\(v)'")
                }
                host = String(v[v.index(after: v.startIndex)..<close])
                portText = String(v[v.index(close, offsetBy: 2)...])
                guard IPAddress.isIPv6(host) else { throw DirectiveError.value("'\(host)' is not a numeric IPv6 address") }
            } else if let colon = v.lastIndex(of: ":") {
                host = String(v[..<colon])
                portText = String(v[v.index(after: colon)...])
                if host == "*" { host = "0.0.0.0" }
                guard IPAddress.isIPv4(host) else {
                    throw DirectiveError.value("'\(host)' is not a numeric IPv4 address (write IPv6 as [::1]:port)")
                }
            }
            guard let port = UInt16(portText) else {
                throw DirectiveError.value("'\(portText)' is not a port number from 0 to 65535")
            }
            return ListenAddress(host: host, port: port)
        }
    }
}

extension String {
    /// The string with only ASCII `A`–`Z` lowered, byte by byte: names and keywords never match
    /// through Unicode case mappings (the Kelvin sign is not `k`).
    var asciiLowercased: String {
        String(decoding: utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
