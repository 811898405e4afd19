// What the server derives from a Configuration before serving: the real document root, the MIME
// table, limits. Built (and checked) once at start-up, and by `-t`, with blocking calls allowed.

public import Config
public import Files
public import HTTPCore
public import Support

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

    /// Checks the document root and types file and derives the settings; throws what is wrong.
    public static func make(_ config: Configuration) throws(StartupError) -> ServerSettings {
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
        return ServerSettings(
            config: config, lookup: lookup,
            staticSettings: StaticSettings(cacheControl: config.cacheControl, precompressed: config.precompressed),
            limits: HeadLimits(
                requestLine: config.limitRequestLine, fieldLine: config.limitRequestFieldSize,
                fieldCount: config.limitRequestFields, headSize: config.limitRequestHeadSize),
            monitoring: MonitoringPaths(
                health: config.healthPath, ready: config.readyPath, status: config.statusPath,
                metrics: config.metricsPath),
            serverHeader: config.serverHeader)
    }
}
