// Reads Apache-style httpd.conf text ("Directive value ...", '#' comments, "quoted values")
// into a Configuration, collecting every error as `file:line: message`.
import Support

/// One configuration error, printed as `file:line: message` like a compiler's.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}

/// Turns configuration text into a `Configuration`; pure apart from the base folder it is given.
public struct ConfigReader {
    /// Folder that relative paths in the text are relative to (the config file's folder).
    public let baseDirectory: String

    public init(baseDirectory: String) {
        self.baseDirectory = baseDirectory
    }

    /// Splits one line into words: whitespace separates, double quotes group (with `\"` and `\\`),
    /// and an unquoted word starting with `#` ends the line. Returns nil on an unterminated quote.
    static func words(of line: Substring) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var inQuotes = false
        var escaped = false
        for ch in line {
            if inQuotes {
                if escaped {
                    current.append(ch)
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == "\"" {
                    inQuotes = false
                } else {
                    current.append(ch)
                }
            } else if ch == " " || ch == "\t" || ch == "\r" {
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            } else if ch == "\"" {
                inQuotes = true
                inWord = true
            } else if ch == "#" && !inWord {
                break
            } else {
                current.append(ch)
                inWord = true
            }
        }
        if inQuotes { return nil }
        if inWord { words.append(current) }
        return words
    }

    /// Applies every directive in `text` to `config`; returns all errors found (empty on success).
    public func apply(_ text: String, file: String, to config: inout Configuration) -> [ConfigError] {
        var errors: [ConfigError] = []
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so CRLF files need it named as a separator too.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            guard let words = Self.words(of: rawLine) else {
                errors.append(ConfigError(file: file, line: lineNumber, message: "unterminated quoted value"))
                continue
            }
            guard let name = words.first else { continue }
            let args = Array(words.dropFirst())
            if let message = applyDirective(name, args, to: &config) {
                errors.append(ConfigError(file: file, line: lineNumber, message: message))
            }
        }
        return errors
    }

    /// Applies one directive; returns an error message, or nil when it was applied.
    func applyDirective(_ name: String, _ args: [String], to c: inout Configuration) -> String? {
        guard let directive = Directive(rawValue: name.lowercased()) else {
            return "unknown directive '\(name)'"
        }
        let (minArgs, maxArgs) = directive.arity
        if args.count < minArgs || args.count > maxArgs {
            let wanted =
                minArgs == maxArgs ? "\(minArgs)" : (maxArgs == Int.max ? "at least \(minArgs)" : "\(minArgs) to \(maxArgs)")
            return
                "\(directive.displayName) takes \(wanted) argument\(maxArgs == 1 || (minArgs == 1 && maxArgs == Int.max) ? "" : "s"), got \(args.count)"
        }
        let v = args.first ?? ""
        do {
            switch directive {
            case .listen:
                let address = try Self.parseListen(v)
                if c.listen.contains(address) { return "Listen \(address) is given twice" }
                c.listen.append(address)
            case .documentRoot: c.documentRoot = resolve(v)
            case .workers: c.workers = try Self.integer(v, in: 1...1024)
            case .keepAlive: c.keepAlive = try Self.flag(v)
            case .keepAliveTimeout: c.keepAliveTimeout = try Self.seconds(v)
            case .maxKeepAliveRequests: c.maxKeepAliveRequests = try Self.integer(v, in: 0...Int(Int32.max))
            case .requestHeaderTimeout: c.requestHeaderTimeout = try Self.seconds(v, allowZero: false)
            case .requestBodyTimeout: c.requestBodyTimeout = try Self.seconds(v, allowZero: false)
            case .sendTimeout: c.sendTimeout = try Self.seconds(v, allowZero: false)
            case .maxConnections: c.maxConnections = try Self.integer(v, in: 1...1_000_000)
            case .limitRequestLine: c.limitRequestLine = try Self.integer(v, in: 64...1 << 20)
            case .limitRequestFieldSize: c.limitRequestFieldSize = try Self.integer(v, in: 64...1 << 20)
            case .limitRequestFields: c.limitRequestFields = try Self.integer(v, in: 1...10_000)
            case .limitRequestBody: c.limitRequestBody = try Self.integer(v, in: 0...Int(Int64.max))
            case .directoryIndex:
                if args.contains(where: { $0.contains("/") || $0.isEmpty }) { return "DirectoryIndex names files, not paths" }
                c.directoryIndex = args
            case .autoindex: c.autoindex = try Self.flag(v)
            case .typesConfig: c.typesConfig = v.lowercased() == "builtin" ? "" : resolve(v)
            case .defaultType:
                guard v.contains("/") else { return "DefaultType wants a media type such as text/plain, got '\(v)'" }
                c.defaultType = v
            case .addDefaultCharset: c.defaultCharset = v.lowercased() == "off" ? nil : v
            case .errorDocument:
                guard let code = Int(v), (400...599).contains(code) else {
                    return "ErrorDocument wants a status code from 400 to 599, got '\(v)'"
                }
                guard args[1].hasPrefix("/") else {
                    return "ErrorDocument wants a local path starting with '/', got '\(args[1])'"
                }
                c.errorDocuments[code] = args[1]
            case .hideDotfiles: c.hideDotfiles = try Self.flag(v)
            case .followSymlinks:
                guard let policy = SymlinkPolicy(rawValue: v.lowercased()) else {
                    return "FollowSymlinks wants on, inside or off, got '\(v)'"
                }
                c.followSymlinks = policy
            case .precompressed: c.precompressed = try Self.flag(v)
            case .cacheControl:
                if v.lowercased() == "off" || v.isEmpty {
                    c.cacheControl = nil
                    break
                }
                guard v.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }) else { return "CacheControl has a control character" }
                c.cacheControl = v
            case .fileCacheValidity: c.fileCacheValidity = try Self.seconds(v)
            case .fileCacheEntries: c.fileCacheEntries = try Self.integer(v, in: 0...1_000_000)
            case .serverTokens:
                switch v.lowercased() {
                case "prod", "productonly": c.serverTokensFull = false
                case "full": c.serverTokensFull = true
                default: return "ServerTokens wants Prod or Full, got '\(v)'"
                }
            case .logLevel:
                guard let level = LogLevel(name: v) else {
                    return "LogLevel wants one of \(LogLevel.allCases.map { "\($0)" }.joined(separator: ", ")), got '\(v)'"
                }
                c.logLevel = level
            case .daemon: c.foreground = !(try Self.flag(v))
            case .pidFile: c.pidFile = v.lowercased() == "off" ? nil : resolve(v)
            case .accessLog:
                if v.lowercased() == "off" {
                    guard args.count == 1 else { return "AccessLog off takes no format" }
                    c.accessLog = nil
                    break
                }
                var format = AccessLogFormat.combined
                if args.count == 2 {
                    guard let f = AccessLogFormat(rawValue: args[1].lowercased()) else {
                        return "AccessLog format must be common or combined, got '\(args[1])'"
                    }
                    format = f
                }
                c.accessLog = (resolve(v), format)
            case .errorLog:
                switch v.lowercased() {
                case "stderr": c.errorLog = .stderr
                case "syslog": c.errorLog = .syslog
                default: c.errorLog = .file(resolve(v))
                }
            case .user:
                guard !v.isEmpty else { return "User wants a user name" }
                c.user = v
            case .group:
                guard !v.isEmpty else { return "Group wants a group name" }
                c.group = v
            case .shutdownTimeout: c.shutdownTimeout = try Self.seconds(v)
            case .healthPath: c.healthPath = try Self.endpointPath(v)
            case .readyPath: c.readyPath = try Self.endpointPath(v)
            case .statusPath: c.statusPath = try Self.endpointPath(v)
            case .metricsPath: c.metricsPath = try Self.endpointPath(v)
            case .statusAllow:
                var list: [CIDR] = []
                for a in args {
                    if a.lowercased() == "all" {
                        list += [CIDR("0.0.0.0/0")!, CIDR("::/0")!]
                    } else if a.lowercased() == "loopback" {
                        list += CIDR.loopback
                    } else if let cidr = CIDR(a) {
                        list.append(cidr)
                    } else {
                        return
                            "StatusAllow wants numeric addresses or CIDR blocks (127.0.0.1, 10.0.0.0/8, ::1), 'loopback' or 'all', got '\(a)'"
                    }
                }
                c.statusAllow = list
            case .logHealth: c.logHealth = try Self.flag(v)
            case .drainDelay: c.drainDelay = try Self.seconds(v)
            case .idleExit: c.idleExit = try Self.seconds(v, allowZero: false)
            }
        } catch let error as ValueError {
            return "\(directive.displayName): \(error.message)"
        } catch {
            return "\(directive.displayName): \(error)"
        }
        return nil
    }

    /// A path made absolute against `baseDirectory`.
    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path)
    }

    struct ValueError: Error { var message: String }

    /// `on`/`off` (also `yes`/`no`, `true`/`false`).
    static func flag(_ v: String) throws -> Bool {
        switch v.lowercased() {
        case "on", "yes", "true": return true
        case "off", "no", "false": return false
        default: throw ValueError(message: "wants on or off, got '\(v)'")
        }
    }

    /// A whole number within `range`.
    static func integer(_ v: String, in range: ClosedRange<Int>) throws -> Int {
        guard let n = Int(v), range.contains(n) else {
            throw ValueError(message: "wants a whole number from \(range.lowerBound) to \(range.upperBound), got '\(v)'")
        }
        return n
    }

    /// Seconds, whole or decimal (`5`, `0.5`).
    static func seconds(_ v: String, allowZero: Bool = true) throws -> Double {
        guard let n = Double(v), n.isFinite, n >= 0, n <= 86400 * 365, allowZero || n > 0 else {
            throw ValueError(message: "wants a number of seconds\(allowZero ? "" : " above 0"), got '\(v)'")
        }
        return n
    }

    /// An endpoint path (`/healthz`), or nil for `off`.
    static func endpointPath(_ v: String) throws -> String? {
        if v.lowercased() == "off" { return nil }
        guard v.hasPrefix("/"), !v.contains("?"), !v.contains("#"), v.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ValueError(message: "wants a path starting with / (or off), got '\(v)'")
        }
        return v
    }

    /// `port`, `*:port`, `a.b.c.d:port` or `[v6]:port`.
    static func parseListen(_ v: String) throws -> ListenAddress {
        var host = "127.0.0.1"
        var portText = v
        if v.hasPrefix("[") {
            guard let close = v.firstIndex(of: "]"), v[v.index(after: close)...].hasPrefix(":") else {
                throw ValueError(message: "wants [address]:port for IPv6, got '\(v)'")
            }
            host = String(v[v.index(after: v.startIndex)..<close])
            portText = String(v[v.index(close, offsetBy: 2)...])
            guard IPAddress.isIPv6(host) else { throw ValueError(message: "'\(host)' is not a numeric IPv6 address") }
        } else if let colon = v.lastIndex(of: ":") {
            host = String(v[..<colon])
            portText = String(v[v.index(after: colon)...])
            if host == "*" { host = "0.0.0.0" }
            guard IPAddress.isIPv4(host) else {
                throw ValueError(message: "'\(host)' is not a numeric IPv4 address (write IPv6 as [::1]:port)")
            }
        }
        guard let port = UInt16(portText) else { throw ValueError(message: "'\(portText)' is not a port number from 0 to 65535") }
        return ListenAddress(host: host, port: port)
    }
}

/// Every directive httpd.conf knows, with how many arguments it takes.
enum Directive: String, CaseIterable {
    case listen
    case documentRoot = "documentroot"
    case workers
    case keepAlive = "keepalive"
    case keepAliveTimeout = "keepalivetimeout"
    case maxKeepAliveRequests = "maxkeepaliverequests"
    case requestHeaderTimeout = "requestheadertimeout"
    case requestBodyTimeout = "requestbodytimeout"
    case sendTimeout = "sendtimeout"
    case maxConnections = "maxconnections"
    case limitRequestLine = "limitrequestline"
    case limitRequestFieldSize = "limitrequestfieldsize"
    case limitRequestFields = "limitrequestfields"
    case limitRequestBody = "limitrequestbody"
    case directoryIndex = "directoryindex"
    case autoindex
    case typesConfig = "typesconfig"
    case defaultType = "defaulttype"
    case addDefaultCharset = "adddefaultcharset"
    case errorDocument = "errordocument"
    case hideDotfiles = "hidedotfiles"
    case followSymlinks = "followsymlinks"
    case precompressed
    case cacheControl = "cachecontrol"
    case fileCacheValidity = "filecachevalidity"
    case fileCacheEntries = "filecacheentries"
    case serverTokens = "servertokens"
    case daemon
    case logLevel = "loglevel"
    case pidFile = "pidfile"
    case accessLog = "accesslog"
    case errorLog = "errorlog"
    case user, group
    case shutdownTimeout = "shutdowntimeout"
    case healthPath = "healthpath"
    case readyPath = "readypath"
    case statusPath = "statuspath"
    case metricsPath = "metricspath"
    case statusAllow = "statusallow"
    case logHealth = "loghealth"
    case drainDelay = "draindelay"
    case idleExit = "idleexit"

    /// The directive as documented (CamelCase).
    var displayName: String {
        switch self {
        case .listen: "Listen"
        case .documentRoot: "DocumentRoot"
        case .workers: "Workers"
        case .keepAlive: "KeepAlive"
        case .keepAliveTimeout: "KeepAliveTimeout"
        case .maxKeepAliveRequests: "MaxKeepAliveRequests"
        case .requestHeaderTimeout: "RequestHeaderTimeout"
        case .requestBodyTimeout: "RequestBodyTimeout"
        case .sendTimeout: "SendTimeout"
        case .maxConnections: "MaxConnections"
        case .limitRequestLine: "LimitRequestLine"
        case .limitRequestFieldSize: "LimitRequestFieldSize"
        case .limitRequestFields: "LimitRequestFields"
        case .limitRequestBody: "LimitRequestBody"
        case .directoryIndex: "DirectoryIndex"
        case .autoindex: "Autoindex"
        case .typesConfig: "TypesConfig"
        case .defaultType: "DefaultType"
        case .addDefaultCharset: "AddDefaultCharset"
        case .errorDocument: "ErrorDocument"
        case .hideDotfiles: "HideDotfiles"
        case .followSymlinks: "FollowSymlinks"
        case .precompressed: "Precompressed"
        case .cacheControl: "CacheControl"
        case .fileCacheValidity: "FileCacheValidity"
        case .fileCacheEntries: "FileCacheEntries"
        case .serverTokens: "ServerTokens"
        case .daemon: "Daemon"
        case .logLevel: "LogLevel"
        case .pidFile: "PidFile"
        case .accessLog: "AccessLog"
        case .errorLog: "ErrorLog"
        case .user: "User"
        case .group: "Group"
        case .shutdownTimeout: "ShutdownTimeout"
        case .healthPath: "HealthPath"
        case .readyPath: "ReadyPath"
        case .statusPath: "StatusPath"
        case .metricsPath: "MetricsPath"
        case .statusAllow: "StatusAllow"
        case .logHealth: "LogHealth"
        case .drainDelay: "DrainDelay"
        case .idleExit: "IdleExit"
        }
    }

    /// Fewest and most arguments.
    var arity: (Int, Int) {
        switch self {
        case .directoryIndex, .statusAllow: (1, Int.max)
        case .errorDocument: (2, 2)
        case .accessLog: (1, 2)
        default: (1, 1)
        }
    }
}
