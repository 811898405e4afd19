// The daemon's configuration as one Sendable value: every default lives here, once (the directive table
// shows each as text, and a unit test checks the two agree). ConfigReader fills it; the server only reads it.

public import Support

/// This build's version, as `httpd -v` prints it.
public let httpdVersion = "0.1.0"

/// An address and port to listen on, as written after `Listen`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// Numeric host (`127.0.0.1`, `::1`, `0.0.0.0`, `::`); IPv6 is written in brackets in the config.
    public var host: String
    /// TCP port; 0 asks the kernel for a free one.
    public var port: UInt16
    /// HTTPS (`Listen addr:port tls`): every connection starts with a TLS handshake. Default false.
    public var tls: Bool = false

    public init(host: String, port: UInt16, tls: Bool = false) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    /// True when `host` is an IPv6 literal.
    public var isIPv6: Bool { host.contains(":") }

    /// `host:port` (`[::1]:8080` for IPv6), without the scheme: what `Listen` takes and the logs name.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The same socket address (host and port), whether or not either speaks TLS.
    public func sameSocket(_ other: ListenAddress) -> Bool { host == other.host && port == other.port }

    /// The address as a URL: `https://127.0.0.1:8443/` with tls, `http://[::1]:8080/` without.
    public var url: String { "\(tls ? "https" : "http")://\(description)/" }
}

/// A certificate and its private key (`TLSCertificateFile` then `TLSCertificateKeyFile`), with where each
/// was written so that a later check of the files (TLS start-up) can report `file:line: message`.
public struct TLSCertificatePair: Sendable, Equatable {
    /// The certificate (chain) file, PEM; resolved against the configuration file's folder.
    public var certificateFile: String
    /// Its private key file, PEM; resolved likewise.
    public var keyFile: String
    /// Where `TLSCertificateFile` was written: `httpd.conf:12`, `-c:1`.
    public var certificateLocation: String
    /// Where `TLSCertificateKeyFile` was written.
    public var keyLocation: String

    public init(certificateFile: String, keyFile: String, certificateLocation: String, keyLocation: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.certificateLocation = certificateLocation
        self.keyLocation = keyLocation
    }
}

/// A TLS protocol version httpd may offer (`TLSProtocols`); older ones cannot be enabled.
public enum TLSProtocolVersion: String, Sendable, CaseIterable {
    case tls12 = "TLSv1.2"
    case tls13 = "TLSv1.3"
}

/// How symbolic links under the document root are treated.
public enum SymlinkPolicy: String, Sendable {
    /// Follow any symlink, wherever it points.
    case on
    /// Follow a symlink only when its target lies inside the document root (the default).
    case inside
    /// Never serve a path that goes through a symlink.
    case off
}

/// Everything httpd.conf and `-c` can set. Defaults fit a server facing the public internet.
public struct Configuration: Sendable {
    /// Addresses to listen on (`Listen`, repeatable). Default: 127.0.0.1:8080.
    public var listen: [ListenAddress] = []
    /// Folder served to clients (`DocumentRoot`). Default: `www` beside the config file.
    public var documentRoot: String = "www"
    /// Size of the Dispatch worker pool for blocking file-system work (`Workers`). Default 4.
    public var workers: Int = 4
    /// Worker processes the master forks (`WorkerProcesses`); 0 for `auto` (one per CPU).
    public var workerProcesses: Int = 1
    /// File lookups that may wait for a worker at once (`WorkerQueueLimit`); beyond it a request gets 503
    /// with `Retry-After`. Default 1024.
    public var workerQueueLimit: Int = 1024
    /// Persistent connections (`KeepAlive on|off`). Default on.
    public var keepAlive: Bool = true
    /// Seconds an idle keep-alive connection is kept (`KeepAliveTimeout`). Default 5.
    public var keepAliveTimeout: Double = 5
    /// Requests served on one connection before it is closed (`MaxKeepAliveRequests`, 0 = unlimited). Default 1000.
    public var maxKeepAliveRequests: Int = 1000
    /// Total seconds allowed to receive a request head, from its first byte (`RequestHeaderTimeout`). Default 20.
    public var requestHeaderTimeout: Double = 20
    /// Total seconds allowed to receive a request body (`RequestBodyTimeout`). Default 20.
    public var requestBodyTimeout: Double = 20
    /// Seconds a send may make no progress before the client is dropped (`SendTimeout`). Default 20.
    public var sendTimeout: Double = 20
    /// Open client connections at most; at the limit httpd stops accepting and new connections wait in
    /// the kernel's backlog (`MaxConnections`). Default 1024.
    public var maxConnections: Int = 1024
    /// Open connections one client address may hold (`MaxConnectionsPerClient`, 0 = no limit); more are
    /// closed at once. Default 64.
    public var maxConnectionsPerClient: Int = 64
    /// Longest request line in bytes (`LimitRequestLine`); longer gets 414. Default 8190 (Apache's).
    public var limitRequestLine: Int = 8190
    /// Longest header field line in bytes (`LimitRequestFieldSize`); longer gets 431. Default 8190.
    public var limitRequestFieldSize: Int = 8190
    /// Most header fields in one request (`LimitRequestFields`); more gets 431. Default 100.
    public var limitRequestFields: Int = 100
    /// Most bytes in one request head, request line to blank line inclusive (`LimitRequestHeadSize`); more gets
    /// 431. Default 32768, so a connection's head never holds more memory than that.
    public var limitRequestHeadSize: Int = 32768
    /// Largest request body in bytes that is read and discarded (`LimitRequestBody`); larger gets 413. Default 1 MiB.
    public var limitRequestBody: Int = 1 << 20
    /// File names tried, in order, for a directory (`DirectoryIndex`). Default `index.html`.
    public var directoryIndex: [String] = ["index.html"]
    /// HTML listing for a directory without an index (`Autoindex on|off`). Default off.
    public var autoindex: Bool = false
    /// mime.types file (`TypesConfig`). Default `/etc/mime.types` when present; the built-in table otherwise.
    public var typesConfig: String? = nil
    /// Content-Type for unknown extensions (`DefaultType`). Default `application/octet-stream`.
    public var defaultType: String = "application/octet-stream"
    /// Charset added to text types (`AddDefaultCharset`, `off` for none). Default `utf-8`.
    public var defaultCharset: String? = "utf-8"
    /// Local pages for error statuses (`ErrorDocument CODE /path`), as URL paths under the document root.
    public var errorDocuments: [Int: String] = [:]
    /// Answer 404 for any path segment starting with a dot, except `/.well-known/`, also where a symlink resolves through one (`HideDotfiles`). Default on.
    public var hideDotfiles: Bool = true
    /// Symlink policy (`FollowSymlinks on|inside|off`). Default `inside`.
    public var followSymlinks: SymlinkPolicy = .inside
    /// Serve `x.br`/`x.gz` beside `x` when accepted and not older (`Precompressed on|off`). Default off.
    public var precompressed: Bool = false
    /// `Cache-Control` value for static responses (`CacheControl`); none by default.
    public var cacheControl: String? = nil
    /// Seconds a cached file's metadata is trusted before it is checked again (`FileCacheValidity`, 0 = no cache). Default 1.
    public var fileCacheValidity: Double = 1
    /// Files kept in the open-file cache at most (`FileCacheEntries`). Default 1024.
    public var fileCacheEntries: Int = 1024
    /// `Server` header: `httpd/VERSION` (`ServerTokens Full`, the default) or `httpd` (`ServerTokens Prod`).
    public var serverTokensFull: Bool = true
    /// Least severe error-log messages written (`LogLevel`). Default `info`.
    public var logLevel: LogLevel = .info
    /// Stay in the foreground (`Daemon off`, or `-F`); by default httpd daemonizes.
    public var foreground: Bool = false
    /// PID file (`PidFile path|off`); none by default (the shipped httpd.conf sets `logs/httpd.pid`).
    public var pidFile: String? = nil
    /// Access log file and format (`AccessLog path [common|combined]` or `off`); none by default.
    public var accessLog: (path: String, format: AccessLogFormat)? = nil
    /// Error log (`ErrorLog stderr|syslog|path`); default: stderr in the foreground, syslog as a daemon.
    public var errorLog: ErrorLogTarget? = nil
    /// User to run as after binding, when started as root (`User`); none by default.
    public var user: String? = nil
    /// Group to run as (`Group`); default the user's primary group.
    public var group: String? = nil
    /// Folder the worker changes its root to before dropping privileges (`Chroot`), absolute; none by default.
    /// Every DocumentRoot and AuthUserFile must lie inside it (`ChrootCheck`).
    public var chroot: String? = nil
    /// Seconds a graceful stop waits for in-flight responses before closing them (`ShutdownTimeout`). Default 30.
    public var shutdownTimeout: Double = 30

    /// Health endpoint (`HealthPath`, `off` to disable): 200 `ok` while the process serves. Default `/healthz`.
    public var healthPath: String? = "/healthz"
    /// Readiness endpoint (`ReadyPath`): 200 while accepting work, 503 while draining. Default `/readyz`.
    public var readyPath: String? = "/readyz"
    /// Status page (`StatusPath`): HTML, `?auto` (Apache mod_status), `?format=json`. Default `/server-status`.
    public var statusPath: String? = "/server-status"
    /// Prometheus metrics (`MetricsPath`). Default `/metrics`.
    public var metricsPath: String? = "/metrics"
    /// Clients allowed to read status and metrics (`StatusAllow addr|cidr ...`); others get 403. Default loopback.
    public var statusAllow: [CIDR] = CIDR.loopback
    /// Write health and readiness checks to the access log (`LogHealth on|off`). Default off.
    public var logHealth: Bool = false
    /// Seconds after SIGTERM during which httpd still accepts and serves while ReadyPath answers 503,
    /// so that load balancers take it out first (`DrainDelay`). Default 0.
    public var drainDelay: Double = 0

    /// inetd "wait" style (a listening socket on fd 0): exit after this many seconds without a
    /// connection, so the super-server takes the socket back (`IdleExit`). Default 30.
    public var idleExit: Double = 30

    /// Certificates and their keys for the `Listen … tls` addresses (`TLSCertificateFile` then
    /// `TLSCertificateKeyFile`, repeatable: an RSA and an ECDSA certificate side by side). None by default.
    public var tlsCertificates: [TLSCertificatePair] = []
    /// TLS versions offered (`TLSProtocols`), sorted and unique. Default TLSv1.2 and TLSv1.3.
    public var tlsProtocols: [TLSProtocolVersion] = [.tls12, .tls13]
    /// OpenSSL cipher list for TLS 1.2 (`TLSCiphers`). Default Mozilla's "intermediate" list (v5.7).
    public var tlsCiphers: String = Configuration.mozillaIntermediateCiphers
    /// OpenSSL cipher suites for TLS 1.3 (`TLSCipherSuites`). Default all three of TLS 1.3's usual suites.
    public var tlsCipherSuites: String = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
    /// Stateless TLS session resumption with tickets (`TLSSessionTickets on|off`). Default on.
    public var tlsSessionTickets: Bool = true
    /// Sessions kept in the server-side cache for TLS 1.2 session-ID resumption (`TLSSessionCache`, 0 = off).
    /// Default 20480.
    public var tlsSessionCache: Int = 20480
    /// `Strict-Transport-Security` header value sent on HTTPS responses (`HSTS`), in canonical spelling
    /// (`max-age=31536000; includeSubDomains`); none by default (`HSTS off`).
    public var hsts: String? = nil
    /// Answer plain-HTTP requests with a redirect to the HTTPS address (`RedirectToHTTPS on|off`). Default off.
    public var redirectToHTTPS: Bool = false

    /// This site's name (`ServerName`), lowercased, without a trailing dot; none by default.
    public var serverName: String? = nil
    /// More names of this site (`ServerAlias`, repeatable): exact names or `*.example.org` wildcards, lowercased.
    public var serverAliases: [String] = []
    /// A request whose Host names no site gets 421 instead of the first site (`StrictHostCheck on|off`). Default off.
    public var strictHostCheck: Bool = false
    /// `Header [always] set|append|add|unset NAME [value]` rules, outer blocks' first. None by default.
    public var headers: [HeaderRule] = []
    /// `Redirect [status] /prefix target` rules, in order. None by default.
    public var redirects: [RedirectRule] = []
    /// `TryFiles` entries, tried in order for a path that names no file; none by default.
    public var tryFiles: [TryFilesEntry] = []
    /// `FallbackFile /path`: served (200) for GET/HEAD requests that accept HTML and match no file; none by default.
    public var fallbackFile: String? = nil
    /// `AuthType Basic` (the only type; `None` turns authentication off below an authenticated block).
    public var authType: String? = nil
    /// `AuthName "realm"`.
    public var authName: String? = nil
    /// `AuthUserFile path`, absolute.
    public var authUserFile: String? = nil
    /// `Require valid-user|user name…`.
    public var require: Requirement? = nil
    /// `<VirtualHost>` blocks, resolved, in file order; none by default (the main server is the only site).
    public var virtualHosts: [VirtualHost] = []
    /// `<Location>` blocks in force for this site (the main server's first, then its own), resolved.
    public var locations: [LocationBlock] = []

    /// Basic authentication in force, when `AuthType Basic` and its three companions are all set.
    public var auth: AuthSettings? {
        guard authType?.asciiLowercased == "basic", let authName, let authUserFile, let require else { return nil }
        return AuthSettings(realm: authName, userFile: authUserFile, requirement: require)
    }

    /// Where the directives that the whole-configuration checks report on were written; set by the reader.
    var origins = DirectiveOrigins()
    /// Blocks read and not yet resolved (the reader's, between `read` and `resolveBlocks`).
    var pendingBlocks: [PendingBlock] = []

    /// Mozilla's "intermediate" TLS 1.2 cipher list (server-side TLS guidelines, v5.7).
    static let mozillaIntermediateCiphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        + "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"

    /// `::1` as address bytes.
    static let ipv6Loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]

    /// Whether `peer` may read status and metrics. A local (Unix-domain) peer is on this machine, so it
    /// counts as loopback; a peer the kernel could not name never may.
    public func statusAllowed(_ peer: PeerAddress) -> Bool {
        switch peer.kind {
        case .ip(let bytes): statusAllow.contains { $0.contains(bytes: bytes) }
        case .local:
            statusAllow.contains {
                $0.prefix == 0 || $0.contains(bytes: [127, 0, 0, 1]) || $0.contains(bytes: Self.ipv6Loopback)
            }
        case .unknown: false
        }
    }

    /// The error log actually used: the configured one, else stderr in the foreground and syslog as a daemon.
    public var effectiveErrorLog: ErrorLogTarget { errorLog ?? (foreground ? .stderr : .syslog) }

    /// The configuration with every default and no `Listen` yet.
    public init() {}

    /// The `Server` header value.
    public var serverHeader: String { serverTokensFull ? "httpd/\(httpdVersion)" : "httpd" }

    /// Listen addresses actually used: the configured ones, or 127.0.0.1:8080.
    public var effectiveListen: [ListenAddress] {
        listen.isEmpty ? [ListenAddress(host: "127.0.0.1", port: 8080)] : listen
    }

    /// The main server, its locations, every site and each site's locations: where site settings are checked.
    public var scopes: [Configuration] {
        [self] + locations.map(\.config)
            + virtualHosts.flatMap { [$0.config] + $0.config.locations.map(\.config) }
    }

    /// True when some listen address actually used is HTTPS (`Listen … tls`).
    public var hasTLSListener: Bool { effectiveListen.contains { $0.tls } }

    /// Whether the main server answers on some listener: always without `<VirtualHost>`, else on each `Listen`
    /// no `<VirtualHost>` names. A main server that answers nowhere need not have its DocumentRoot.
    public var mainServerAnswers: Bool {
        virtualHosts.isEmpty
            || effectiveListen.contains { address in
                !virtualHosts.contains { $0.addresses.contains { $0.matches(address) } }
            }
    }
}

/// Where some directives were written (`httpd.conf:12`, `-c:1`), kept so that the checks made once the
/// whole configuration is read (`ConfigurationCheck`) report the line at fault. Not part of what the
/// configuration means: nothing outside the reader looks at it.
struct DirectiveOrigins: Sendable {
    /// Every `Listen … tls` applied, in order. A `-c` Listen that replaces the file's leaves these behind:
    /// the checks look up the addresses still configured, the latest entry first.
    var tlsListens: [(address: ListenAddress, location: String)] = []
    /// The `RedirectToHTTPS on` in effect, if any.
    var redirectToHTTPS: String? = nil
    /// The `AuthType Basic` and the `Require` in effect, if any.
    var authType: String? = nil
    var require: String? = nil
    /// `AuthType None` was written here or above: a `Require` inherited is deliberately unused.
    var authNone = false
    /// The `Chroot`, `DocumentRoot` and `AuthUserFile` in effect, if written (a block inherits its parent's).
    var chroot: String? = nil
    var documentRoot: String? = nil
    var authUserFile: String? = nil

    /// Where `address` (host and port) was last given with tls.
    func location(ofTLS address: ListenAddress) -> String? {
        tlsListens.last { $0.address.host == address.host && $0.address.port == address.port }?.location
    }
}
