// The sites a configuration defines (the main server, then each <VirtualHost>), their <Location> scopes,
// and which sites answer on which listener: derived once per configuration generation, read per request.

public import Config
public import Files
public import HTTPCore
import Support

#if canImport(Glibc)
    import Glibc
#endif

/// What may differ per `<Location>` (and per site): the lookup (Autoindex), static settings (CacheControl),
/// headers, error documents, authentication. Immutable; a response's head rendered for one scope is kept
/// with the open file, so each file answers under one scope per generation.
public final class ScopeSettings: Sendable {
    public let lookup: LookupSettings
    public let staticSettings: StaticSettings
    public let headers: [HeaderRule]
    public let errorDocuments: [Int: String]
    public let auth: AuthSettings?

    init(_ config: Configuration, root: String, realRoot: String, mime: MIMETypes) {
        lookup = LookupSettings(
            root: root, realRoot: realRoot, directoryIndex: config.directoryIndex, autoindex: config.autoindex,
            hideDotfiles: config.hideDotfiles, symlinks: config.followSymlinks, precompressed: config.precompressed,
            mimeTypes: mime)
        staticSettings = StaticSettings(cacheControl: config.cacheControl, precompressed: config.precompressed)
        headers = config.headers
        errorDocuments = config.errorDocuments
        auth = config.auth
    }

    /// A scope from its parts (`insideChroot` makes one from another's).
    init(
        lookup: LookupSettings, staticSettings: StaticSettings, headers: [HeaderRule], errorDocuments: [Int: String],
        auth: AuthSettings?
    ) {
        self.lookup = lookup
        self.staticSettings = staticSettings
        self.headers = headers
        self.errorDocuments = errorDocuments
        self.auth = auth
    }
}

/// One site: its names, root, redirects, TryFiles, FallbackFile, and scopes (the site's own, then one per
/// `<Location>`, the longest prefix chosen per request).
public final class SiteSettings: Sendable {
    /// Position in `ServerSettings.sites` (0: the main server).
    public let index: Int
    /// `ServerName`, or `default` for the main server without one, or `site N` for a block without one.
    public let name: String
    public let aliases: [String]
    /// The site's configuration (its directives; the server-wide ones are the main server's).
    public let config: Configuration
    /// Where the `<VirtualHost>` was opened (nil for the main server).
    public let location: String?
    public let scope: ScopeSettings
    public let locations: [ScopeSettings]
    let locationMatcher: LocationMatcher
    public let redirects: [RedirectRule]
    public let tryFiles: [TryFilesEntry]
    public let fallbackFile: String?

    /// Checks the site's document root and derives its settings; throws what is wrong, naming the site.
    /// `used` false: a main server that no listener serves (every one is named by a `<VirtualHost>`); its root
    /// is not required to exist, as Apache only warns about it.
    init(index: Int, config: Configuration, location: String?, mime: MIMETypes, used: Bool = true) throws(StartupError) {
        self.index = index
        self.config = config
        self.location = location
        name = config.serverName ?? (location == nil ? "default" : "site \(index)")
        aliases = config.serverAliases
        let at = location.map { " (<VirtualHost> at \($0))" } ?? ""
        var root = config.documentRoot
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        var realRoot = root
        if used {
            var st = stat()
            guard stat(root, &st) == 0 else { throw StartupError.errno("DocumentRoot \(root)\(at)") }
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw StartupError("DocumentRoot \(root)\(at): not a directory") }
            guard access(root, R_OK | X_OK) == 0 else { throw StartupError.errno("DocumentRoot \(root)\(at)") }
            guard let real = FileLookup.realPath(root) else { throw StartupError.errno("DocumentRoot \(root)\(at)") }
            realRoot = real
        }
        let rootText = root == "/" ? "" : root
        scope = ScopeSettings(config, root: rootText, realRoot: realRoot, mime: mime)
        locations = config.locations.map { ScopeSettings($0.config, root: rootText, realRoot: realRoot, mime: mime) }
        locationMatcher = LocationMatcher(prefixes: config.locations.map(\.prefix))
        redirects = config.redirects
        tryFiles = config.tryFiles
        fallbackFile = config.fallbackFile
    }

    /// `site` with other scopes (`insideChroot` makes one from another).
    init(_ site: SiteSettings, scope: ScopeSettings, locations: [ScopeSettings]) {
        index = site.index
        name = site.name
        aliases = site.aliases
        config = site.config
        location = site.location
        self.scope = scope
        self.locations = locations
        locationMatcher = site.locationMatcher
        redirects = site.redirects
        tryFiles = site.tryFiles
        fallbackFile = site.fallbackFile
    }

    /// The scope in force for the decoded, normalized `path`: the longest `<Location>` prefix covering it,
    /// else the site's own.
    public func scope(for path: String) -> ScopeSettings {
        guard !locations.isEmpty, let i = locationMatcher.match(path: path) else { return scope }
        return locations[i]
    }

    /// The document root as configured (`/` for the root of the file system).
    public var root: String { scope.lookup.root.isEmpty ? "/" : scope.lookup.root }
}

/// The sites that answer on one listener, and how a Host picks among them.
public final class SiteGroup: Sendable {
    /// Indices into `ServerSettings.sites`, in configuration order; the first answers unmatched names.
    public let sites: [Int]
    let selector: SiteSelector

    init(sites: [Int], all: [SiteSettings]) {
        self.sites = sites
        selector = SiteSelector(sites: sites.map { i in [all[i].config.serverName].compactMap { $0 } + all[i].aliases })
    }

    /// The site for `host` (a Host field's name, or an SNI name): its index in `ServerSettings.sites`, or nil
    /// when no name matches.
    public func site(named host: String) -> Int? {
        selector.pick(host: host).map { sites[$0] }
    }

    /// The site that answers requests naming no site (Apache's rule: the first block).
    public var fallback: Int { sites[0] }
}
