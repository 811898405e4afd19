// What the server derives from a Configuration before serving: the real document root, the MIME
// table, limits. Built (and checked) once at start-up, and by `-t`, with blocking calls allowed.

public import Config
public import Files
public import HTTPCore
public import Support
public import TLS

#if canImport(Glibc)
    import Glibc
#endif

/// A checked configuration plus everything derived from it; Sendable, replaced whole on reload.
public struct ServerSettings: Sendable {
    public var config: Configuration
    public var lookup: LookupSettings
    public var staticSettings: StaticSettings
    public var limits: HeadLimits
    public var monitoring: MonitoringPaths
    /// The `Server` header value, built once.
    public var serverHeader: String
    /// The TLS contexts (certificates read and checked), made when certificates are configured; nil otherwise.
    public var tls: TLSContext?
    /// `Strict-Transport-Security: …` with its CRLF, sent on TLS responses; empty without `HSTS`.
    public var hstsLine: String = ""
    /// The port plain requests are redirected to (`RedirectToHTTPS on`: the first TLS listener's); nil when off.
    public var httpsRedirectPort: Int?

    /// Checks the document root and types file and derives the settings; throws what is wrong.
    /// `checkTLSChain` false skips the check that certificate chains reach a trusted root (inetd mode:
    /// reading the system's roots would cost every connection some 60 ms; `-t` and a stand-alone start check).
    public static func make(_ config: Configuration, checkTLSChain: Bool = true) throws(StartupError) -> ServerSettings {
        var root = config.documentRoot
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        var st = stat()
        guard stat(root, &st) == 0 else { throw StartupError.errno("DocumentRoot \(root)") }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw StartupError("DocumentRoot \(root): not a directory") }
        guard access(root, R_OK | X_OK) == 0 else { throw StartupError.errno("DocumentRoot \(root)") }
        guard let realRoot = FileLookup.realPath(root) else { throw StartupError.errno("DocumentRoot \(root)") }

        // The types file is read now (a reload takes a new copy) but only looked into for the extensions asked for.
        var typesFile: [UInt8]?
        switch config.typesConfig {
        case nil:
            typesFile = readFile("/etc/mime.types")
        case .some(""):
            typesFile = nil
        case .some(let path):
            guard let bytes = readFile(path) else { throw StartupError.errno("TypesConfig \(path)") }
            typesFile = bytes
        }
        let mime = MIMETypes(mimeTypesFile: typesFile, defaultType: config.defaultType, charset: config.defaultCharset)
        let lookup = LookupSettings(
            root: root == "/" ? "" : root, realRoot: realRoot, directoryIndex: config.directoryIndex, autoindex: config.autoindex,
            hideDotfiles: config.hideDotfiles, symlinks: config.followSymlinks, precompressed: config.precompressed,
            mimeTypes: mime)
        var tls: TLSContext?
        if !config.tlsCertificates.isEmpty {
            tls = try TLSContext.make(tlsOptions(config), checkChain: checkTLSChain)
        }
        var settings = ServerSettings(
            config: config, lookup: lookup,
            staticSettings: StaticSettings(cacheControl: config.cacheControl, precompressed: config.precompressed),
            limits: HeadLimits(
                requestLine: config.limitRequestLine, fieldLine: config.limitRequestFieldSize,
                fieldCount: config.limitRequestFields, headSize: config.limitRequestHeadSize),
            monitoring: MonitoringPaths(
                health: config.healthPath, ready: config.readyPath, status: config.statusPath,
                metrics: config.metricsPath),
            serverHeader: config.serverHeader)
        settings.tls = tls
        settings.hstsLine = config.hsts.map { "Strict-Transport-Security: \($0)\r\n" } ?? ""
        if config.redirectToHTTPS, let first = config.effectiveListen.first(where: \.tls) {
            settings.httpsRedirectPort = Int(first.port)
        }
        return settings
    }

    /// The TLS target's view of the configuration's TLS directives.
    static func tlsOptions(_ config: Configuration) -> TLSOptions {
        let versions = config.tlsProtocols.map { $0 == .tls12 ? 12 : 13 }
        return TLSOptions(
            certificates: config.tlsCertificates,
            minVersion: versions.min() ?? 12, maxVersion: versions.max() ?? 13, ciphers: config.tlsCiphers,
            cipherSuites: config.tlsCipherSuites, sessionTickets: config.tlsSessionTickets,
            sessionCache: config.tlsSessionCache)
    }
}
