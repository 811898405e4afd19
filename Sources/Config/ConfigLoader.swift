// Loads the configuration file plus `-c` directives into a Configuration.

import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Reads httpd.conf and `-c` directives; every error comes back as `file:line: message`.
public enum ConfigLoader {
    /// The configuration from `file` (relative paths inside it are relative to its folder) and `directives`.
    /// A relative `file` is taken relative to `startDirectory` when given (a daemon has changed to `/`
    /// by the time it reloads); errors name `file` as the user wrote it.
    public static func load(file: String, directives: [String], startDirectory: String? = nil) -> Result<
        Configuration, ConfigErrors
    > {
        let path = file.hasPrefix("/") || startDirectory == nil ? file : startDirectory! + "/" + file
        guard let text = readTextFile(path) else {
            return .failure(
                ConfigErrors([ConfigError(file: file, line: 0, message: "cannot read: \(String(cString: strerror(errno)))")]))
        }
        let reader = ConfigReader(baseDirectory: absoluteDirectory(of: path))
        var config = reader.defaults
        var errors = reader.read(text, file: file, to: &config)
        // A Listen given with -c replaces the file's Listen lines (e.g. -c "Listen 127.0.0.1:0" in tests).
        if directives.contains(where: { ConfigReader.words(of: Substring($0))?.first?.asciiLowercased == "listen" }) {
            config.listen = []
        }
        for (index, directive) in directives.enumerated() {
            errors += reader.read(directive, file: "-c", firstLine: index + 1, to: &config).map {
                ConfigError(file: "-c", line: index + 1, message: $0.message)
            }
        }
        // Blocks inherit the server-level directives of the file and -c; then what one directive needs from
        // others is checked once, on everything together.
        errors += reader.resolveBlocks(&config)
        errors += reader.check(config)
        return errors.isEmpty ? .success(config) : .failure(ConfigErrors(errors))
    }

    /// The current working directory.
    public static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(nulTerminated: buffer)
    }

    /// The absolute folder that contains `file`.
    public static func absoluteDirectory(of file: String) -> String {
        var dir: String
        if let slash = file.lastIndex(of: "/") {
            dir = String(file[..<slash])
            if dir.isEmpty { dir = "/" }
        } else {
            dir = "."
        }
        if dir.hasPrefix("/") { return dir }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return dir }
        let cwd = String(nulTerminated: buffer)
        return dir == "." ? cwd : (cwd == "/" ? "/" + dir : cwd + "/" + dir)
    }
}

/// Every error found in one configuration, in file order.
public struct ConfigErrors: Error, Sendable {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
}
