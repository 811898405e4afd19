// `Chroot`: the folder the worker serves inside. The directive's own check, where each path the worker opens
// after start really lies (decided on bytes once symbolic links are resolved, reported as `file:line: message`),
// and the pure mapping of a host path to the path the worker uses once its root has changed.

import Support

#if canImport(Glibc)
    import Glibc
#endif

/// What a worker needs to serve inside `Chroot`: the folder, and where each DocumentRoot and AuthUserFile
/// really lies. Made when the configuration is loaded (`ChrootCheck.plan`, which reads the file system), used
/// as the worker changes its root (`ServerSettings.insideChroot`, which does not).
public struct ChrootPlan: Sendable, Equatable {
    /// The folder as written after `Chroot`.
    public var configured: String
    /// Its real path (every symbolic link resolved): what the root changes to, and what paths are compared with.
    public var directory: String
    /// Where `Chroot` was written: `httpd.conf:3`.
    public var location: String
    /// The real path of each DocumentRoot and AuthUserFile the worker uses, keyed by the path as configured.
    public var realPaths: [String: String]

    public init(configured: String, directory: String, location: String, realPaths: [String: String]) {
        self.configured = configured
        self.directory = directory
        self.location = location
        self.realPaths = realPaths
    }

    /// The path a process whose root is `chroot` uses for the host path `real` (both absolute, without `.`,
    /// `..` or symbolic links), or nil when `real` lies outside `chroot`. Decided on bytes, at a `/` boundary:
    /// `/srv/chroot/www` inside `/srv/chroot` is `/www`, `/srv/chroot` itself is `/`, `/srv/chrooted/www` is
    /// outside; trailing slashes are ignored.
    public static func view(of real: String, inside chroot: String) -> String? {
        let slash = UInt8(ascii: "/")
        let root = trimmed(Array(chroot.utf8))
        let path = trimmed(Array(real.utf8))
        guard root.first == slash, path.first == slash else { return nil }
        if root == [slash] { return String(decoding: path, as: UTF8.self) }
        guard path.starts(with: root) else { return nil }
        let rest = path[root.count...]
        if rest.isEmpty { return "/" }
        guard rest.first == slash else { return nil }
        return String(decoding: rest, as: UTF8.self)
    }

    /// `path` without trailing slashes (`/` stays `/`).
    static func trimmed(_ path: [UInt8]) -> [UInt8] {
        var path = path
        while path.count > 1 && path.last == UInt8(ascii: "/") { path.removeLast() }
        return path
    }

    /// The worker's path for `configured` (a DocumentRoot or AuthUserFile as the configuration names it), or nil
    /// when the plan has not resolved it (a main server's DocumentRoot that no listener needs and that is missing).
    public func view(of configured: String) -> String? {
        realPaths[configured].flatMap { Self.view(of: $0, inside: directory) }
    }

    /// An error reported at the `Chroot` line: `httpd.conf:3: message`.
    public func error(_ message: String) -> ConfigError { ConfigError(at: location, message: message) }
}

/// The checks of `Chroot`: its value when the line is read, then every path the worker opens after start, once
/// the whole configuration is (these read the file system: a symbolic link is judged by where it leads).
public enum ChrootCheck {
    /// `Chroot`'s argument: an absolute path naming an existing folder; throws why not.
    static func directory(_ value: String) throws -> String {
        guard value.utf8.first == UInt8(ascii: "/") else {
            throw DirectiveError.value("wants an absolute path (starting with /), got '\(value)'")
        }
        var st = stat()
        guard stat(value, &st) == 0 else { throw DirectiveError.sentence("Chroot \(value): \(errnoText(errno))") }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw DirectiveError.sentence("Chroot \(value) is not a directory") }
        return value
    }

    /// The plan for `config`'s `Chroot` (nil without one), and the errors that forbid it, each at the line of the
    /// directive at fault (at the `Chroot` line for a default): a folder that resolves to `/`; a DocumentRoot (the
    /// main server's when it exists or some listener needs it, every `<VirtualHost>`'s) or an AuthUserFile whose
    /// real path lies outside the folder's. A DocumentRoot that does not exist is left to the start-up check;
    /// a missing AuthUserFile is judged by its folder (it may be created later).
    public static func plan(_ config: Configuration) -> (plan: ChrootPlan?, errors: [ConfigError]) {
        guard let chroot = config.chroot else { return (nil, []) }
        let at = config.origins.chroot ?? "configuration"
        let directory: String
        switch resolve(chroot) {
        case .failure(let why): return (nil, [ConfigError(at: at, message: "Chroot \(chroot): \(why.text)")])
        case .success(let real): directory = real
        }
        guard directory != "/" else {
            return (nil, [ConfigError(at: at, message: "Chroot \(chroot) is the root of the file system: it confines nothing")])
        }
        var realPaths: [String: String] = [:]
        var errors: [ConfigError] = []
        func add(_ error: ConfigError) { if !errors.contains(error) { errors.append(error) } }
        /// Records where `path` lies; reports it (as `directive`, written at `written`) when outside.
        func place(_ directive: String, _ path: String, real: String, written: String?) {
            guard ChrootPlan.view(of: real, inside: directory) == nil else {
                realPaths[path] = real
                return
            }
            let resolved = real == path ? "" : " (it resolves to \(real))"
            if let written {
                add(ConfigError(at: written, message: "\(directive) \(path) is outside Chroot \(chroot)\(resolved)"))
            } else {
                add(ConfigError(at: at, message: "the default \(directive) \(path) is outside Chroot \(chroot)\(resolved)"))
            }
        }
        let sites = [(config, config.mainServerAnswers)] + config.virtualHosts.map { ($0.config, true) }
        for (site, needed) in sites {
            switch resolve(site.documentRoot) {
            case .success(let real): place("DocumentRoot", site.documentRoot, real: real, written: site.origins.documentRoot)
            case .failure(let why):
                // Missing: the start-up check reports it (or, for a main server no listener needs, ignores it).
                if needed && why.code != ENOENT {
                    add(
                        ConfigError(
                            at: site.origins.documentRoot ?? at, message: "DocumentRoot \(site.documentRoot): \(why.text)"))
                }
            }
        }
        for scope in config.scopes {
            guard let file = scope.auth?.userFile else { continue }
            switch resolveFile(file) {
            case .success(let real): place("AuthUserFile", file, real: real, written: scope.origins.authUserFile)
            case .failure(let why):
                add(
                    ConfigError(
                        at: scope.origins.authUserFile ?? at,
                        message: "AuthUserFile \(file): \(why.text) (with Chroot, it must lie inside \(chroot))"))
            }
        }
        return (ChrootPlan(configured: chroot, directory: directory, location: at, realPaths: realPaths), errors)
    }

    /// Why a path could not be resolved: the errno, and the text to show.
    struct Unresolved: Error {
        var code: Int32
        var text: String
        init(_ code: Int32, text: String? = nil) {
            self.code = code
            self.text = text ?? errnoText(code)
        }
    }

    /// The real path of `path` (realpath(3): absolute, no symbolic link, `.` or `..`), as the kernel's bytes,
    /// which must be UTF-8 (the worker names the path again as text).
    static func resolve(_ path: String) -> Result<String, Unresolved> {
        guard let p = realpath(path, nil) else { return .failure(Unresolved(errno)) }
        defer { free(p) }
        let bytes = UnsafeRawBufferPointer(start: p, count: strlen(p))
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(Unresolved(EILSEQ, text: "its real path is not UTF-8"))
        }
        return .success(text)
    }

    /// The real path of the file `path`; when it does not exist (yet), its folder's real path and its name.
    static func resolveFile(_ path: String) -> Result<String, Unresolved> {
        let found = resolve(path)
        guard case .failure(let why) = found, why.code == ENOENT else { return found }
        let bytes = Array(path.utf8)
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return found }
        let folder = slash == 0 ? "/" : String(decoding: bytes[..<slash], as: UTF8.self)
        let name = String(decoding: bytes[(slash + 1)...], as: UTF8.self)
        guard case .success(let real) = resolve(folder) else { return found }
        return .success(real == "/" ? "/" + name : real + "/" + name)
    }
}
