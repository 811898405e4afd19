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
    /// The main server (index 0), then each `<VirtualHost>` in configuration order.
    public var sites: [SiteSettings]
    /// The sites answering on each `Listen` address actually used.
    public var groups: [(address: ListenAddress, group: SiteGroup)]
    /// The sites answering on a listener not configured here (inherited from systemd or inetd): every
    /// `<VirtualHost>`, or the main server when there is none.
    public var inheritedGroup: SiteGroup
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
    /// Where the worker serves from with `Chroot` (the folder and the real paths of what it opens there), set
    /// when the configuration is loaded (`ChrootCheck.plan`); nil without `Chroot`.
    public var chroot: ChrootPlan?

    /// Checks the document root and types file and derives the settings; throws what is wrong.
    /// `checkTLSChain` false skips the check that certificate chains reach a trusted root (inetd mode:
    /// reading the system's roots would cost every connection some 60 ms; `-t` and a stand-alone start check).
    public static func make(_ config: Configuration, checkTLSChain: Bool = true) throws(StartupError) -> ServerSettings {
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
        // The main server answers on the listeners no <VirtualHost> names (and on every one when there is none).
        var sites = [try SiteSettings(index: 0, config: config, location: nil, mime: mime, used: config.mainServerAnswers)]
        for host in config.virtualHosts {
            sites.append(try SiteSettings(index: sites.count, config: host.config, location: host.location, mime: mime))
        }
        let blocks = Array(sites.dropFirst())
        let groups = config.effectiveListen.map { address in
            let named = blocks.filter { site in config.virtualHosts[site.index - 1].addresses.contains { $0.matches(address) } }
            return (address, SiteGroup(sites: named.isEmpty ? [0] : named.map(\.index), all: sites))
        }
        let inherited = SiteGroup(sites: blocks.isEmpty ? [0] : blocks.map(\.index), all: sites)
        var tls: TLSContext?
        if !config.tlsCertificates.isEmpty {
            tls = try TLSContext.make(tlsOptions(config), checkChain: checkTLSChain)
        }
        var settings = ServerSettings(
            config: config, sites: sites, groups: groups, inheritedGroup: inherited,
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

    /// The main server's lookup settings.
    public var lookup: LookupSettings { sites[0].scope.lookup }

    /// The sites answering on the listener bound as `address` (nil: inherited).
    public func group(for address: ListenAddress?) -> SiteGroup {
        guard let address else { return inheritedGroup }
        return groups.first { $0.address.sameSocket(address) }?.group ?? inheritedGroup
    }

    /// One warning per site asking for Basic-authentication passwords on a plain-HTTP listener that is not
    /// loopback: the passwords travel in clear.
    public var cleartextPasswordWarnings: [String] {
        var warnings: [String] = []
        for (address, group) in groups where !address.tls && !Self.isLoopback(address.host) {
            for i in group.sites {
                let site = sites[i]
                let realms = ([site.scope.auth] + site.locations.map(\.auth)).compactMap { $0?.realm }
                guard let realm = realms.first else { continue }
                warnings.append(
                    "site \(site.name) asks for passwords (\"\(realm)\") over plain HTTP on \(address): they travel in clear; use a Listen with tls"
                )
            }
        }
        return warnings
    }

    static func isLoopback(_ host: String) -> Bool { host.hasPrefix("127.") || host == "::1" }

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
